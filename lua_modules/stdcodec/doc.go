// Package stdcodec is the Go side of the standard decoder modules written
// in Lua (lua_modules/lua/io_modules/decoders/): it registers with package
// decoder the Go-native decoders of the same names, so that an input
// reading records in Go (the logstreamer, the syslog listener) decodes
// them without a Lua call per record. Each gives the message its Lua
// module injects:
//
//   - decoders.payload: the record is the Payload; the headers are the
//     caller's defaults.
//   - decoders.heka.protobuf: the record is a Heka message, protobuf
//     encoded; it replaces the defaults entirely. A record that does not
//     decode (message.Decode, strict) is an error wrapping
//     decoder.ErrNoMatch.
package stdcodec
