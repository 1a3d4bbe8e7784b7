package syslog

import (
	"strings"
	"testing"

	"github.com/sightline/sightline/config"
)

// The reference's own lpeg.syslog tests (syslog/tests/syslog.lua), run
// unchanged in an analysis sandbox, plus checks of what sightline adds.
const referenceTests = `
require "os"
require "string"
local syslog = require "lpeg.syslog"

local function traditional_file_format()
    local grammar = syslog.build_rsyslog_grammar('%TIMESTAMP% %HOSTNAME% %syslogtag%%msg:::sp-if-no-1st-sp%%msg:::drop-last-lf%\n')
    local log = 'Feb  9 14:17:01 trink-x230 CRON[20758]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)\n'
    local fields = grammar:match(log)
    assert(fields.msg == "(root) CMD (   cd / && run-parts --report /etc/cron.hourly)", fields.msg)
    local ts = os.time{year = os.date("%Y"), month = 2, day = 9, hour = 14, min = 17, sec = 01} * 1e9
    assert(fields.timestamp == ts, fields.timestamp)
    assert(fields.syslogtag.pid == 20758, fields.syslogtag.pid)
    assert(fields.syslogtag.programname == "CRON", fields.syslogtag.programname)
    assert(fields.hostname == "trink-x230", fields.hostname)
end

local function file_format()
    local grammar = syslog.build_rsyslog_grammar('%TIMESTAMP:::date-rfc3339% %HOSTNAME% %syslogtag%%msg:::sp-if-no-1st-sp%%msg:::drop-last-lf%\n')
    local log = '2014-02-10T08:21:59.111537-08:00 trink-x230 kernel: Kernel logging (proc) stopped.\n'
    local fields = grammar:match(log)
    assert(fields.msg == "Kernel logging (proc) stopped.", fields.msg)
    assert(fields.timestamp == 1392049319111537000, fields.timestamp)
    assert(fields.syslogtag.programname == "kernel", fields.syslogtag.programname)
    assert(fields.hostname == "trink-x230", fields.hostname)
end

local function forward_format()
    local grammar = syslog.build_rsyslog_grammar('<%PRI%>%TIMESTAMP:::date-rfc3339% %HOSTNAME% %syslogtag:1:32%%msg:::sp-if-no-1st-sp%%msg%')
    local log = '<6>2014-02-10T08:33:15.407935-08:00 trink-x230 kernel: imklog 5.8.6, log source = /proc/kmsg started.'
    local fields = grammar:match(log)
    assert(fields.msg == "imklog 5.8.6, log source = /proc/kmsg started.", fields.msg)
    assert(fields.timestamp == 1392049995407935000, fields.timestamp)
    assert(fields.syslogtag.programname == "kernel", fields.syslogtag.programname)
    assert(fields.pri.severity == 6, fields.pri.severity)
    assert(fields.pri.facility == 0, fields.pri.facility)
    assert(fields.hostname == "trink-x230", fields.hostname)
end

local function traditional_forward_format()
    local grammar = syslog.build_rsyslog_grammar('<%PRI%>%TIMESTAMP% %HOSTNAME% %syslogtag:1:32%%msg:::sp-if-no-1st-sp%%msg%')
    local log = '<6>Feb 10 08:38:47 trink-x230 kernel: imklog 5.8.6, log source = /proc/kmsg started.'
    local fields = grammar:match(log)
    assert(fields.msg == "imklog 5.8.6, log source = /proc/kmsg started.", fields.msg)
    local ts = os.time{year = os.date("%Y"), month = 2, day = 10, hour = 8, min = 38, sec = 47} * 1e9
    assert(fields.timestamp == ts, fields.timestamp)
    assert(fields.syslogtag.programname == "kernel", fields.syslogtag.programname)
    assert(fields.pri.severity == 6, fields.pri.severity)
    assert(fields.pri.facility == 0, fields.pri.facility)
    assert(fields.hostname == "trink-x230", fields.hostname)
end

local function kitchen_sink()
    local grammar = syslog.build_rsyslog_grammar("%HOSTNAME% %SOURCE% %FROMHOST% %FROMHOST-IP% %SYSLOGTAG% %PROGRAMNAME% %PRI% %PRI-TEXT% %IUT% %SYSLOGFACILITY% %SYSLOGFACILITY-TEXT% %SYSLOGPRIORITY% %SYSLOGPRIORITY-TEXT% %TIMEGENERATED% %TIMEREPORTED:::date-mysql% %TIMESTAMP:::date-rfc3339% %PROTOCOL-VERSION% %STRUCTURED-DATA% %APP-NAME% %PROCID% %MSGID% %$NOW% %$YEAR% %$MONTH% %$DAY% %$HOUR% %$HHOUR% %$QHOUR% %$MINUTE% %MSG%\n")
    local log = 'trink-x230 trink-x230 trink-x230 127.0.0.1 kernel: kernel 6 kern.info<6> 1 0 kern 6 info Feb 10 09:20:53 20140210092053 2014-02-10T09:20:53.559934-08:00 0 - kernel  - 2014-02-10 2014 02 10 09 00 01 20 imklog 5.8.6, log source = /proc/kmsg started.\n'
    local fields = grammar:match(log)
    assert(fields.hostname == "trink-x230", fields.hostname)
    assert(fields.source == "trink-x230", fields.source)
    assert(fields.fromhost == "trink-x230", fields.fromhost)
    assert(fields["fromhost-ip"] == "127.0.0.1", fields["fromhost-ip"])
    assert(fields.syslogtag.programname == "kernel", fields.syslogtag.programname)
    assert(fields.programname == "kernel", fields.programname)
    assert(fields.pri.severity == 6, fields.pri.severity)
    assert(fields.pri.facility == 0, fields.pri.facility)
    assert(fields["pri-text"] == 0, fields["pri-text"])
    assert(fields.iut == "1", fields.iut)
    assert(fields.syslogfacility == 0, fields.syslogfacility)
    assert(fields["syslogfacility-text"] == 0, fields["syslogfacility-text"])
    assert(fields.syslogpriority == 6, fields.syslogpriority)
    assert(fields["syslogpriority-text"] == 6, fields["syslogpriority-text"])
    local ts = os.time{year = os.date("%Y"), month = 2, day = 10, hour = 9, min = 20, sec = 53} * 1e9
    assert(fields.timegenerated == ts, fields.timegenerated)
    assert(fields.timestamp == 1392052853559934000, fields.timestamp)
    assert(fields["protocol-version"] == "0", fields["protocol-version"])
    assert(type(fields["structured-data"]) == "table", type(fields["structured-data"]))
    assert(fields["app-name"] == "kernel", fields["app-name"])
    assert(fields.procid == "", fields.procid)
    assert(fields.msgid == "-", fields.msgid)
    assert(fields["$now"] == "2014-02-10", fields["$now"])
    assert(fields["$year"] == "2014")
    assert(fields["$month"] == "02")
    assert(fields["$day"] == "10")
    assert(fields["$hour"] == "09")
    assert(fields["$hhour"] == "00")
    assert(fields["$qhour"] == "01")
    assert(fields["$minute"] == "20")
    assert(fields.msg == "imklog 5.8.6, log source = /proc/kmsg started.", fields.msg)
end

local function no_colon_in_tag()
    local grammar = syslog.build_rsyslog_grammar('<%PRI%>%TIMESTAMP:::date-rfc3339% %HOSTNAME% %syslogtag:1:32%%msg:::sp-if-no-1st-sp%%msg%')
    local log = '<166>2014-06-26T23:13:23-07:00 example.com     at java.net.SocketInputStream.socketRead0(Native Method)'
    local fields = grammar:match(log)
    assert(fields.msg == "at java.net.SocketInputStream.socketRead0(Native Method)", fields.msg)
    assert(fields.timestamp == 1403849603000000000, fields.timestamp)
    assert(fields.syslogtag.programname == "", fields.syslogtag.programname)
    assert(fields.pri.severity == 6, fields.pri.severity)
    assert(fields.pri.facility == 20, fields.pri.facility)
    assert(fields.hostname == "example.com", fields.hostname)
end

local function structured_data()
    local grammar = syslog.build_rsyslog_grammar("%STRUCTURED-DATA%")
    local log = '[origin@123 name1="first value" name2="sec\\ond\\\\v[a\\]l\\"ue"]'
    local fields = grammar:match(log)
    local sd = fields["structured-data"]
    assert(sd["_name1"] == "first value", sd["_name1"])
    assert(sd["_name2"] == "sec\\ond\\v[a]l\"ue", sd["_name2"])
    assert(sd["id"] == "origin@123", sd["id"])

    log = '[origin@123 name="value\\\\"]'
    fields = grammar:match(log)
    sd = fields["structured-data"]
    assert(sd["_name"] == "value\\", sd["_name"])
    assert(sd["id"] == "origin@123", sd["id"])

    log = '[origin@123 name="value\\""]'
    fields = grammar:match(log)
    sd = fields["structured-data"]
    assert(sd["_name"] == 'value"', sd["_name"])
    assert(sd["id"] == "origin@123", sd["id"])

    log = '[origin@123 name=""]'
    fields = grammar:match(log)
    sd = fields["structured-data"]
    assert(sd["_name"] == "", sd["_name"])
    assert(sd["id"] == "origin@123", sd["id"])
end

traditional_file_format()
file_format()
forward_format()
traditional_forward_format()
kitchen_sink()
no_colon_in_tag()
structured_data()

-- sightline additions
local sd = syslog.build_rsyslog_grammar("%STRUCTURED-DATA%"):match('[a@1 x="1"][b@2 y="2" x="3"]')["structured-data"]
assert(sd.id[1] == "a@1" and sd.id[2] == "b@2" and sd._x == "3" and sd._y == "2", "several SD elements")
local t = syslog.rfc5424_grammar:match('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3"] An application event')
assert(t.msg == "An application event" and t["app-name"] == "evntslog" and t.procid == "-" and t.msgid == "ID47", "rfc5424")
assert(t.timestamp == 1065910455003000064, string.format("%d", t.timestamp))
assert(syslog.rfc3164_grammar:match("<34>Oct 11 22:14:15 mymachine su: 'su root' failed").syslogtag.programname == "su")
assert(syslog.severity:match("warning") == 4 and syslog.severity:match("err") == 3)
assert(syslog.facility:match("local7") == 23)
assert(syslog.integer:match("-42x") == -42 and syslog.float:match("1.5") == 1.5)
assert(syslog.notspace:match("abc def") == 4)
assert(not pcall(syslog.build_rsyslog_grammar, "%nosuchproperty%"))
assert(not pcall(syslog.build_rsyslog_grammar, ""))
assert(syslog.templates.RSYSLOG_TraditionalForwardFormat)
function process_message() return 0 end
function timer_event() end
`

