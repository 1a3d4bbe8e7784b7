package clf

import "strings"

// errorTime is the time at the start of an nginx error log line.
var errorTime = func() *strftime {
	sf, err := compileStrftime("%Y/%m/%d %T")
	if err != nil {
		panic(err)
	}
	return sf
}()

// errorLevels are nginx's error levels, tried in this order, with their
// syslog severities.
var errorLevels = [...]struct {
	name string
	sev  float64
}{{"debug", 7}, {"info", 6}, {"notice", 5}, {"warn", 4}, {"error", 3}, {"crit", 2}, {"alert", 1}, {"emerg", 0}}

// Slots of the error grammar.
const (
	errTime = iota
	errSeverity
	errPid
	errTid
	errConnection
	errMsg
)

// NginxError is the grammar of an nginx error log line, the reference's
// nginx_error_grammar:
//
//	2014/03/01 11:29:39 [error] 6917#0: *1 open() "/x" failed (2: No such file or directory), client: ...
//
// It captures time (ns), severity (debug..emerg as 7..0), pid, tid,
// connection (the *N, when present) and msg (the rest of the line).
var NginxError = &Grammar{
	kind:     "nginx_error",
	format:   "nginx_error_grammar",
	names:    []string{"time", "severity", "pid", "tid", "connection", "msg"},
	timeSlot: errTime,
	uaSlot:   -1,
	custom:   matchNginxError,
}

func matchNginxError(s string, i int, st *State) (int, bool, error) {
	j, ok := errorTime.match(s, i, &st.tm)
	if !ok {
		return i, false, nil
	}
	ns, err := st.tm.timeToNS()
	if err != nil {
		return i, false, err
	}
	st.setNum(errTime, ns)
	if j+1 >= len(s) || !isSpace(s[j]) || s[j+1] != '[' {
		return i, false, nil
	}
	j += 2
	ok = false
	for _, l := range errorLevels {
		if strings.HasPrefix(s[j:], l.name) {
			st.setNum(errSeverity, l.sev)
			j += len(l.name)
			ok = true
			break
		}
	}
	if !ok || j+1 >= len(s) || s[j] != ']' || !isSpace(s[j+1]) {
		return i, false, nil
	}
	j += 2
	k := digits(s, j)
	if k == j || k >= len(s) || s[k] != '#' {
		return i, false, nil
	}
	st.setNum(errPid, toNumber(s[j:k]))
	j = k + 1
	k = digits(s, j)
	if k == j || !strings.HasPrefix(s[k:], ": ") {
		return i, false, nil
	}
	st.setNum(errTid, toNumber(s[j:k]))
	j = k + 2
	if j < len(s) && s[j] == '*' {
		if k = digits(s, j+1); k > j+1 && k < len(s) && s[k] == ' ' {
			st.setNum(errConnection, toNumber(s[j+1:k]))
			j = k + 1
		}
	}
	st.setStr(errMsg, j, len(s))
	return len(s), true, nil
}
