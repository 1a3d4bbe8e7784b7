package fileout

import (
	"fmt"

	"github.com/sightline/sightline/internal/catcmd"
	"github.com/sightline/sightline/message"
)

// Format is how a message becomes a record of a file.
type Format uint8

// The formats (the format option).
const (
	// FormatHeka is the message framed as read_message("framed") gives it
	// (message.AppendFrame: header with length and CRC-32C).
	FormatHeka Format = iota + 1
	// FormatPayload is the Payload (empty when absent) and the delimiter.
	FormatPayload
	// FormatJSON is one JSON object and a newline, as `sightline cat
	// -format json` prints it.
	FormatJSON
	// FormatText is lsb_heka_cat's text form and a blank line, as
	// `sightline cat` prints it.
	FormatText
	// FormatRaw is the data given (an encoder's output) and the
	// delimiter.
	FormatRaw
)

var formatNames = map[string]Format{
	"heka":    FormatHeka,
	"framed":  FormatHeka,
	"payload": FormatPayload,
	"json":    FormatJSON,
	"text":    FormatText,
	"raw":     FormatRaw,
}

// ParseFormat parses a format name: heka (or framed), payload, json, text
// or raw.
func ParseFormat(s string) (Format, error) {
	if f, ok := formatNames[s]; ok {
		return f, nil
	}
	return 0, fmt.Errorf("unknown format %q (heka, payload, json, text or raw)", s)
}

// String returns the format's name.
func (f Format) String() string {
	switch f {
	case FormatHeka:
		return "heka"
	case FormatPayload:
		return "payload"
	case FormatJSON:
		return "json"
	case FormatText:
		return "text"
	case FormatRaw:
		return "raw"
	}
	return fmt.Sprintf("Format(%d)", uint8(f))
}

// usesDelim reports whether the format ends records with the delimiter
// option (the others end their records themselves).
func (f Format) usesDelim() bool { return f == FormatPayload || f == FormatRaw }

// tail is how a torn record at the end of a file in format f looks.
func (f Format) tail(delim []byte) Tail {
	switch f {
	case FormatHeka:
		return Tail{Frames: true}
	case FormatJSON:
		return Tail{Delim: []byte("\n")}
	case FormatPayload, FormatRaw:
		return Tail{Delim: delim}
	}
	return Tail{} // text: records span lines, and are for people
}

// AppendRecord appends the record of message v in format f (not
// FormatRaw) to dst; delim ends a payload.
func AppendRecord(dst []byte, f Format, v *message.View, delim []byte) []byte {
	switch f {
	case FormatHeka:
		return message.AppendFrame(dst, v.Raw())
	case FormatPayload:
		dst = append(dst, v.Payload()...)
		return append(dst, delim...)
	case FormatJSON:
		return catcmd.AppendJSON(dst, v)
	case FormatText:
		return catcmd.AppendText(dst, v)
	}
	return dst
}
