package test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sightline/sightline/cursor"
	"github.com/sightline/sightline/message"
	"github.com/sightline/sightline/queue"
)

// fakeES answers Elasticsearch bulk requests. policy decides, for the
// req-th request (from 1) holding documents ns, the HTTP status and, for
// a 200, each item's status.
type fakeES struct {
	mu       sync.Mutex
	requests int
	maxBatch int         // most documents in one request
	seen     map[int]int // document n → times received
	accepted map[int]int // document n → times answered 201
	actions  map[string]int
	bad      []string
	policy   func(req int, ns []int) (status int, items []int)
}

func newFakeES(policy func(req int, ns []int) (int, []int)) *fakeES {
	return &fakeES{seen: map[int]int{}, accepted: map[int]int{}, actions: map[string]int{}, policy: policy}
}

func (f *fakeES) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil || r.Method != http.MethodPost || r.URL.Path != "/_bulk" || r.Header.Get("Content-Type") != "application/x-ndjson" {
		f.bad = append(f.bad, fmt.Sprintf("%s %s %s: %v", r.Method, r.URL, r.Header.Get("Content-Type"), err))
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	f.requests++
	lines := strings.Split(strings.TrimSuffix(string(body), "\n"), "\n")
	if len(lines)%2 != 0 {
		f.bad = append(f.bad, fmt.Sprintf("odd number of lines: %q", body))
	}
	var ns []int
	for i := 0; i+1 < len(lines); i += 2 {
		f.actions[lines[i]]++
		var doc struct {
			N   int    `json:"n"`
			Msg string `json:"msg"`
		}
		if err := json.Unmarshal([]byte(lines[i+1]), &doc); err != nil || doc.Msg != fmt.Sprintf("message %d", doc.N) {
			f.bad = append(f.bad, fmt.Sprintf("document %q: %v", lines[i+1], err))
			continue
		}
		ns = append(ns, doc.N)
		f.seen[doc.N]++
	}
	f.maxBatch = max(f.maxBatch, len(ns))
	status, items := 200, []int(nil)
	if f.policy != nil {
		status, items = f.policy(f.requests, ns)
	}
	if status != 200 {
		http.Error(w, `{"error":{"type":"test","reason":"policy"}}`, status)
		return
	}
	var out []string
	for i, n := range ns {
		st := 201
		if items != nil {
			st = items[i]
		}
		if st == 201 {
			f.accepted[n]++
			out = append(out, `{"index":{"_index":"test","status":201,"result":"created"}}`)
			continue
		}
		typ := "mapper_parsing_exception"
		if st == 429 {
			typ = "es_rejected_execution_exception"
		}
		out = append(out, fmt.Sprintf(`{"index":{"_index":"test","status":%d,"error":{"type":"%s","reason":"failed to parse document %d"}}}`, st, typ, n))
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	fmt.Fprintf(w, `{"took":3,"errors":%v,"items":[%s]}`, items != nil, strings.Join(out, ","))
}

// snapshot returns copies of the counts.
func (f *fakeES) snapshot() (requests int, seen, accepted map[int]int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	seen, accepted = map[int]int{}, map[int]int{}
	for k, v := range f.seen {
		seen[k] = v
	}
	for k, v := range f.accepted {
		accepted[k] = v
	}
	return f.requests, seen, accepted
}

// esTree is a pipeline: an input injecting n messages whose Payload is a
// JSON document, and the Elasticsearch output sending them to port, in
// batches of 100 (with ticker_interval 0, its timer_event runs only at
// shutdown, so batches are cut by count alone).
func esTree(n int, port string, extra ...string) map[string]string {
	return map[string]string{
		"sightline.toml":     mainConfig(`checkpoint_interval = "100ms"`),
		"run/analysis/.keep": "",
		"run/input/gen.toml": fmt.Sprintf("filename = \"gen.lua\"\ncount = %d\n", n),
		"run/input/gen.lua": `
require "string"
function process_message()
    for i = 1, read_config("count") do
        inject_message({Type = "es", Timestamp = 1700000000e9 + i,
            Payload = string.format('{"n":%d,"msg":"message %d"}', i, i)})
    end
    return 0
end
`,
		"run/output/es.toml": `filename = "elasticsearch_bulk_api.lua"
message_matcher = "Type == 'es'"
address = "127.0.0.1"
port = ` + port + `
timeout = 2
flush_count = 100
flush_on_shutdown = true
` + strings.Join(extra, "\n") + `
[encoders_elasticsearch_common]
es_index_from_timestamp = true
index = "Test-%{Type}-%{%Y.%m.%d}"
type_name = ""
`,
	}
}

// wantAction is the action line every entry must carry.
const wantAction = `{"index":{"_index":"test-es-2023.11.14"}}`

// startES serves f on a new local port.
func startES(t *testing.T, f *fakeES) (port string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: f}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	_, port, _ = net.SplitHostPort(ln.Addr().String())
	return port
}

