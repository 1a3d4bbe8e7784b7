package message

import (
	"errors"
	"io"

	"google.golang.org/protobuf/encoding/protowire"
)

// Message tags (spec §1.1).
const (
	tagUUID       = 1
	tagTimestamp  = 2
	tagType       = 3
	tagLogger     = 4
	tagSeverity   = 5
	tagPayload    = 6
	tagEnvVersion = 7
	tagPid        = 8
	tagHostname   = 9
	tagFields     = 10
)

// Field tags (spec §1.2).
const (
	ftName           = 1
	ftValueType      = 2
	ftRepresentation = 3
	ftString         = 4
	ftBytes          = 5
	ftInteger        = 6
	ftDouble         = 7
	ftBool           = 8
)

// Wire types (protowire.VarintType, Fixed64Type, BytesType), untyped so
// they can build key bytes and tables.
const (
	wireVarint  = 0
	wireFixed64 = 1
	wireBytes   = 2
)

// Single-byte keys the encoder writes.
const (
	keyUUID       = tagUUID<<3 | wireBytes
	keyTimestamp  = tagTimestamp<<3 | wireVarint
	keyType       = tagType<<3 | wireBytes
	keyLogger     = tagLogger<<3 | wireBytes
	keySeverity   = tagSeverity<<3 | wireVarint
	keyPayload    = tagPayload<<3 | wireBytes
	keyEnvVersion = tagEnvVersion<<3 | wireBytes
	keyPid        = tagPid<<3 | wireVarint
	keyHostname   = tagHostname<<3 | wireBytes
	keyFields     = tagFields<<3 | wireBytes

	keyName           = ftName<<3 | wireBytes
	keyValueType      = ftValueType<<3 | wireVarint
	keyRepresentation = ftRepresentation<<3 | wireBytes
	keyString         = ftString<<3 | wireBytes
	keyBytes          = ftBytes<<3 | wireBytes
	keyInteger        = ftInteger<<3 | wireVarint
	keyIntegerPacked  = ftInteger<<3 | wireBytes
	keyDouble         = ftDouble<<3 | wireFixed64
	keyDoublePacked   = ftDouble<<3 | wireBytes
	keyBool           = ftBool<<3 | wireVarint
	keyBoolPacked     = ftBool<<3 | wireBytes
)

// msgKeyOK[k] and fieldKeyOK[k] tell whether the key byte k is valid at the
// message level and inside a field record. A valid key is one byte (tags
// 1..15) whose wire type is the schema's for its tag; numeric and bool values
// may also be packed (wire type 2).
var msgKeyOK, fieldKeyOK = func() (msg, field [256]bool) {
	for _, k := range []byte{keyUUID, keyTimestamp, keyType, keyLogger, keySeverity,
		keyPayload, keyEnvVersion, keyPid, keyHostname, keyFields} {
		msg[k] = true
	}
	for _, k := range []byte{keyName, keyValueType, keyRepresentation, keyString, keyBytes,
		keyInteger, keyIntegerPacked, keyDouble, keyDoublePacked, keyBool, keyBoolPacked} {
		field[k] = true
	}
	return msg, field
}()

// keyErr returns why the key byte k is not valid at the level described by
// ok (msgKeyOK or fieldKeyOK), and the tag to report.
func keyErr(k byte, ok *[256]bool) (int, error) {
	if k&0x80 != 0 {
		return -1, ErrKey
	}
	tag := int(k >> 3)
	for wt := range byte(8) {
		if ok[byte(tag)<<3|wt] {
			return tag, ErrWireType
		}
	}
	return tag, ErrUnknownTag
}

// valueTag maps a declared value type to the tag that carries its values.
func valueTag(t ValueType) int { return int(t) + ftString }

// decErr builds the error for a problem at offset off of the message.
func decErr(off, field, tag int, err error) error {
	return &DecodeError{Offset: off, Field: field, Tag: tag, Err: err}
}

// varintErr maps a negative protowire length to a sentinel.
func varintErr(n int) error {
	if errors.Is(protowire.ParseError(n), io.ErrUnexpectedEOF) {
		return ErrTruncated
	}
	return ErrVarint
}

// readVarint reads the varint at b[i:]; it returns the value and the offset
// after it.
func readVarint(b []byte, i int) (uint64, int, error) {
	if i < len(b) && b[i] < 0x80 {
		return uint64(b[i]), i + 1, nil
	}
	v, n := protowire.ConsumeVarint(b[i:])
	if n < 0 {
		return 0, i, varintErr(n)
	}
	return v, i + n, nil
}

// readLen reads the length prefix at b[i:] of a length-delimited value and
// checks the value fits in b. It returns the value's start and end offsets.
func readLen(b []byte, i int) (int, int, error) {
	if i < len(b) && b[i] < 0x80 {
		if e := i + 1 + int(b[i]); e <= len(b) {
			return i + 1, e, nil
		}
	}
	return readLongLen(b, i)
}

func readLongLen(b []byte, i int) (int, int, error) {
	v, n := protowire.ConsumeVarint(b[i:])
	if n < 0 {
		return i, i, varintErr(n)
	}
	start := i + n
	if v > uint64(len(b)-start) {
		return start, start, ErrTruncated
	}
	return start, start + int(v), nil
}

// countVarints checks that p is a sequence of valid varints and returns how
// many there are.
func countVarints(p []byte) (int, error) {
	n := 0
	for i := 0; i < len(p); {
		if p[i] < 0x80 { // fast path: one-byte varint
			i++
			n++
			continue
		}
		_, m := protowire.ConsumeVarint(p[i:])
		if m < 0 {
			return n, varintErr(m)
		}
		i += m
		n++
	}
	return n, nil
}
