package datetime

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sightline/sightline/config"
	"github.com/sightline/sightline/sandbox"
)

func nsOf(t *testing.T, g *Grammar, s string) float64 {
	t.Helper()
	var c Captures
	if _, ok := g.Match(s, 0, &c); !ok {
		t.Fatalf("%q: no match", s)
	}
	ns, err := TimeToNs(c)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return ns
}

// The reference's own test values (lpeg/tests/date_time.lua).
func TestReferenceSamples(t *testing.T) {
	year := time.Now().UTC().Year()
	cases := []struct {
		name string
		g    *Grammar
		in   string
		want float64
	}{
		{"rfc3339 frac offset", RFC3339, "1999-05-05T23:23:59.217-07:00", 925971839217000064},
		{"rfc3339 Z", RFC3339, "1985-04-12T23:20:50.52Z", 482196050520000000},
		{"rfc3339 offset", RFC3339, "1996-12-19T16:39:57-08:00", 851042397000000000},
		{"rfc3339 leap", RFC3339, "1990-12-31T23:59:60Z", 662688000000000000},
		{"rfc3339 leap offset", RFC3339, "1990-12-31T15:59:60-08:00", 662688000000000000},
		{"rfc3339 before epoch", RFC3339, "1937-01-01T12:00:27.87+00:20", -1041337172130000000},
		{"clf", CLF, "10/Feb/2014:08:46:36 -0800", 1392050796000000000},
		{"rfc3164", RFC3164, "Feb 10 16:46:36", float64(time.Date(year, 2, 10, 16, 46, 36, 0, time.UTC).Unix()) * 1e9},
		{"rfc3164 buggy day", RFC3164, "Feb  3 16:46:36", float64(time.Date(year, 2, 3, 16, 46, 36, 0, time.UTC).Unix()) * 1e9},
		{"mysql", MySQL, "20140210164636", 1392050796000000000},
		{"pgsql", PgSQL, "2014-02-10 16:46:36", 1392050796000000000},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := nsOf(t, c.g, c.in); got != c.want {
				t.Errorf("%q: %d, want %d", c.in, int64(got), int64(c.want))
			}
		})
	}
}

func TestRFC3339Invalid(t *testing.T) {
	for _, s := range []string{"1985-04-12t23:20:50.52Z", "1985-04-12T23:20:50.52z", "1985-04-12",
		"1999-05-05T23:23:59.217-0700", "1999-13-05T23:23:59Z", "1999-05-05T24:23:59Z"} {
		var c Captures
		if _, ok := RFC3339.Match(s, 0, &c); ok {
			t.Errorf("%q matched: %v", s, c)
		}
	}
}

func TestRFC3339Captures(t *testing.T) {
	var c Captures
	end, ok := RFC3339.Match("1999-05-05T23:23:59.217-07:00 rest", 0, &c)
	if !ok || end != 29 {
		t.Fatalf("end %d ok %v", end, ok)
	}
	want := Captures{
		{"year", Value{Str: "1999"}}, {"month", Value{Str: "05"}}, {"day", Value{Str: "05"}},
		{"hour", Value{Str: "23"}}, {"min", Value{Str: "23"}}, {"sec", Value{Str: "59"}},
		{"sec_frac", Value{Num: 0.217, IsNum: true}}, {"offset_sign", Value{Str: "-"}},
		{"offset_hour", Value{Num: 7, IsNum: true}}, {"offset_min", Value{Num: 0, IsNum: true}},
	}
	if len(c) != len(want) {
		t.Fatalf("captures %v, want %v", c, want)
	}
	for i := range want {
		if c[i] != want[i] {
			t.Errorf("capture %d: %v, want %v", i, c[i], want[i])
		}
	}
}