func TestReferenceGrammarTests(t *testing.T) {
	mustPlugin(t, config.Analysis, referenceTests, "")
}

func TestCompileErrors(t *testing.T) {
	for tmpl, want := range map[string]string{
		"":                  "could not parse",
		"%foo%":             "invalid rsyslog property: 'foo'",
		`<%PRI%>\x`:         "invalid escape",
		`<%PRI%>\999 %msg%`: "invalid escape",
	} {
		_, err := Compile(tmpl)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", tmpl, err, want)
		}
	}
}

// Literal text before %msg% bounds it; escapes in literals are applied;
// text that is not a property (100%) is literal.
func TestTemplateLiterals(t *testing.T) {
	tmpl, err := Compile(`"%msg%" \t100% %HOSTNAME%`)
	if err != nil {
		t.Fatal(err)
	}
	var c Captures
	ok, err := tmpl.Match("\"a b\" \t100% host", 0, &c)
	if err != nil || !ok {
		t.Fatalf("ok %v err %v", ok, err)
	}
	if m, _ := c.Get("msg"); m.Str != "a b" {
		t.Errorf("msg %q", m.Str)
	}
	if h, _ := c.Get("hostname"); h.Str != "host" {
		t.Errorf("hostname %q", h.Str)
	}
}

func TestPRIWithoutDigits(t *testing.T) {
	tmpl, err := Compile(Templates[DefaultTemplate])
	if err != nil {
		t.Fatal(err)
	}
	var c Captures
	if _, err := tmpl.Match("<>Oct 11 22:14:15 h su: x", 0, &c); err == nil {
		t.Error("no error for an empty PRI")
	}
	if ok, err := tmpl.Match("no pri at all", 0, &c); ok || err != nil {
		t.Errorf("ok %v err %v", ok, err)
	}
}

func FuzzTemplate(f *testing.F) {
	f.Add(Templates["RFC5424"], "<165>1 2003-10-11T22:14:15.003Z host app - ID47 [x@1 a=\"b\"] msg")
	f.Add(Templates[DefaultTemplate], "<34>Oct 11 22:14:15 mymachine su: 'su root' failed")
	f.Add("%STRUCTURED-DATA% %PRI-TEXT% %FROMHOST-IP%", "[a@1 x=\"\\\"\"] kern.info<6> ::1")
	f.Fuzz(func(t *testing.T, tmpl, rec string) {
		tp, err := Compile(tmpl)
		if err != nil {
			return
		}
		var c Captures
		_, _ = tp.Match(rec, 0, &c)
	})
}
