package cjson

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/config"
	"github.com/sightline/sightline/message"
	"github.com/sightline/sightline/sandbox"
)

// newLua returns a bare gopher-lua state with the module opened as
// require does (global cjson set).
func newLua(t testing.TB) *lua.LState {
	t.Helper()
	L := lua.NewState()
	t.Cleanup(L.Close)
	L.Push(L.NewFunction(Open))
	L.Push(lua.LString(Name))
	L.Call(1, 1)
	L.Pop(1)
	return L
}

// eval runs a Lua expression and returns its value.
func eval(t testing.TB, L *lua.LState, expr string) (lua.LValue, error) {
	t.Helper()
	if err := L.DoString("__r = " + expr); err != nil {
		return nil, err
	}
	return L.GetGlobal("__r"), nil
}

func TestEncode(t *testing.T) {
	cases := []struct{ name, lua, want string }{
		{"string", `"hello"`, `"hello"`},
		{"escapes", `"q\" b\\ s/ \b\f\n\r\t \1\31 \127 é"`, `"q\" b\\ s\/ \b\f\n\r\t \u0001\u001f \u007f é"`},
		{"nul byte", `"a\0b"`, `"a\u0000b"`},
		{"invalid utf8 passes", `"\255\254"`, "\"\xff\xfe\""},
		{"integer", `42`, `42`},
		{"negative", `-7`, `-7`},
		{"negative zero", `-0.0`, `-0`},
		{"fraction", `0.1`, `0.1`},
		{"third", `1/3`, `0.33333333333333`},
		{"14 digits", `12345678901234`, `12345678901234`},
		{"15 digits", `123456789012345`, `1.2345678901234e+14`},
		{"1e14", `1e14`, `1e+14`},
		{"small", `0.00001`, `1e-05`},
		{"0.0001", `0.0001`, `0.0001`},
		{"big", `2^53`, `9.007199254741e+15`},
		{"ns timestamp", `1392050801000000000`, `1.392050801e+18`},
		{"true", `true`, `true`},
		{"false", `false`, `false`},
		{"nil", `nil`, `null`},
		{"null", `cjson.null`, `null`},
		{"array", `{1, "two", true}`, `[1,"two",true]`},
		{"nested", `{a = {b = {c = {1, {d = "x"}}}}}`, `{"a":{"b":{"c":[1,{"d":"x"}]}}}`},
		{"insertion order", `(function() local t = {} t.z = 1 t.a = 2 t.m = 3 return t end)()`, `{"z":1,"a":2,"m":3}`},
		{"empty table", `{}`, `{}`},
		{"empty array part", `{nil}`, `[]`},
		{"emptied array", `(function() local t = {1} t[1] = nil return t end)()`, `[]`},
		{"holes", `{1, nil, 3}`, `[1,null,3]`},
		{"sparse within safe", `{[10] = 1}`, `[null,null,null,null,null,null,null,null,null,1]`},
		{"sparse ratio ok", `{[1] = 1, [2] = 2, [11] = 3, [12] = 4, [13] = 5, [14] = 6, [15] = 7, [16] = 8}`, `[1,2,null,null,null,null,null,null,null,null,3,4,5,6,7,8]`},
		{"mixed keys object", `{1, 2, x = 3}`, `{"1":1,"2":2,"x":3}`},
		{"number keys", `{[1.5] = "a", [-1] = "b", [0] = "c"}`, ``}, // order checked below
		{"object number key", `{[0] = "z"}`, `{"0":"z"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			L := newLua(t)
			v, err := eval(t, L, "cjson.encode("+tc.lua+")")
			if err != nil {
				t.Fatal(err)
			}
			got := string(v.(lua.LString))
			if tc.want == "" {
				for _, part := range []string{`"1.5":"a"`, `"-1":"b"`, `"0":"c"`} {
					if !strings.Contains(got, part) {
						t.Errorf("encode = %s, missing %s", got, part)
					}
				}
				return
			}
			if got != tc.want {
				t.Errorf("encode = %s\nwant     %s", got, tc.want)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	cases := []struct{ name, lua, want string }{
		{"function", `function() end`, "Cannot serialise function: type not supported"},
		{"in table", `{a = print}`, "Cannot serialise function: type not supported"},
		{"nan", `0/0`, "Cannot serialise number: must not be NaN or Infinity"},
		{"inf", `{1/0}`, "Cannot serialise number: must not be NaN or Infinity"},
		{"bool key", `{[true] = 1}`, "Cannot serialise boolean: table key must be a number or string"},
		{"table key", `{[{}] = 1}`, "Cannot serialise table: table key must be a number or string"},
		{"sparse", `{[1] = 1, [100] = 2}`, "Cannot serialise table: excessively sparse array"},
		{"cycle", `(function() local t = {} t.t = t return t end)()`, "Cannot serialise, excessive nesting (1001)"},
		{"thread", `coroutine.create(function() end)`, "Cannot serialise thread: type not supported"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			L := newLua(t)
			_, err := eval(t, L, "cjson.encode("+tc.lua+")")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	t.Run("arguments", func(t *testing.T) {
		L := newLua(t)
		for expr, want := range map[string]string{
			`cjson.encode()`:                     "bad argument #1 to 'encode' (expected 1 argument)",
			`cjson.encode(1, 2)`:                 "bad argument #1 to 'encode' (expected 1 argument)",
			`cjson.decode()`:                     "bad argument #1 to 'decode' (expected 1 argument)",
			`cjson.decode({})`:                   "bad argument #1 to 'decode' (string expected, got table)",
			`cjson.encode_max_depth(0)`:          "bad argument #1 to 'encode_max_depth' (expected integer between 1 and 2147483647)",
			`cjson.encode_number_precision(15)`:  "bad argument #1 to 'encode_number_precision' (expected integer between 1 and 14)",
			`cjson.encode_invalid_numbers("x")`:  "bad argument #1 to 'encode_invalid_numbers' (invalid option 'x')",
			`cjson.decode_null(1, 2)`:            "bad argument #2 to 'decode_null' (found too many arguments)",
			`cjson.encode_sparse_array(nil, -1)`: "bad argument #1 to 'encode_sparse_array' (expected integer between 0 and 2147483647)",
		} {
			if _, err := eval(t, L, expr); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: err = %v, want %q", expr, err, want)
			}
		}
	})
}

func TestSettings(t *testing.T) {
	L := newLua(t)
	err := L.DoString(`
		local function eq(got, want, what)
			assert(got == want, what .. ": got " .. tostring(got) .. ", want " .. tostring(want))
		end
		assert(cjson._NAME == "cjson" and cjson._VERSION == "2.1.0")
		assert(cjson.new == nil, "new is disabled")
		assert(cjson.encode_keep_buffer == nil, "encode_keep_buffer is disabled")

		-- defaults
		local c, r, s = cjson.encode_sparse_array()
		eq(c, false, "convert") eq(r, 2, "ratio") eq(s, 10, "safe")
		eq(cjson.encode_max_depth(), 1000, "encode depth")
		eq(cjson.decode_max_depth(), 1000, "decode depth")
		eq(cjson.encode_number_precision(), 14, "precision")
		eq(cjson.encode_invalid_numbers(), false, "encode invalid")
		eq(cjson.decode_invalid_numbers(), true, "decode invalid")
		eq(cjson.decode_null(), false, "decode null")

		-- sparse arrays
		c, r, s = cjson.encode_sparse_array(true)
		eq(c, true, "convert on")
		eq(cjson.encode({[1] = 1, [100] = 2}), '{"1":1,"100":2}', "converted")
		cjson.encode_sparse_array(false, 0)
		eq(#cjson.encode({[1] = 1, [100] = 2}), 495, "ratio 0 allows any")
		cjson.encode_sparse_array(false, 2, 1000)
		eq(#cjson.encode({[1] = 1, [100] = 2}), 495, "safe 1000")
		cjson.encode_sparse_array(false, 2, 10)

		-- precision
		eq(cjson.encode_number_precision(3), 3, "set precision")
		eq(cjson.encode(math.pi), "3.14", "pi at 3")
		eq(cjson.encode(1234), "1.23e+03", "1234 at 3")
		eq(cjson.encode(123), "123", "123 at 3")
		cjson.encode_number_precision(14)
		eq(cjson.encode(math.pi), "3.1415926535898", "pi at 14")

		-- invalid numbers
		eq(cjson.encode_invalid_numbers(true), true, "on")
		eq(cjson.encode({0/0 ~= 0/0 and 1/0, -1/0}), '[Infinity,-Infinity]', "infinities")
		eq(cjson.encode(0/0), 'NaN', "nan")
		eq(cjson.encode_invalid_numbers("null"), "null", "null setting")
		eq(cjson.encode({1/0, 0/0}), '[null,null]', "as null")
		eq(cjson.encode_invalid_numbers("off"), false, "off")
		eq(cjson.encode_invalid_numbers("on"), true, "on by name")
		cjson.encode_invalid_numbers(false)

		-- depths
		cjson.encode_max_depth(2)
		eq(cjson.encode({{1}}), "[[1]]", "depth 2 ok")
		local ok, err = pcall(cjson.encode, {{{1}}})
		assert(not ok and err:find("Cannot serialise, excessive nesting %(3%)"), err)
		cjson.encode_max_depth(1000)
		cjson.decode_max_depth(2)
		eq(cjson.decode("[[1]]")[1][1], 1, "decode depth 2")
		ok, err = pcall(cjson.decode, "[[[1]]]")
		assert(not ok and err:find("Found too many nested data structures %(3%) at character 3"), err)
		ok, err = pcall(cjson.decode, '{"a":{"b":{}}}')
		assert(not ok and err:find("Found too many nested data structures %(3%) at character 11"), err)
		cjson.decode_max_depth(1000)
	`)
	if err != nil {
		t.Fatal(err)
	}
}

func TestDecode(t *testing.T) {
	// Each JSON text is decoded, then the result encoded again.
	cases := []struct{ name, json, want string }{
		{"object", `{"a":1,"b":"x","c":true,"d":false}`, `{"a":1,"b":"x","c":true,"d":false}`},
		{"whitespace", " \t\r\n[ 1 ,\n 2 ] \n", `[1,2]`},
		{"nested", `{"a":[1,{"b":[[]]},{}],"c":{"d":{"e":"f"}}}`, `{"a":[1,{"b":[[]]},{}],"c":{"d":{"e":"f"}}}`},
		{"null dropped in object", `{"test":1,"null":null}`, `{"test":1}`},
		{"null hole in array", `[1,2,null,4]`, `[1,2,null,4]`},
		{"trailing null", `[1,null]`, `[1]`},
		{"only null", `[null]`, `[]`},
		{"null replaces earlier key", `{"a":1,"a":null}`, `{}`},
		{"duplicate key", `{"a":1,"a":2}`, `{"a":2}`},
		{"empty array", `[]`, `[]`},
		{"empty object", `{}`, `{}`},
		{"top string", `"x"`, `"x"`},
		{"top number", `-12.5e1`, `-125`},
		{"escapes", `"\"\\\/\b\f\n\r\t"`, `"\"\\\/\b\f\n\r\t"`},
		{"unicode bmp", `"\u00e9\u4e2d"`, "\"é中\""},
		{"unicode upper hex", `"\u00E9"`, "\"é\""},
		{"surrogate pair", `"\ud83d\ude00"`, "\"😀\""},
		{"escaped nul", `"a\u0000b"`, `"a\u0000b"`},
		{"raw control char", "\"a\x01b\"", `"a\u0001b"`},
		{"raw utf8", `"héllo"`, `"héllo"`},
		{"nul ends text", "[1]\x00garbage", `[1]`},
		{"big integer", `12345678901234567890`, `1.2345678901235e+19`},
		{"exponent", `1E+2`, `100`},
		{"negative zero", `-0`, `-0`},
		{"leading zero", `007`, `7`},
		{"plus sign", `+5`, `5`},
		{"hex", `0x1A`, `26`},
		{"hex float", `0x1.8p1`, `3`},
		{"negative hex", `-0x10`, `-16`},
		{"minus dot", `-.5`, `-0.5`},
		{"number then dot", `[1.]`, `[1]`},
		{"tiny", `1e-400`, `0`},
		{"key order", `{"z":1,"a":2,"m":3}`, `{"z":1,"a":2,"m":3}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			L := newLua(t)
			L.SetGlobal("text", lua.LString(tc.json))
			v, err := eval(t, L, "cjson.encode(cjson.decode(text))")
			if err != nil {
				t.Fatal(err)
			}
			if got := string(v.(lua.LString)); got != tc.want {
				t.Errorf("%s -> %s, want %s", tc.json, got, tc.want)
			}
		})
	}
}

func TestDecodeValues(t *testing.T) {
	L := newLua(t)
	err := L.DoString(`
		local v = cjson.decode('[ true, { "foo": "bar" } ]')
		assert(v[1] == true and v[2].foo == "bar")
		assert(cjson.decode("null") == nil, "top-level null is nil")
		assert(cjson.decode('{"1":"x"}')["1"] == "x", "keys stay strings")
		assert(cjson.decode(42) == 42, "a number argument is its text")

		local t = cjson.decode('{"test" : 1, "null" : null}')
		assert(t.null == nil, "null not discarded")
		assert(cjson.decode_null(true) == true)
		t = cjson.decode('{"test" : 1, "null" : null}')
		assert(t.null == cjson.null and type(t.null) == "userdata", "null discarded")
		local a = cjson.decode('[null, 2]')
		assert(a[1] == cjson.null and a[2] == 2 and #a == 2)
		assert(cjson.decode("null") == cjson.null)
		assert(cjson.encode(cjson.decode('{"a":null}')) == '{"a":null}')
		cjson.decode_null(false)

		local huge = 1/0
		local inf = cjson.decode("[Infinity, -Infinity, inf, -inf, NaN, nan]")
		assert(inf[1] == huge and inf[2] == -huge and inf[3] == huge and inf[4] == -huge)
		assert(inf[5] ~= inf[5] and inf[6] ~= inf[6])
		assert(cjson.decode("[nan(123)]")[1] ~= cjson.decode("[nan(123)]")[1])
		assert(cjson.decode("[1e999]")[1] == huge)
	`)
	if err != nil {
		t.Fatal(err)
	}
}

func TestDecodeErrors(t *testing.T) {
	cases := []struct{ name, json, want string }{
		{"empty", ``, "Expected value but found T_END at character 1"},
		{"spaces", `   `, "Expected value but found T_END at character 4"},
		{"bad token", `[1, x]`, "Expected value but found invalid token at character 5"},
		{"trailing comma array", `[1,]`, "Expected value but found T_ARR_END at character 4"},
		{"trailing comma object", `{"a":1,}`, "Expected object key string but found T_OBJ_END at character 8"},
		{"missing colon", `{"a" 1}`, "Expected colon but found T_NUMBER at character 6"},
		{"missing comma", `{"a":1 "b":2}`, "Expected comma or object end but found T_STRING at character 8"},
		{"array missing comma", `[1 2]`, "Expected comma or array end but found T_NUMBER at character 4"},
		{"nested mismatch", `{"a":[1}`, "Expected comma or array end but found T_OBJ_END at character 8"},
		{"non string key", `{1:2}`, "Expected object key string but found T_NUMBER at character 2"},
		{"trailing data", `[1] [2]`, "Expected the end but found T_ARR_BEGIN at character 5"},
		{"two values", `1 2`, "Expected the end but found T_NUMBER at character 3"},
		{"unterminated string", `"abc`, "Expected value but found unexpected end of string at character 5"},
		{"nul in string", "\"ab\x00c\"", "Expected value but found unexpected end of string at character 4"},
		{"bad escape", `"a\x"`, "Expected value but found invalid escape code at character 3"},
		{"bad unicode", `"\u12G4"`, "Expected value but found invalid unicode escape code at character 2"},
		{"short unicode", `"\u12"`, "Expected value but found invalid unicode escape code at character 2"},
		{"lone low surrogate", `"\udc00"`, "Expected value but found invalid unicode escape code at character 2"},
		{"high without low", `"\ud800x"`, "Expected value but found invalid unicode escape code at character 2"},
		{"high then non low", `"\ud800\u0041"`, "Expected value but found invalid unicode escape code at character 2"},
		{"lone minus", `-`, "Expected value but found invalid number at character 1"},
		{"bad literal", `tru`, "Expected value but found invalid token at character 1"},
		{"nope", `nope`, "Expected value but found invalid token at character 1"},
		{"single quote", `'a'`, "Expected value but found invalid token at character 1"},
		{"utf16", "\x00[\x00]", "JSON parser does not support UTF-16 or UTF-32"},
		{"utf16le", "[\x00]\x00", "JSON parser does not support UTF-16 or UTF-32"},
		{"colon value", `[:]`, "Expected value but found T_COLON at character 2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			L := newLua(t)
			L.SetGlobal("text", lua.LString(tc.json))
			_, err := eval(t, L, "cjson.decode(text)")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestDecodeStrictNumbers(t *testing.T) {
	L := newLua(t)
	err := L.DoString(`
		assert(cjson.decode_invalid_numbers(false) == false)
		for _, s in ipairs({"+1", "0x10", "01", "-01", "inf", "-Infinity", "NaN", "nan"}) do
			local ok, err = pcall(cjson.decode, s)
			assert(not ok, s .. " accepted")
			local want = (s:find("^[-0-9]") or s == "+1") and "invalid number" or "invalid token"
			if s == "+1" then want = "invalid token" end
			assert(err:find(want, 1, true), s .. ": " .. err)
		end
		assert(cjson.decode("-0.5e-3") == -0.0005)
		assert(cjson.decode("0") == 0)
		assert(cjson.decode("[0]")[1] == 0)
	`)
	if err != nil {
		t.Fatal(err)
	}
}

func TestNumberFormat(t *testing.T) {
	// Values and what C's printf("%.14g") writes for them.
	cases := []struct {
		f    float64
		want string
	}{
		{0, "0"}, {1, "1"}, {-1, "-1"}, {0.5, "0.5"}, {100, "100"},
		{1e13, "10000000000000"}, {99999999999999, "99999999999999"},
		{1e14, "1e+14"}, {1e15, "1e+15"}, {1e100, "1e+100"},
		{1.5e300, "1.5e+300"}, {1e-4, "0.0001"}, {1e-5, "1e-05"},
		{0.1 + 0.2, "0.3"}, {2.0 / 3, "0.66666666666667"},
		{123.456, "123.456"}, {-123.456e-10, "-1.23456e-08"},
		{99999999999999.5, "1e+14"}, {9.99999999999995e-5, "0.0001"},
		{math.MaxFloat64, "1.7976931348623e+308"}, {5e-324, "4.9406564584125e-324"},
		{1234567.0, "1234567"}, {0.000123456789012345, "0.00012345678901234"},
	}
	for _, tc := range cases {
		if got := string(appendNumber(nil, tc.f, 14)); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.f, got, tc.want)
		}
	}
}

func TestStrtod(t *testing.T) {
	cases := []struct {
		s    string
		f    float64
		n    int
		same bool // f compared exactly (NaN excluded)
	}{
		{"12", 12, 2, true}, {"12x", 12, 2, true}, {"-3.5e2,", -350, 6, true},
		{"1e", 1, 1, true}, {"1e+", 1, 1, true}, {"1.e3", 1000, 4, true},
		{".5", 0.5, 2, true}, {".", 0, 0, true}, {"-", 0, 0, true}, {"e5", 0, 0, true},
		{"0x", 0, 1, true}, {"0xg", 0, 1, true}, {"0x1p4", 16, 5, true}, {"0X.8", 0.5, 4, true},
		{"infinity!", math.Inf(1), 8, true}, {"-INF", math.Inf(-1), 4, true},
		{"123456789012345678", 123456789012345678, 18, true},
	}
	for _, tc := range cases {
		f, n := strtod(tc.s)
		if n != tc.n || (tc.same && f != tc.f) {
			t.Errorf("strtod(%q) = %v, %d; want %v, %d", tc.s, f, n, tc.f, tc.n)
		}
	}
	if f, n := strtod("nan(x_1)y"); n != 8 || f == f {
		t.Errorf("strtod(nan(x_1)y) = %v, %d", f, n)
	}
	if f, n := strtod("nan(x"); n != 3 || f == f {
		t.Errorf("strtod(nan(x) = %v, %d", f, n)
	}
}

// A table encoded, decoded and encoded again gives the same text.
func TestRoundTrip(t *testing.T) {
	L := newLua(t)
	err := L.DoString(`
		local msg = {
			Timestamp = 1392050801000000000, Type = "nginx", Hostname = "example.com",
			Fields = {status = 304, remote_addr = "127.0.0.1", bytes = 1413,
				tags = {"a", "b", "é\n"}, nested = {deep = {deeper = {true, false}}},
				empty_list = {nil}, empty_obj = {}, ratio = 0.125, neg = -2.5e-7},
		}
		local s1 = cjson.encode(msg)
		local s2 = cjson.encode(cjson.decode(s1))
		assert(s1 == s2, s1 .. "\n" .. s2)
		local d = cjson.decode(s1)
		assert(d.Fields.tags[3] == "é\n" and d.Fields.neg == -2.5e-7 and d.Timestamp == 1392050801000000000)
	`)
	if err != nil {
		t.Fatal(err)
	}
}

// The limits and the global come from the real sandbox.
func TestSandbox(t *testing.T) {
	run := func(t *testing.T, typ config.PluginType, keys map[string]any, src string) {
		t.Helper()
		dir := t.TempDir()
		file := filepath.Join(dir, "p.lua")
		if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		tab := config.NewTable(filepath.Join(dir, "p.cfg"))
		tab.Set("filename", "p.lua")
		tab.Set("message_matcher", "TRUE")
		for k, v := range keys {
			tab.Set(k, v)
		}
		cfg, err := config.NewPlugin(typ, tab, nil)
		if err != nil {
			t.Fatal(err)
		}
		s, err := sandbox.New(sandbox.Options{Plugin: cfg, LuaFile: file})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close(false)
		var m message.Message
		m.Uuid = message.NewUUID()
		m.Timestamp = 1
		m.SetPayload(`{"a":[1,2,3]}`)
		var v message.View
		if err := v.Reset(m.Encode()); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.ProcessMessage(&v); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("global and limits", func(t *testing.T) {
		run(t, config.Analysis, map[string]any{"output_limit": 1024, "memory_limit": 1 << 20}, `
			require "string"
			local cj = require "cjson"
			assert(cj == cjson, "cjson not creating a global table")
			function process_message()
				local t = cjson.decode(read_message("Payload"))
				assert(#t.a == 3)
				local big = {}
				for i = 1, 200 do big[i] = "0123456789" end
				local ok, err = pcall(cjson.encode, big)
				assert(not ok and err:find("output_limit exceeded"), err)
				for i = 200, 51, -1 do big[i] = nil end
				assert(#cjson.encode(big) < 1024)
				ok, err = pcall(cjson.decode, string.rep(" ", 600 * 1024) .. "1")
				assert(not ok and err:find("not enough memory"), err)
				assert(cjson.decode(string.rep(" ", 400 * 1024) .. "1") == 1)
				return 0
			end
			function timer_event() end`)
	})
	t.Run("no limits", func(t *testing.T) {
		run(t, config.Analysis, map[string]any{"output_limit": 0, "memory_limit": 0}, `
			require "string"
			require "cjson"
			function process_message()
				local ls = string.rep("0123456789", 10)
				local t = {}
				for i = 1, 1000 do t[#t + 1] = ls end
				assert(#cjson.encode(t) == 103001)
				return 0
			end
			function timer_event() end`)
	})
}