func TestStrftime(t *testing.T) {
	const result = 1392050796000000000
	cases := []struct{ format, in string }{
		{"%c", "Mon Feb 10 16:46:36 2014"},
		{"%D %T", "02/10/14 16:46:36"},
		{"%D %r", "02/10/14 04:46:36 PM"},
		{"%d/%b/%Y:%H:%M:%S %z", "10/Feb/2014:16:46:36 +0000"},
		{"%Y-%m-%dT%H:%M:%S%z", "2014-02-10T08:46:36-0800"},
		{"%s", "1392050796"},
		{"%B %e %Y %l:%M %p %Z", "February 10 2014  4:46 PM PST"},
	}
	for _, c := range cases {
		g, err := BuildStrftime(c.format)
		if err != nil {
			t.Fatalf("%q: %v", c.format, err)
		}
		got := nsOf(t, g, c.in)
		want := float64(result)
		if c.format == "%B %e %Y %l:%M %p %Z" {
			want = float64(result) - 36e9 + 8*3600e9
		}
		if got != want {
			t.Errorf("%q on %q: %d, want %d", c.format, c.in, int64(got), int64(want))
		}
	}
	g, err := BuildStrftime("%d/%b/%Y:%H:%M:%S.%f")
	if err != nil {
		t.Fatal(err)
	}
	if got := nsOf(t, g, "10/Feb/2014:16:46:36.124"); got != 1392050796124000000 {
		t.Errorf("%%f: %d", int64(got))
	}
	for _, bad := range []string{"%E", ""} {
		if _, err := BuildStrftime(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// Every specifier parses what os.date-like formatting writes for now.
func TestStrftimeAll(t *testing.T) {
	now := time.Now().UTC()
	for _, c := range []struct{ f, layout string }{
		{"%a", "Mon"}, {"%A", "Monday"}, {"%b", "Jan"}, {"%B", "January"}, {"%d", "02"}, {"%e", "_2"},
		{"%F", "2006-01-02"}, {"%H", "15"}, {"%I", "03"}, {"%m", "01"}, {"%M", "04"}, {"%p", "PM"},
		{"%S", "05"}, {"%T", "15:04:05"}, {"%y", "06"}, {"%Y", "2006"}, {"%z", "-0700"}, {"%Z", "MST"},
		{"%%", "%"}, {"test string", "test string"}, {"%R", "15:04"}, {"%D", "01/02/06"},
	} {
		g, err := BuildStrftime(c.f)
		if err != nil {
			t.Fatalf("%q: %v", c.f, err)
		}
		in := now.Format(c.layout)
		var caps Captures
		if _, ok := g.Match(in, 0, &caps); !ok {
			t.Errorf("%q does not match %q", c.f, in)
		}
	}
	for _, f := range []string{"%C", "%g", "%G", "%h", "%j", "%k", "%l", "%n", "%s", "%t", "%u", "%U", "%V", "%w", "%W", "%x", "%X", "%c", "%r"} {
		if _, err := BuildStrftime(f); err != nil {
			t.Errorf("%q: %v", f, err)
		}
	}
}

func TestTimeToNsMissingDay(t *testing.T) {
	var c Captures
	c.SetStr("year", "2014")
	c.SetStr("month", "2")
	if _, err := TimeToNs(c); err == nil || err.Error() != "field 'day' missing in date table" {
		t.Errorf("err %v", err)
	}
	c.SetStr("day", "")
	if _, err := TimeToNs(c); err == nil {
		t.Error("empty day accepted")
	}
	c.SetStr("day", "10")
	ns, err := TimeToNs(c) // hour defaults to 12
	if err != nil || ns != float64(time.Date(2014, 2, 10, 12, 0, 0, 0, time.UTC).Unix())*1e9 {
		t.Errorf("%v %v", int64(ns), err)
	}
}

// The reference's test script runs unchanged in a sandbox (its Windows
// branches aside), and the objects work from every plugin type.
func TestLuaModule(t *testing.T) {
	src := `
require "string"
require "os"
local dt = require "lpeg.date_time"
local function test_valid(grammar, tests, results)
    for i,v in ipairs(tests) do
        local t = grammar:match(v)
        if not t then error(v) end
        local ns = dt.time_to_ns(t)
        if ns ~= results[i] then
            error(string.format("test: %d %s expected: %g received: %g", i, v, results[i], ns), 2)
        end
    end
end
test_valid(dt.rfc3339, {"1999-05-05T23:23:59.217-07:00", "1937-01-01T12:00:27.87+00:20"},
    {925971839217000064, -1041337172130000000})
test_valid(dt.clf_timestamp, {"10/Feb/2014:08:46:36 -0800"}, {1392050796000000000})
test_valid(dt.rfc3164_timestamp, {"Feb 10 16:46:36"},
    {os.time{year = os.date("%Y"), month = 2, day = 10, hour = 16, min = 46, sec = 36} * 1e9})
test_valid(dt.mysql_timestamp, {"20140210164636"}, {1392050796000000000})
test_valid(dt.pgsql_timestamp, {"2014-02-10 16:46:36"}, {1392050796000000000})
for _, v in ipairs({"1985-04-12t23:20:50.52Z", "1985-04-12"}) do
    assert(not dt.rfc3339:match(v), v)
end
local t = dt.rfc3339:match("xx1999-05-05T23:23:59Z", 3)
assert(t and t.year == "1999" and t.sec == "59" and t.sec_frac == nil, "init")
local g = dt.build_strftime_grammar("%d/%b/%Y:%H:%M:%S.%f")
assert(dt.time_to_ns(g:match("10/Feb/2014:16:46:36.124")) == 1392050796124000000)
assert(not pcall(dt.build_strftime_grammar, "%E"))
assert(dt.time_to_ns(nil) == 0)
assert(dt.seconds_to_ns("1.5") == 1.5e9)
assert(tostring(dt.rfc3339) == "lpeg.date_time.grammar")
function process_message() return 0 end
function timer_event() end
`
	for _, typ := range []config.PluginType{config.Input, config.Analysis, config.Output} {
		t.Run(typ.String(), func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "dt.lua")
			if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			tab := config.NewTable(filepath.Join(dir, "dt.cfg"))
			tab.Set("filename", "dt.lua")
			if typ != config.Input {
				tab.Set("message_matcher", "TRUE")
			}
			cfg, err := config.NewPlugin(typ, tab, nil)
			if err != nil {
				t.Fatal(err)
			}
			s, err := sandbox.New(sandbox.Options{Plugin: cfg, LuaFile: file})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Close(false); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func BenchmarkRFC3339(b *testing.B) {
	var c Captures
	b.ReportAllocs()
	for b.Loop() {
		RFC3339.Match("1999-05-05T23:23:59.217-07:00", 0, &c)
		if _, err := TimeToNs(c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRFC3164(b *testing.B) {
	var c Captures
	b.ReportAllocs()
	for b.Loop() {
		RFC3164.Match("Feb 10 16:46:36", 0, &c)
		if _, err := TimeToNs(c); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzStrftime(f *testing.F) {
	f.Add("%d/%b/%Y:%H:%M:%S %z", "10/Feb/2014:08:46:36 -0800")
	f.Add("%c %f %s %Z %p %I", "Mon Feb 10 16:46:36 2014 12 5 PST PM 11")
	f.Fuzz(func(t *testing.T, format, in string) {
		g, err := BuildStrftime(format)
		if err != nil {
			return
		}
		var c Captures
		if _, ok := g.Match(in, 0, &c); ok {
			_, _ = TimeToNs(c)
		}
	})
}
