package message

import "time"

// timestampLayout is the text form of timestamps in the reference's
// lsb_heka_cat output: UTC, always nine fractional digits.
const timestampLayout = "2006-01-02T15:04:05.000000000Z"

// FormatTimestamp formats ns (nanoseconds since the Unix epoch) as the
// reference prints timestamps: 2014-02-10T16:46:41.000000000Z.
func FormatTimestamp(ns int64) string {
	return string(AppendTimestamp(make([]byte, 0, len(timestampLayout)), ns))
}

// AppendTimestamp appends the FormatTimestamp form of ns to dst.
func AppendTimestamp(dst []byte, ns int64) []byte {
	return time.Unix(0, ns).UTC().AppendFormat(dst, timestampLayout)
}
