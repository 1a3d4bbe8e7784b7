package catcmd

import "github.com/sightline/sightline/message"

// AppendText appends v in lsb_heka_cat's text form, byte for byte what
// `sightline cat` prints (package doc), blank line included: for plugins
// that print messages the same way.
func AppendText(dst []byte, v *message.View) []byte { return appendText(dst, v) }

// AppendJSON appends v as one line of JSON, newline included, exactly as
// `sightline cat -format json` prints it (package doc).
func AppendJSON(dst []byte, v *message.View) []byte { return appendJSON(dst, v) }
