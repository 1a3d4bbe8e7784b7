package logstreamer

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// Sink receives what a Streamer reads.
type Sink interface {
	// Record is one record of stream name, read from file (absolute) at
	// offset off (decompressed bytes). rec is valid only during the call.
	Record(name, file string, off int64, rec []byte) error
	// Checkpoint is the checkpoint of every stream after the records
	// handed to Record so far (EncodeCheckpoint's form).
	Checkpoint(cp string) error
}

// Streamer reads every stream of one config: discovery, positions,
// rotation, records. Its methods are called from one goroutine, except
// Close, which may come from another.
type Streamer struct {
	cfg  *Config
	pat  *Pattern
	log  *slog.Logger
	sink Sink
	now  func() time.Time

	mu      sync.Mutex // held by Poll, Restore and Close
	closed  bool
	streams map[string]*stream
	names   []string // sorted names of streams
	saved   map[string]*Position
	buf     []byte
	win     [HashWindow]byte // the bytes before a read offset, to compare

	split     splitter
	scan      *ScanResult
	lastScan  time.Time
	lastDirs  time.Time
	unsettled bool
	reported  map[string]bool // translation errors already logged, by path
	cpDirty   bool
	restored  bool
	oversized int64
}

// maxFills bounds the buffers read from one stream per Poll, so streams
// take turns.
const maxFills = 8

// minBuffer is the smallest read buffer.
const minBuffer = 256 << 10

// New compiles cfg and runs the first scan: an error (no log directory,
// several files of a stream and no priority) is a config error.
func New(cfg *Config, log *slog.Logger, sink Sink) (*Streamer, error) {
	pat, err := NewPattern(cfg)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Streamer{
		cfg: cfg, pat: pat, log: log, sink: sink, now: time.Now,
		streams: map[string]*stream{}, reported: map[string]bool{},
		buf: make([]byte, max(minBuffer, 2*(cfg.MaxRecordSize+len(cfg.Delimiter)))),
	}
	m.split = newSplitter(cfg)
	m.scan = pat.Scan(m.now())
	for _, e := range m.scan.Errors {
		if errors.Is(e, ErrNoPriority) {
			return nil, fmt.Errorf("%w: priority: %w", ErrConfig, e)
		}
	}
	return m, nil
}

// Pattern returns the compiled matching rules.
func (m *Streamer) Pattern() *Pattern { return m.pat }

// Restore sets the positions of a checkpoint (nil: none; then Heka
// journals in journal_directory are imported) and creates the streams of
// the first scan.
func (m *Streamer) Restore(saved map[string]*Position) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.restored {
		return
	}
	m.restored = true
	if saved == nil {
		saved = map[string]*Position{}
		if m.cfg.JournalDirectory != "" {
			for name := range m.scan.Streams {
				p, err := LoadHekaJournal(m.cfg.JournalDirectory, name, m.pat.Root)
				if err != nil {
					m.log.Warn("logstreamer: Heka journal not imported", "stream", name, "err", err)
					continue
				}
				if p != nil {
					m.log.Info("logstreamer: imported Heka journal", "stream", name, "file", p.File, "seek", p.Seek)
					saved[name] = p
				}
			}
		}
	}
	m.saved = saved
	m.applyScan(m.scan)
	// Streams that the checkpoint knows and the scan did not find keep
	// their position while they may come back.
	for name, p := range saved {
		if _, ok := m.streams[name]; !ok {
			s := m.addStream(name, p)
			s.missingSince = m.now()
		}
	}
	m.cpDirty = true
}

// addStream creates stream name at position p (nil: a new stream).
func (m *Streamer) addStream(name string, p *Position) *stream {
	s := &stream{name: name}
	if p != nil {
		s.pos, s.hasPos = *p, true
	}
	m.streams[name] = s
	m.names = append(m.names, name)
	sort.Strings(m.names)
	return s
}

// applyScan updates every stream's files from a scan: new streams start
// (every scan, inline or periodic, goes through here), streams whose
// files are all gone are retired after rescan_interval.
func (m *Streamer) applyScan(r *ScanResult) {
	for _, e := range r.Errors {
		var fe *FileError
		if errors.As(e, &fe) {
			if m.reported[fe.Path] {
				continue
			}
			m.reported[fe.Path] = true
		}
		m.log.Warn("logstreamer: scan", "err", e)
	}
	for name, files := range r.Streams {
		s := m.streams[name]
		if s == nil {
			s = m.addStream(name, m.saved[name])
			delete(m.saved, name)
			m.cpDirty = true
		}
		s.files = files
		s.aged = false
		s.missingSince = time.Time{}
	}
	var retire []string
	for _, name := range m.names {
		if _, ok := r.Streams[name]; ok {
			continue
		}
		s := m.streams[name]
		s.files = nil
		s.aged = r.Aged[name]
		switch {
		case s.aged || s.f != nil || m.readToEnd():
		case s.missingSince.IsZero():
			s.missingSince = r.Started
		case r.Started.Sub(s.missingSince) >= m.cfg.RescanInterval:
			retire = append(retire, name)
		}
	}
	for _, name := range retire {
		m.log.Info("logstreamer: stream retired: its files are gone", "stream", name)
		delete(m.streams, name)
		i := sort.SearchStrings(m.names, name)
		m.names = append(m.names[:i], m.names[i+1:]...)
		m.cpDirty = true
	}
	m.lastScan = r.Started
	m.scan = r
	m.unsettled = false
	for _, t := range r.Dirs {
		if r.Started.Sub(t) < time.Second {
			m.unsettled = true
		}
	}
}

