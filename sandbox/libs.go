package sandbox

import (
	"math"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/config"
)

// openLib runs one of gopher-lua's library openers and returns the
// library table.
func openLib(L *lua.LState, open lua.LGFunction, name string) *lua.LTable {
	L.Push(L.NewFunction(open))
	L.Push(lua.LString(name))
	L.Call(1, 1)
	mod := L.Get(-1).(*lua.LTable)
	L.Pop(1)
	return mod
}

// openTable is require "table": gopher-lua's table library with a
// size-checked concat.
func (s *Sandbox) openTable(L *lua.LState) lua.LValue {
	mod := openLib(L, lua.OpenTable, lua.TabLibName)
	mod.RawSetString("concat", L.NewFunction(tableConcat))
	return mod
}

// tableConcat is table.concat(t[, sep[, i[, j]]]) as in Lua 5.1, refusing
// a result over the memory limit before building it.
func tableConcat(L *lua.LState) int {
	t := L.CheckTable(1)
	sep := L.OptString(2, "")
	i := L.OptInt(3, 1)
	j := 0
	if L.Get(4) == lua.LNil {
		j = t.Len()
	} else {
		j = L.CheckInt(4)
	}
	if i > j {
		L.Push(lua.LString(""))
		return 1
	}
	size := int64(0)
	for k := i; k <= j; k++ {
		switch v := t.RawGetInt(k).(type) {
		case lua.LString:
			size += int64(len(v))
		case lua.LNumber:
			size += 24
		default:
			L.RaiseError("invalid value (at index %d) in table for 'concat'", k)
		}
		if k < j {
			size += int64(len(sep))
		}
	}
	checkAlloc(L, size)
	var b strings.Builder
	b.Grow(int(size))
	for k := i; k <= j; k++ {
		switch v := t.RawGetInt(k).(type) {
		case lua.LString:
			b.WriteString(string(v))
		case lua.LNumber:
			b.WriteString(numberString(float64(v)))
		}
		if k < j {
			b.WriteString(sep)
		}
	}
	L.Push(lua.LString(b.String()))
	return 1
}

// openMath is require "math": gopher-lua's math library with math.huge =
// +inf (gopher-lua has the largest float) and the lua_sandbox additions
// math.erf and math.erfc.
func (s *Sandbox) openMath(L *lua.LState) lua.LValue {
	mod := openLib(L, lua.OpenMath, lua.MathLibName)
	mod.RawSetString("huge", lua.LNumber(math.Inf(1)))
	mod.RawSetString("erf", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LNumber(math.Erf(float64(L.CheckNumber(1)))))
		return 1
	}))
	mod.RawSetString("erfc", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LNumber(math.Erfc(float64(L.CheckNumber(1)))))
		return 1
	}))
	return mod
}

// openOS is require "os": clock, date, difftime and time for every type
// (dates in UTC); getenv, execute, remove, rename and tmpname for input
// and output plugins too. exit and setlocale are gone everywhere.
func (s *Sandbox) openOS(L *lua.LState) lua.LValue {
	mod := openLib(L, lua.OpenOs, lua.OsLibName)
	for _, name := range []string{"exit", "setlocale", "setenv"} {
		mod.RawSetString(name, lua.LNil)
	}
	if s.typ == config.Analysis {
		for _, name := range []string{"getenv", "execute", "remove", "rename", "tmpname"} {
			mod.RawSetString(name, lua.LNil)
		}
	}
	mod.RawSetString("date", L.NewFunction(osDate))
	mod.RawSetString("time", L.NewFunction(osTime))
	mod.RawSetString("difftime", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LNumber(float64(L.CheckNumber(1)) - float64(L.OptNumber(2, 0))))
		return 1
	}))
	return mod
}

// osDate is os.date([format[, time]]) in UTC (the reference forces
// TZ=UTC). A leading "!" is accepted and changes nothing.
func osDate(L *lua.LState) int {
	format := L.OptString(1, "%c")
	t := time.Now().UTC()
	if L.Get(2) != lua.LNil {
		sec := float64(L.CheckNumber(2))
		t = time.Unix(int64(math.Floor(sec)), 0).UTC()
	}
	format = strings.TrimPrefix(format, "!")
	if strings.HasPrefix(format, "*t") {
		tb := L.NewTable()
		tb.RawSetString("year", lua.LNumber(t.Year()))
		tb.RawSetString("month", lua.LNumber(t.Month()))
		tb.RawSetString("day", lua.LNumber(t.Day()))
		tb.RawSetString("hour", lua.LNumber(t.Hour()))
		tb.RawSetString("min", lua.LNumber(t.Minute()))
		tb.RawSetString("sec", lua.LNumber(t.Second()))
		tb.RawSetString("wday", lua.LNumber(int(t.Weekday())+1))
		tb.RawSetString("yday", lua.LNumber(t.YearDay()))
		tb.RawSetString("isdst", lua.LFalse)
		L.Push(tb)
		return 1
	}
	L.Push(lua.LString(strftime(format, t)))
	return 1
}

