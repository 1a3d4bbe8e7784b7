package logstreamer

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
)

// HashWindow is how many bytes before a position its hash covers (Heka's
// LINEBUFFERLEN).
const HashWindow = 500

// Hash is the SHA-1 of the HashWindow bytes before a position, left-padded
// with zero bytes when fewer exist.
type Hash [sha1.Size]byte

// ZeroHash is the hash of nothing read: SHA-1 of 500 zero bytes,
// fc56d4b3c72a8bfe593373c740d558ec1340ac73.
var ZeroHash = HashOf(nil)

// HashOf returns the hash of the window ending with tail: its last
// HashWindow bytes, zero-left-padded.
func HashOf(tail []byte) Hash {
	var w [HashWindow]byte
	if len(tail) > HashWindow {
		tail = tail[len(tail)-HashWindow:]
	}
	copy(w[HashWindow-len(tail):], tail)
	return sha1.Sum(w[:])
}

// String returns the hash in lowercase hex, as Heka's last_hash.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// ParseHash reads 40 hex digits.
func ParseHash(s string) (Hash, error) {
	var h Hash
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(h) {
		return h, fmt.Errorf("bad hash %q: want 40 hex digits", s)
	}
	copy(h[:], b)
	return h, nil
}

// Position is a stream's journal: where reading resumes.
type Position struct {
	// File is the file being read, relative to the log directory (or
	// absolute when outside it); "" before the stream has a file.
	File string
	// Seek is the offset after the last record delivered, in decompressed
	// bytes for a gzip file.
	Seek int64
	// Hash is the hash of the HashWindow bytes before Seek.
	Hash Hash
	// Dev and Ino identify the file (0: unknown, as in imported Heka
	// journals).
	Dev, Ino uint64
	// Done says the file was read to its end and then deleted: reading
	// goes on with the next file after it.
	Done bool
}

// sameID reports whether the position's file identity is known and equal
// to dev, ino.
func (p *Position) sameID(dev, ino uint64) bool {
	return p.Ino != 0 && p.Dev == dev && p.Ino == ino
}

// appendJSON appends the position as a JSON object.
func (p *Position) appendJSON(b []byte) []byte {
	b = append(b, `{"file":`...)
	b = strconv.AppendQuote(b, p.File)
	b = append(b, `,"seek":`...)
	b = strconv.AppendInt(b, p.Seek, 10)
	b = append(b, `,"hash":"`...)
	b = hex.AppendEncode(b, p.Hash[:])
	b = append(b, `","dev":`...)
	b = strconv.AppendUint(b, p.Dev, 10)
	b = append(b, `,"ino":`...)
	b = strconv.AppendUint(b, p.Ino, 10)
	if p.Done {
		b = append(b, `,"done":true`...)
	}
	return append(b, '}')
}

// checkpointVersion is the "v" of the checkpoint.
const checkpointVersion = 1

// jsonPosition is the JSON form of a Position in a checkpoint.
type jsonPosition struct {
	File string `json:"file"`
	Seek int64  `json:"seek"`
	Hash string `json:"hash"`
	Dev  uint64 `json:"dev"`
	Ino  uint64 `json:"ino"`
	Done bool   `json:"done"`
}

// EncodeCheckpoint returns the checkpoint of every stream:
// {"v":1,"streams":{"<name>":{"file":...,"seek":...,"hash":...,"dev":...,"ino":...}}},
// streams sorted by name.
func EncodeCheckpoint(pos map[string]*Position) string {
	names := make([]string, 0, len(pos))
	for n := range pos {
		names = append(names, n)
	}
	sort.Strings(names)
	b := []byte(`{"v":1,"streams":{`)
	for i, n := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, n)
		b = append(b, ':')
		b = pos[n].appendJSON(b)
	}
	return string(append(b, "}}"...))
}

// ErrCheckpoint reports a checkpoint that is not a logstreamer's.
var ErrCheckpoint = errors.New("logstreamer: bad checkpoint")

// DecodeCheckpoint reads what EncodeCheckpoint wrote.
func DecodeCheckpoint(s string) (map[string]*Position, error) {
	var cp struct {
		V       int                     `json:"v"`
		Streams map[string]jsonPosition `json:"streams"`
	}
	if err := json.Unmarshal([]byte(s), &cp); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCheckpoint, err)
	}
	if cp.V != checkpointVersion {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrCheckpoint, cp.V, checkpointVersion)
	}
	out := make(map[string]*Position, len(cp.Streams))
	for n, jp := range cp.Streams {
		h, err := ParseHash(jp.Hash)
		if err != nil {
			return nil, fmt.Errorf("%w: stream %s: %w", ErrCheckpoint, n, err)
		}
		if jp.Seek < 0 {
			return nil, fmt.Errorf("%w: stream %s: negative seek", ErrCheckpoint, n)
		}
		out[n] = &Position{File: jp.File, Seek: jp.Seek, Hash: h, Dev: jp.Dev, Ino: jp.Ino, Done: jp.Done}
	}
	return out, nil
}

// LoadHekaJournal reads Heka's journal of stream name in dir:
// {"seek":N,"file_name":"/abs/path","last_hash":"hex"}. A missing, empty
// or blank file gives nil and no error (Heka: a fresh position).
func LoadHekaJournal(dir, name, root string) (*Position, error) {
	data, err := os.ReadFile(filepath.Join(dir, name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	var j struct {
		Seek     int64  `json:"seek"`
		FileName string `json:"file_name"`
		LastHash string `json:"last_hash"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("heka journal %s: %w", filepath.Join(dir, name), err)
	}
	if j.FileName == "" {
		return nil, nil
	}
	h, err := ParseHash(j.LastHash)
	if err != nil {
		return nil, fmt.Errorf("heka journal %s: %w", filepath.Join(dir, name), err)
	}
	return &Position{File: relPath(root, j.FileName), Seek: j.Seek, Hash: h}, nil
}

// gzipMagic starts every gzip file.
var gzipMagic = [2]byte{0x1f, 0x8b}

// isGzip reports whether f starts with the gzip magic bytes.
func isGzip(f *os.File) (bool, error) {
	var m [2]byte
	n, err := f.ReadAt(m[:], 0)
	if n == 2 {
		return m == gzipMagic, nil
	}
	if err == io.EOF {
		return false, nil
	}
	return false, err
}

// HashAt returns the hash of the HashWindow bytes before offset seek of
// the file at path (decompressed for a gzip file), and false when the file
// holds fewer than seek bytes.
func HashAt(path string, seek int64) (Hash, bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return Hash{}, false, err
	}
	defer f.Close()
	return hashAtFile(f, seek)
}

func hashAtFile(f *os.File, seek int64) (Hash, bool, error) {
	win := min(seek, HashWindow)
	buf := make([]byte, win)
	gz, err := isGzip(f)
	if err != nil {
		return Hash{}, false, err
	}
	if !gz {
		n, err := f.ReadAt(buf, seek-win)
		if int64(n) < win {
			if err == io.EOF || err == nil {
				return Hash{}, false, nil
			}
			return Hash{}, false, err
		}
		return HashOf(buf), true, nil
	}
	zr, err := gzip.NewReader(bufio.NewReaderSize(io.NewSectionReader(f, 0, 1<<62), 64<<10))
	if err != nil {
		return Hash{}, false, err
	}
	if _, err := io.CopyN(io.Discard, zr, seek-win); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return Hash{}, false, nil
		}
		return Hash{}, false, err
	}
	if _, err := io.ReadFull(zr, buf); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return Hash{}, false, nil
		}
		return Hash{}, false, err
	}
	return HashOf(buf), true, nil
}