// rescan scans now.
func (m *Streamer) rescan() {
	m.applyScan(m.pat.Scan(m.now()))
}

// maybeRescan rescans when rescan_interval passed, or when a directory
// of the last scan changed (a file created, renamed or deleted), checked
// at most every check_data_interval.
func (m *Streamer) maybeRescan() {
	now := m.now()
	if now.Sub(m.lastScan) >= m.cfg.RescanInterval {
		m.rescan()
		return
	}
	if now.Sub(m.lastDirs) < m.cfg.CheckDataInterval && !m.readToEnd() {
		return
	}
	m.lastDirs = now
	if m.unsettled {
		m.rescan()
		return
	}
	for dir, t := range m.scan.Dirs {
		fi, err := os.Stat(dir)
		if err != nil || !fi.ModTime().Equal(t) {
			m.rescan()
			return
		}
	}
}

// readToEnd reports the batch behaviour: read what there is, then stop.
func (m *Streamer) readToEnd() bool { return m.cfg.ReadToEnd }

// Poll reads what is new in every stream, hands it to the sink and
// reports whether anything was read. Errors are the sink's.
func (m *Streamer) Poll() (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return false, ErrClosed
	}
	if !m.restored {
		m.mu.Unlock()
		m.Restore(nil)
		m.mu.Lock()
	}
	m.maybeRescan()
	progress := false
	for i := 0; i < len(m.names); i++ {
		s := m.streams[m.names[i]]
		p, err := m.pollStream(s)
		if err != nil {
			return progress, err
		}
		progress = progress || p
	}
	if m.cpDirty {
		if err := m.checkpoint(); err != nil {
			return progress, err
		}
	}
	return progress, nil
}

// ErrClosed is returned by Poll after Close.
var ErrClosed = errors.New("logstreamer: closed")

// checkpoint hands the positions of every stream to the sink.
func (m *Streamer) checkpoint() error {
	m.cpDirty = false
	return m.sink.Checkpoint(m.Checkpoint())
}

// Checkpoint returns the checkpoint of every stream.
func (m *Streamer) Checkpoint() string {
	pos := make(map[string]*Position, len(m.streams)+len(m.saved))
	for name, p := range m.saved {
		pos[name] = p
	}
	for name, s := range m.streams {
		switch {
		case s.start:
			// Nothing handed on since the stream started (again) at
			// its oldest file: a restart starts there too, from the
			// files then.
			delete(pos, name)
		case s.prev != nil:
			pos[name] = s.prev
		case s.hasPos:
			pos[name] = &s.pos
		}
	}
	return EncodeCheckpoint(pos)
}

// Close closes every open file. It is safe to call twice and from
// another goroutine.
func (m *Streamer) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	for _, s := range m.streams {
		s.close()
	}
	return nil
}

// StreamInfo describes one stream for the logstreamer command.
type StreamInfo struct {
	Name  string
	Files []string  // oldest first
	Pos   *Position // nil: none saved
}

// Streams returns the streams of the last scan and the positions of the
// checkpoint (or of initial_tail), sorted by name.
func (m *Streamer) Streams() []StreamInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []StreamInfo
	names := make([]string, 0, len(m.scan.Streams))
	for n := range m.scan.Streams {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		si := StreamInfo{Name: n}
		for _, f := range m.scan.Streams[n] {
			si.Files = append(si.Files, f.Path)
		}
		if s := m.streams[n]; s != nil && s.hasPos {
			p := s.pos
			si.Pos = &p
		} else if p := m.saved[n]; p != nil {
			si.Pos = p
		} else if m.cfg.InitialTail {
			files := m.scan.Streams[n]
			if p, err := m.tailPosition(files[len(files)-1]); err == nil {
				si.Pos = p
			}
		}
		out = append(out, si)
	}
	return out
}

// abs returns the absolute path of a position's file.
func (m *Streamer) abs(file string) string {
	if filepath.IsAbs(file) {
		return file
	}
	return filepath.Join(m.pat.Root, file)
}
