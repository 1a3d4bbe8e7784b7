package cjson

import (
	"encoding/json"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// FuzzDecode: decode never panics outside a Lua error, and what it
// accepts encodes to JSON that encoding/json accepts and that decodes to
// the same text again.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		logJSON, `[]`, `{}`, `[1,null,3]`, `"\ud83d\ude00"`, `0x1p3`, `-Infinity`,
		`{"a":{"b":[[[]]]}}`, `"\u00e9\/"`, `[1e400, -0, 1.5e-7]`, "[1]\x00x", `nan(1)`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		L := lua.NewState()
		defer L.Close()
		L.Push(L.NewFunction(Open))
		L.Push(lua.LString(Name))
		L.Call(1, 1)
		L.Pop(1)
		L.SetGlobal("text", lua.LString(text))
		// Invalid numbers are written as null, so the output is strict
		// JSON.
		err := L.DoString(`
			cjson.encode_invalid_numbers("null")
			cjson.encode_sparse_array(true)
			local ok, v = pcall(cjson.decode, text)
			if not ok then
				assert(type(v) == "string", "error is not a string")
				out = nil
				return
			end
			out = cjson.encode(v)
			again = cjson.encode(cjson.decode(out))
		`)
		if err != nil {
			if strings.Contains(err.Error(), "excessive nesting") {
				return // a decoded depth-1000 value is one level too deep to encode with its wrapper
			}
			t.Fatalf("%q: %v", text, err)
		}
		out, ok := L.GetGlobal("out").(lua.LString)
		if !ok {
			return
		}
		if !json.Valid([]byte(out)) {
			t.Fatalf("%q encoded as invalid JSON %q", text, out)
		}
		if again := L.GetGlobal("again"); again != out {
			t.Fatalf("%q: %q then %q", text, out, again)
		}
	})
}
