package clf

import "strings"

// UserAgent is what NormalizeUserAgent finds in a User-Agent header; an
// empty Browser or OS, or HasVersion false, is the reference's nil.
type UserAgent struct {
	Browser    string
	Version    float64
	HasVersion bool
	OS         string
}

// uaOS are the operating systems, first found wins.
var uaOS = [...][2]string{
	{"iPod", "iPod"},
	{"iPad", "iPad"},
	{"iPhone", "iPhone"},
	{"Android", "Android"},
	{"BlackBerry", "BlackBerry"},
	{"Linux", "Linux"},
	{"Macintosh", "Macintosh"},
	{"Mozilla/5.0 (Mobile;", "FirefoxOS"},
	{"Windows NT 10.0", "Windows 10"},
	{"Windows NT 6.3", "Windows 8.1"},
	{"Windows NT 6.2", "Windows 8"},
	{"Windows NT 6.1", "Windows 7"},
	{"Windows NT 6.0", "Windows Vista"},
	{"Windows NT 5.1", "Windows XP"},
	{"Windows NT 5.0", "Windows 2000"},
}

// How a browser's version is found.
const (
	uaLastProduct = iota // the digits after the last '/'
	uaKeyword            // the digits after kw
	uaFixed              // a fixed version
)

// uaBrowsers are the browsers, first found wins.
var uaBrowsers = [...]struct {
	find    string
	how     int
	kw      string
	version float64
	browser string // when it differs from find
	os      string // overrides the OS found
}{
	{find: "Edge", how: uaKeyword, kw: "Edge/"},
	{find: "Chrome", how: uaKeyword, kw: "Chrome/"},
	{find: "Opera Mini", how: uaLastProduct},
	{find: "Opera Mobi", how: uaLastProduct},
	{find: "Opera", how: uaLastProduct},
	{find: "MSIE", how: uaKeyword, kw: "MSIE "},
	{find: "Trident/7.0", how: uaFixed, version: 11, browser: "MSIE"},
	{find: "Safari", how: uaLastProduct},
	{find: "Firefox AndroidSync", how: uaKeyword, kw: "Firefox AndroidSync ", browser: "FxSync", os: "Android"},
	{find: "Firefox-iOS-Sync", how: uaKeyword, kw: "Firefox-iOS-Sync/", browser: "FxSync", os: "iOS"},
	{find: "Firefox", how: uaKeyword, kw: "Firefox/"},
}

// leadingNumber is tonumber(s:match("^(%d+)")): the number of the digits
// s starts with.
func leadingNumber(s string) (float64, bool) {
	j := digits(s, 0)
	if j == 0 {
		return 0, false
	}
	return toNumber(s[:j]), true
}

// NormalizeUserAgent is the reference's normalize_user_agent (derived from
// Persona's coarse parser): the browser, its major version and the
// operating system of a User-Agent header, for the common agents it knows.
func NormalizeUserAgent(ua string) UserAgent {
	var r UserAgent
	for _, o := range uaOS {
		if strings.Contains(ua, o[0]) {
			r.OS = o[1]
			break
		}
	}
	for _, b := range uaBrowsers {
		if !strings.Contains(ua, b.find) {
			continue
		}
		switch b.how {
		case uaLastProduct:
			if k := strings.LastIndexByte(ua, '/'); k >= 0 {
				r.Version, r.HasVersion = leadingNumber(ua[k+1:])
			}
		case uaKeyword:
			if k := strings.Index(ua, b.kw); k >= 0 {
				r.Version, r.HasVersion = leadingNumber(ua[k+len(b.kw):])
			}
		case uaFixed:
			r.Version, r.HasVersion = b.version, true
		}
		r.Browser = b.find
		if b.browser != "" {
			r.Browser = b.browser
		}
		if b.os != "" {
			r.OS = b.os
		}
		break
	}
	return r
}
