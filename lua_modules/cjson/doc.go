// Package cjson is the cjson module plugins require: Lua CJSON 2.1 as
// lua_sandbox_extensions builds it for the sandbox (spec §6.2), written in
// Go. Every plugin type may require it; requiring it also sets the global
// cjson, as the sandbox build does.
//
//	local cjson = require "cjson"
//	local t = cjson.decode('{"a":[1,2,{"b":null}]}')   -- nulls dropped
//	local s = cjson.encode({msg = "hi", n = 3})        -- {"msg":"hi","n":3}
//
// # API
//
// encode(value) returns the JSON text of a Lua value; decode(text) the Lua
// value of a JSON text. null is the value JSON null decodes to when
// decode_null(true) is set, and encodes as null. The settings, each
// returning the current value(s) after applying its arguments (nil keeps
// a setting):
//
//	encode_sparse_array([convert[, ratio[, safe]]])  false, 2, 10
//	encode_max_depth([depth])                        1000
//	decode_max_depth([depth])                        1000
//	encode_number_precision([1..14])                 14 (numbers as %.14g)
//	encode_invalid_numbers([true|false|"null"])      false
//	decode_invalid_numbers([true|false])             true
//	decode_null([true|false])                        false
//
// _NAME is "cjson", _VERSION "2.1.0". Settings belong to the plugin's Lua
// state.
//
// # The sandbox build's differences from Lua CJSON, kept here
//
//   - JSON null is dropped (an object key is left out, an array slot stays
//     a hole) unless decode_null(true) is set; then it decodes to
//     cjson.null, a userdata.
//   - new() and encode_keep_buffer() do not exist: one parser per state,
//     and the encode buffer is always reused.
//   - encode's output may not be longer than the plugin's output_limit
//     ("Cannot serialise, output_limit exceeded (N bytes)"); decode
//     refuses a text longer than half the plugin's memory_limit ("not
//     enough memory"), and counts what it builds toward the limit.
//   - An empty table that has an array part encodes as [] (a decoded [],
//     a {nil} constructor), any other empty table as {}, so decoded empty
//     arrays round-trip.
//
// Everything else follows Lua CJSON: a table is an array when all its keys
// are positive integers (unless excessively sparse: more than ratio times
// as many slots as items and more than safe slots, an error unless
// convert is set, then an object); object keys may be strings or numbers;
// "/" is escaped as "\/" and DEL as \u007f; bytes over 0x7f pass through
// untouched (no UTF-8 check); numbers are written with
// encode_number_precision significant digits as C's %g; NaN and
// ±Infinity raise an error unless encode_invalid_numbers allows them.
// Decoding accepts what strtod accepts where a number may start,
// hexadecimal, Infinity and NaN included, unless decode_invalid_numbers is
// false; a NUL byte ends the text, as in C; UTF-16 and UTF-32 texts are
// refused. Errors carry Lua CJSON's messages, e.g. "Expected comma or
// object end but found T_ARR_END at character 9".
//
// # Differences from the reference
//
//   - Nesting deeper than 4000 levels is refused whatever the depth
//     settings (Lua 5.1's C stack stops the reference a little earlier).
//   - Objects are written in the order their keys were first set, where
//     the reference follows Lua's hash order.
//   - The output limit applies to the encoded text; the reference also
//     needs six bytes of room per byte of each string it escapes.
package cjson