func checkServer(t *testing.T, f *fakeES) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.bad) > 0 {
		t.Errorf("malformed requests: %q", f.bad[:min(len(f.bad), 3)])
	}
	for a := range f.actions {
		if a != wantAction {
			t.Errorf("action line %s, want %s", a, wantAction)
		}
	}
}

// runOnce runs the tree in batch mode and checks it exits 0.
func runOnce(t *testing.T, tree map[string]string) (dir string, p *proc) {
	t.Helper()
	dir = t.TempDir()
	files(t, dir, tree)
	p = startCmd(t, dir, "run", "-once", "-config", "sightline.toml")
	if code := p.wait(t, 60*time.Second); code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", code, p.stderr)
	}
	return dir, p
}

// messageEnds returns the input queue position after each message, in
// order.
func messageEnds(t *testing.T, dir string) []queue.Position {
	t.Helper()
	segs, err := filepath.Glob(filepath.Join(dir, "output", "input", "*.log"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []uint64
	for _, s := range segs {
		var id uint64
		if _, err := fmt.Sscanf(filepath.Base(s), "%d.log", &id); err == nil {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	var ends []queue.Position
	for _, id := range ids {
		data, err := os.ReadFile(filepath.Join(dir, "output", "input", fmt.Sprintf("%d.log", id)))
		if err != nil {
			t.Fatal(err)
		}
		sc := message.NewScanner(bufio.NewReader(bytes.NewReader(data)), message.ScanOptions{})
		sc.Finish()
		for sc.Next() {
			ends = append(ends, queue.Position{Segment: id, Offset: sc.Offset()})
		}
	}
	return ends
}

// outputCursor returns the output's committed input-queue position.
func outputCursor(t *testing.T, dir string) (queue.Position, bool) {
	t.Helper()
	st, ok, err := cursor.Load(cursor.Path(filepath.Join(dir, "output"), "output", "es"))
	if err != nil {
		t.Fatal(err)
	}
	pos, has := st.Queues["input"]
	return pos, ok && has
}

// TestElasticsearchBulk runs the real binary with the Elasticsearch
// output against a local server speaking the bulk API.
func TestElasticsearchBulk(t *testing.T) {
	t.Run("success", func(t *testing.T) {
		t.Parallel()
		const n = 1000
		f := newFakeES(nil)
		dir, _ := runOnce(t, esTree(n, startES(t, f)))
		checkServer(t, f)
		requests, seen, accepted := f.snapshot()
		if f.maxBatch != 100 || requests != n/100 {
			t.Errorf("%d requests of at most %d documents, want %d of 100 (flush_count)", requests, f.maxBatch, n/100)
		}
		for i := 1; i <= n; i++ {
			if seen[i] != 1 || accepted[i] != 1 {
				t.Fatalf("document %d received %d times, accepted %d, want 1", i, seen[i], accepted[i])
			}
		}
		ends := messageEnds(t, dir)
		if pos, ok := outputCursor(t, dir); len(ends) != n || !ok || pos != ends[n-1] {
			t.Errorf("output cursor %v (%v), want the end of the queue %v", pos, ok, ends[len(ends)-1])
		}
	})

	t.Run("item failures", func(t *testing.T) {
		t.Parallel()
		// Documents n%50 == 0 fail to map (400, for good); n%7 == 0 are
		// refused with 429 the first time, accepted the second.
		const n = 400 // whole batches: the last one too goes through process_message, which retries it
		var mu sync.Mutex
		tries := map[int]int{}
		f := newFakeES(func(_ int, ns []int) (int, []int) {
			mu.Lock()
			defer mu.Unlock()
			items := make([]int, len(ns))
			for i, d := range ns {
				tries[d]++
				switch {
				case d%50 == 0:
					items[i] = 400
				case d%7 == 0 && tries[d] == 1:
					items[i] = 429
				default:
					items[i] = 201
				}
			}
			return 200, items
		})
		dir, p := runOnce(t, esTree(n, startES(t, f)))
		checkServer(t, f)
		_, seen, accepted := f.snapshot()
		for i := 1; i <= n; i++ {
			wantSeen, wantAccepted := 1, 1
			switch {
			case i%50 == 0:
				wantAccepted = 0
			case i%7 == 0:
				wantSeen = 2
			}
			if seen[i] != wantSeen || accepted[i] != wantAccepted {
				t.Errorf("document %d received %d times, accepted %d; want %d, %d", i, seen[i], accepted[i], wantSeen, wantAccepted)
			}
		}
		stderr := p.stderr.String()
		if !strings.Contains(stderr, "documents rejected") || !strings.Contains(stderr, "status 400 mapper_parsing_exception: failed to parse document 50") {
			t.Errorf("rejections not logged with their reason; stderr:\n%s", stderr)
		}
		ends := messageEnds(t, dir)
		if pos, ok := outputCursor(t, dir); !ok || pos != ends[len(ends)-1] {
			t.Errorf("output cursor %v (%v), want %v", pos, ok, ends[len(ends)-1])
		}
		// The rejected documents are the plugin's failures in its stats.
		var row []string
		for _, l := range readLines(t, filepath.Join(dir, "output", "plugins.tsv")) {
			if strings.HasPrefix(l, "output.es\t") {
				row = strings.Split(l, "\t")
			}
		}
		if len(row) < 5 || row[3] != "400" || row[4] != fmt.Sprint(n/50) {
			t.Errorf("plugins.tsv row %q: want 400 messages processed, %d failures", row, n/50)
		}
	})

	t.Run("500 and 429 then success", func(t *testing.T) {
		t.Parallel()
		const n = 300
		f := newFakeES(func(req int, ns []int) (int, []int) {
			switch req {
			case 1:
				return 500, nil
			case 2:
				return 429, nil
			}
			return 200, nil
		})
		dir, _ := runOnce(t, esTree(n, startES(t, f)))
		checkServer(t, f)
		requests, seen, accepted := f.snapshot()
		if requests != n/100+2 {
			t.Errorf("%d requests, want %d: 3 batches, the first sent 3 times", requests, n/100+2)
		}
		for i := 1; i <= n; i++ {
			wantSeen := 1
			if i <= 100 {
				wantSeen = 3
			}
			if seen[i] != wantSeen || accepted[i] != 1 {
				t.Fatalf("document %d received %d times, accepted %d; want %d, 1", i, seen[i], accepted[i], wantSeen)
			}
		}
		ends := messageEnds(t, dir)
		if pos, ok := outputCursor(t, dir); !ok || pos != ends[len(ends)-1] {
			t.Errorf("output cursor %v (%v), want %v", pos, ok, ends[len(ends)-1])
		}
	})

	t.Run("abort on error", func(t *testing.T) {
		t.Parallel()
		f := newFakeES(func(int, []int) (int, []int) { return 500, nil })
		dir := t.TempDir()
		files(t, dir, esTree(100, startES(t, f), "abort_on_error = true", "max_retry = 1"))
		p := startCmd(t, dir, "run", "-once", "-config", "sightline.toml")
		if code := p.wait(t, 60*time.Second); code != 8 {
			t.Fatalf("exit code %d, want 8 (an output terminated); stderr:\n%s", code, p.stderr)
		}
		if requests, _, _ := f.snapshot(); requests != 2 {
			t.Errorf("%d requests, want 2 (max_retry = 1)", requests)
		}
		errFile, err := os.ReadFile(filepath.Join(dir, "run", "output", "es.err"))
		if err != nil || !strings.Contains(string(errFile), "Abort sending 100 messages after 2 attempts") {
			t.Errorf("es.err: %q, %v", errFile, err)
		}
		if pos, ok := outputCursor(t, dir); ok && pos != (queue.Position{}) && !pos.Less(messageEnds(t, dir)[0]) {
			t.Errorf("output cursor %v after the abort: nothing was accepted", pos)
		}
	})

	t.Run("server down then up", func(t *testing.T) {
		t.Parallel()
		const n = 250
		// A port nobody listens on, for now.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		_, port, _ := net.SplitHostPort(addr)
		ln.Close()

		dir := t.TempDir()
		// The last 50 messages go when the timer says so.
		files(t, dir, esTree(n, port, "ticker_interval = 1"))
		p := start(t, dir, "sightline.toml")
		defer func() {
			if p.cmd.ProcessState == nil {
				p.kill(t)
			}
		}()
		// The input is done, and the output has tried and failed for a
		// while: nothing may be committed.
		if !waitFor(func() bool { return len(messageEnds(t, dir)) == n }, 20*time.Second) {
			t.Fatalf("the input did not inject %d messages; stderr:\n%s", n, p.stderr)
		}
		time.Sleep(2500 * time.Millisecond)
		ends := messageEnds(t, dir)
		if pos, ok := outputCursor(t, dir); ok && !pos.Less(ends[0]) {
			t.Fatalf("output cursor at %v with the server down; the first message ends at %v", pos, ends[0])
		}
		if !strings.Contains(p.stderr.String(), "bulk request of 100 documents failed") {
			t.Errorf("the failure is not logged; stderr:\n%s", p.stderr)
		}

		// The server comes up but accepts only the first batch; then it
		// fails every request: the cursor must stop after message 100.
		var mu sync.Mutex
		open := true
		f := newFakeES(func(req int, ns []int) (int, []int) {
			mu.Lock()
			defer mu.Unlock()
			if req == 1 {
				return 200, nil
			}
			if !open {
				return 503, nil
			}
			return 200, nil
		})
		mu.Lock()
		open = false
		mu.Unlock()
		ln, err = net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("port %s taken meanwhile: %v", addr, err)
		}
		srv := &http.Server{Handler: f}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		if !waitFor(func() bool { pos, ok := outputCursor(t, dir); return ok && pos == ends[99] }, 15*time.Second) {
			pos, ok := outputCursor(t, dir)
			t.Fatalf("output cursor %v (%v), want %v after the first batch; stderr:\n%s", pos, ok, ends[99], p.stderr)
		}
		time.Sleep(1500 * time.Millisecond) // a few more failed attempts
		if pos, _ := outputCursor(t, dir); pos != ends[99] {
			t.Fatalf("output cursor moved to %v while the server refuses; want %v", pos, ends[99])
		}

		// Now everything goes through.
		mu.Lock()
		open = true
		mu.Unlock()
		if !waitFor(func() bool { pos, ok := outputCursor(t, dir); return ok && pos == ends[n-1] }, 15*time.Second) {
			pos, ok := outputCursor(t, dir)
			t.Fatalf("output cursor %v (%v), want the end %v; stderr:\n%s", pos, ok, ends[n-1], p.stderr)
		}
		p.stop(t)
		checkServer(t, f)
		_, seen, accepted := f.snapshot()
		for i := 1; i <= n; i++ {
			if accepted[i] != 1 {
				t.Fatalf("document %d accepted %d times (received %d), want 1", i, accepted[i], seen[i])
			}
		}
		if !strings.Contains(p.stderr.String(), "requests succeed again") {
			t.Errorf("the recovery is not logged; stderr:\n%s", p.stderr)
		}
	})
}