var (
	shortDays   = []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	longDays    = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	shortMonths = []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	longMonths  = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
)

// strftime formats t as C's strftime does in the C locale, for the
// conversions of C99 and the common glibc ones.
func strftime(format string, t time.Time) string {
	var b []byte
	two := func(n int) { b = append(b, byte('0'+n/10%10), byte('0'+n%10)) }
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 == len(format) {
			b = append(b, c)
			continue
		}
		i++
		switch format[i] {
		case 'a':
			b = append(b, shortDays[t.Weekday()]...)
		case 'A':
			b = append(b, longDays[t.Weekday()]...)
		case 'b', 'h':
			b = append(b, shortMonths[t.Month()-1]...)
		case 'B':
			b = append(b, longMonths[t.Month()-1]...)
		case 'c':
			b = append(b, strftime("%a %b %e %H:%M:%S %Y", t)...)
		case 'C':
			two(t.Year() / 100)
		case 'd':
			two(t.Day())
		case 'D':
			b = append(b, strftime("%m/%d/%y", t)...)
		case 'e':
			if t.Day() < 10 {
				b = append(b, ' ', byte('0'+t.Day()))
			} else {
				two(t.Day())
			}
		case 'F':
			b = append(b, strftime("%Y-%m-%d", t)...)
		case 'g':
			y, _ := t.ISOWeek()
			two(y % 100)
		case 'G':
			y, _ := t.ISOWeek()
			b = strconv.AppendInt(b, int64(y), 10)
		case 'H':
			two(t.Hour())
		case 'I':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			two(h)
		case 'j':
			d := t.YearDay()
			b = append(b, byte('0'+d/100), byte('0'+d/10%10), byte('0'+d%10))
		case 'k':
			b = append(b, strconv.Itoa(t.Hour())...)
		case 'l':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			if h < 10 {
				b = append(b, ' ')
			}
			b = strconv.AppendInt(b, int64(h), 10)
		case 'm':
			two(int(t.Month()))
		case 'M':
			two(t.Minute())
		case 'n':
			b = append(b, '\n')
		case 'p':
			if t.Hour() < 12 {
				b = append(b, "AM"...)
			} else {
				b = append(b, "PM"...)
			}
		case 'r':
			b = append(b, strftime("%I:%M:%S %p", t)...)
		case 'R':
			b = append(b, strftime("%H:%M", t)...)
		case 's':
			b = strconv.AppendInt(b, t.Unix(), 10)
		case 'S':
			two(t.Second())
		case 't':
			b = append(b, '\t')
		case 'T', 'X':
			b = append(b, strftime("%H:%M:%S", t)...)
		case 'u':
			wd := int(t.Weekday())
			if wd == 0 {
				wd = 7
			}
			b = strconv.AppendInt(b, int64(wd), 10)
		case 'U':
			two((t.YearDay() + 6 - int(t.Weekday())) / 7)
		case 'V':
			_, w := t.ISOWeek()
			two(w)
		case 'w':
			b = strconv.AppendInt(b, int64(t.Weekday()), 10)
		case 'W':
			two((t.YearDay() + 6 - (int(t.Weekday())+6)%7) / 7)
		case 'x':
			b = append(b, strftime("%m/%d/%y", t)...)
		case 'y':
			two(t.Year() % 100)
		case 'Y':
			b = strconv.AppendInt(b, int64(t.Year()), 10)
		case 'z':
			b = append(b, "+0000"...)
		case 'Z':
			b = append(b, "UTC"...)
		case '%':
			b = append(b, '%')
		default:
			b = append(b, '%', format[i])
		}
	}
	return string(b)
}

// osTime is os.time([t]): now, or the table's date read as UTC (fields
// out of range are normalised, as mktime does).
func osTime(L *lua.LState) int {
	if L.Get(1) == lua.LNil {
		L.Push(lua.LNumber(time.Now().Unix()))
		return 1
	}
	tb := L.CheckTable(1)
	field := func(name string, def int, required bool) int {
		v := tb.RawGetString(name)
		if n, ok := v.(lua.LNumber); ok {
			return int(n)
		}
		if s, ok := v.(lua.LString); ok {
			if n, err := strconv.ParseFloat(strings.TrimSpace(string(s)), 64); err == nil {
				return int(n)
			}
		}
		if required {
			L.RaiseError("field '%s' missing in date table", name)
		}
		return def
	}
	sec := field("sec", 0, false)
	min := field("min", 0, false)
	hour := field("hour", 12, false)
	day := field("day", 0, true)
	month := field("month", 0, true)
	year := field("year", 0, true)
	t := time.Date(year, time.Month(month), day, hour, min, sec, 0, time.UTC)
	L.Push(lua.LNumber(t.Unix()))
	return 1
}
