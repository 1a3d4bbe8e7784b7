package test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sightline/sightline/cursor"
	"github.com/sightline/sightline/queue"
)

// Bad input (ARCHITECTURE.md rule 7): malformed configs, Lua that does not
// compile, damaged queue files, a full disk and unsafe permissions each
// give a clear error, and nothing acknowledged is lost.

// runBad runs `sightline <args>` in dir, expects exit 1 within a few
// seconds and returns its stderr and stdout (where check reports).
func runBad(t *testing.T, dir string, args ...string) string {
	t.Helper()
	t0 := time.Now()
	p := startCmd(t, dir, args...)
	code := p.wait(t, 30*time.Second)
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("%v took %v to fail, want a quick exit", args, d)
	}
	if code != 1 {
		t.Errorf("%v: exit %d, want 1; stderr:\n%s", args, code, p.stderr)
	}
	return p.stderr.String() + p.stdout.String()
}

// TestBadMainConfig: a main config that does not parse or holds a bad key
// stops `run` and `check` with exit 1 and an error naming file:line (and
// the key, where there is one).
func TestBadMainConfig(t *testing.T) {
	const head = "output_path = \"output\"\nsandbox_run_path = \"run\"\nsandbox_install_path = \"\"\n"
	cases := []struct {
		name, file, body string
		want             []string // all in stderr
		key              string   // the key the error should name; not required when noKey
		noKey            bool     // no key can be named (Lua syntax and runtime errors)
	}{
		{name: "toml-syntax", file: "syn.toml", body: head + "output_size = 64 KiB\nmax_message_size = 1024\n", want: []string{"syn.toml:4:"}, key: "output_size"},
		{name: "toml-unknown-key", file: "unk.toml", body: head + "output_szie = 5\n", want: []string{"unk.toml:4:", "output_szie", "unknown key"}, key: "output_szie"},
		{name: "toml-bad-type", file: "typ.toml", body: head + "analysis_threads = \"two\"\n", want: []string{"typ.toml:4:", "analysis_threads", "two"}, key: "analysis_threads"},
		{name: "toml-bad-size", file: "size.toml", body: head + "output_size = \"lots\"\n", want: []string{"size.toml:4:", "output_size"}, key: "output_size"},
		{name: "cfg-syntax", file: "syn.cfg", body: head + "output_size = = 1\nmax_message_size = 1024\n", want: []string{"syn.cfg:4:", "syntax error"}, noKey: true},
		{name: "cfg-runtime-error", file: "rt.cfg", body: head + "output_size = nil + 1\n", want: []string{"rt.cfg:4:"}, noKey: true},
		{name: "cfg-unknown-key", file: "unk.cfg", body: head + "output_szie = 5\n", want: []string{"unk.cfg:4:", "output_szie", "unknown key"}, key: "output_szie"},
		{name: "cfg-bad-type", file: "typ.cfg", body: head + "output_size = {1, 2}\n", want: []string{"typ.cfg:4:", "output_size", "wrong type"}, key: "output_size"},
		{name: "cfg-syntax-at-eof", file: "eof.cfg", body: head + "max_message_size = 1 +\n", want: []string{"eof.cfg:4:"}, noKey: true},
	}
	dir := t.TempDir()
	tree := map[string]string{"run/input/.keep": "", "run/analysis/.keep": "", "run/output/.keep": ""}
	for _, c := range cases {
		tree[c.file] = c.body
	}
	files(t, dir, tree)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, cmd := range []string{"run", "check"} {
				stderr := runBad(t, dir, cmd, "-config", c.file)
				for _, w := range c.want {
					if !strings.Contains(stderr, w) {
						t.Errorf("%s: stderr %q, want %q", cmd, stderr, w)
					}
				}
				if !c.noKey && !strings.Contains(stderr, c.key) {
					t.Errorf("%s: stderr %q does not name the key %q", cmd, stderr, c.key)
				}
			}
		})
	}
}

// TestBadPluginConfig: plugins with a bad key, a bad matcher or Lua that
// does not compile are refused, with the reason (file:line) in
// run/<type>/<name>.err, while the good pipeline next to them delivers
// every message.
func TestBadPluginConfig(t *testing.T) {
	const n = 2000
	dir := t.TempDir()
	tree := map[string]string{
		"sightline.toml":    mainConfig(`output_size = "64KiB"`),
		"run/input/gen.cfg": fmt.Sprintf("filename = \"gen.lua\"\ncount = %d\n", n),
		// A bad key in an input, an output and an analysis plugin.
		"run/input/badin.cfg":        "filename = \"gen.lua\"\ncount = 5\ninstruction_limit = \"x\"\n",
		"run/output/badkey.toml":     "filename = \"record.lua\"\nmessage_matcher = \"TRUE\"\nrecord = \"bad.txt\"\nticker_interval = \"often\"\n",
		"run/output/badmatch.cfg":    "filename = \"record.lua\"\nrecord = \"bad.txt\"\nmessage_matcher = \"Type ==\"\n",
		"run/analysis/badtype.cfg":   "filename = \"double.lua\"\nmessage_matcher = \"TRUE\"\nprocess_message_inject_limit = {}\n",
		"run/analysis/broken.cfg":    "filename = \"broken.lua\"\nmessage_matcher = \"TRUE\"\n",
		"run/analysis/broken.lua":    "function process_message()\n    return 0\nend end\nfunction timer_event() end\n",
		"run/output/brokenout.cfg":   "filename = \"brokenout.lua\"\nmessage_matcher = \"TRUE\"\n",
		"run/output/brokenout.lua":   "require \"io\"\nfunction process_message(\n    return 0\nend\n",
		"run/analysis/missing.cfg":   "filename = \"nosuch.lua\"\nmessage_matcher = \"TRUE\"\n",
		"run/input/badsyntax.cfg":    "filename = \"gen.lua\"\ncount = = 5\n",
		"run/output/badsyntax2.toml": "filename = \"record.lua\"\nmessage_matcher = \"TRUE\"\nrecord = [\n",
	}
	for k, v := range pipelinePlugins {
		tree[k] = v
	}
	files(t, dir, tree)
	in, an := filepath.Join(dir, "in.txt"), filepath.Join(dir, "an.txt")
	p := start(t, dir, filepath.Join(dir, "sightline.toml"))
	ok := waitFor(func() bool { return len(readLines(t, in)) >= n && len(readLines(t, an)) >= n }, 60*time.Second)
	time.Sleep(200 * time.Millisecond)
	p.stop(t)
	if !ok {
		t.Fatalf("good pipeline: in %d, an %d lines, want %d; stderr:\n%s", len(readLines(t, in)), len(readLines(t, an)), n, p.stderr)
	}
	checkNumbers(t, "input", readLines(t, in), n, 1)
	checkNumbers(t, "analysis", readLines(t, an), n, 2)
	if lines := readLines(t, filepath.Join(dir, "bad.txt")); len(lines) != 0 {
		t.Errorf("a refused output delivered %d messages", len(lines))
	}

	for _, c := range []struct{ err, want string }{
		{"run/input/badin.err", `badin.cfg:3: instruction_limit`},
		{"run/output/badkey.err", `badkey.toml:4: ticker_interval`},
		{"run/output/badmatch.err", `badmatch.cfg:3: message_matcher`},
		{"run/analysis/badtype.err", `badtype.cfg:3: process_message_inject_limit`},
		{"run/analysis/broken.err", `broken\.lua(:3| line:3)`},
		{"run/output/brokenout.err", `brokenout\.lua(:3| line:3)`},
		{"run/analysis/missing.err", `nosuch\.lua`},
		{"run/input/badsyntax.err", `badsyntax\.cfg:2:`},
		{"run/output/badsyntax2.err", `badsyntax2\.toml:3:`},
	} {
		data, err := os.ReadFile(filepath.Join(dir, c.err))
		if err != nil {
			t.Errorf("%s: %v; stderr:\n%s", c.err, err, p.stderr)
			continue
		}
		if !regexp.MustCompile(c.want).Match(data) {
			t.Errorf("%s = %q, want it to match %q", c.err, data, c.want)
		}
		name := strings.TrimSuffix(filepath.Base(c.err), ".err")
		if !strings.Contains(p.stderr.String(), "."+name) {
			t.Errorf("the log does not name plugin %s", name)
		}
	}
}

// badFrame is one stream frame in a queue segment: the offset of its 0x1e and
// of the byte after it.
type badFrame struct{ start, end int }

// badFrames parses a segment's Heka stream frames (1e hlen header 1f message,
// header 08 varint(length) [3d crc32c]).
func badFrames(t *testing.T, data []byte) []badFrame {
	t.Helper()
	var out []badFrame
	for off := 0; off < len(data); {
		if data[off] != 0x1e || off+2 > len(data) {
			t.Fatalf("no frame at offset %d", off)
		}
		hlen := int(data[off+1])
		h := data[off+2 : off+2+hlen]
		if h[0] != 0x08 {
			t.Fatalf("frame at %d: header starts %#x", off, h[0])
		}
		mlen, k := binary.Uvarint(h[1:])
		if k <= 0 || data[off+2+hlen] != 0x1f {
			t.Fatalf("frame at %d: bad header", off)
		}
		end := off + 3 + hlen + int(mlen)
		out = append(out, badFrame{off, end})
		off = end
	}
	return out
}

// badSegments returns the segment ids of a queue directory, oldest first.
func badSegments(t *testing.T, dir string) []int {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int
	for _, e := range entries {
		if id, err := strconv.Atoi(strings.TrimSuffix(e.Name(), ".log")); err == nil && strings.HasSuffix(e.Name(), ".log") {
			ids = append(ids, id)
		}
	}
	sort.Ints(ids)
	return ids
}

var badGenLua = `
require "string"
require "os"
local payload = string.rep("x", read_config("payload") or 20)
local pause = read_config("pause_every")
function process_message(cp)
    for i = (cp or 0) + 1, read_config("count") do
        if pause and i % pause == 0 then os.execute("sleep 0.05") end
        local ok = pcall(inject_message, {Type = "seq", Payload = payload, Fields = {seq = {value = i, value_type = 2}}}, i)
        if not ok then return -1, "inject failed at " .. i end
    end
    return 0
end
`

var badRecordLua = `
require "io"
local file = assert(io.open(read_config("record"), "a"))
function process_message()
    file:write(tostring(read_message("Fields[seq]")), "\n")
    file:flush()
    return 0
end
function timer_event(ns, shutdown) end
`

// TestQueueGarbage: a finished segment damaged in the middle (bytes
// overwritten, garbage inserted) and garbage after the last one: a new
// output reading from the oldest segment gets every undamaged message and
// nothing else, and the damage is logged with segment and offset.
func TestQueueGarbage(t *testing.T) {
	const n = 3000
	dir := t.TempDir()
	files(t, dir, map[string]string{
		"sightline.toml":        mainConfig(`output_size = "16KiB"`, `checkpoint_interval = "100ms"`),
		"run/input/gen.cfg":     fmt.Sprintf("filename = \"gen.lua\"\ncount = %d\n", n),
		"run/input/gen.lua":     badGenLua,
		"run/output/record.lua": badRecordLua,
		"run/analysis/.keep":    "",
	})
	cfg := filepath.Join(dir, "sightline.toml")
	qdir := filepath.Join(dir, "output", "input")

	// First run: the input only (no reader, and shorter than a prune
	// interval, so every segment stays).
	p := start(t, dir, cfg)
	cp := filepath.Join(dir, "output", "cursors", "input.gen.cp")
	done := waitFor(func() bool {
		st, ok, err := cursor.Load(cp)
		return err == nil && ok && st.Checkpoint.Number == n
	}, 30*time.Second)
	p.stop(t)
	if !done {
		t.Fatalf("input checkpoint did not reach %d; stderr:\n%s", n, p.stderr)
	}

	ids := badSegments(t, qdir)
	if len(ids) < 4 {
		t.Fatalf("%d segments, want at least 4", len(ids))
	}
	var all [][]badFrame
	total := 0
	for _, id := range ids {
		data, err := os.ReadFile(filepath.Join(qdir, fmt.Sprintf("%d.log", id)))
		if err != nil {
			t.Fatal(err)
		}
		f := badFrames(t, data)
		all = append(all, f)
		total += len(f)
	}
	if total != n {
		t.Fatalf("%d frames in the queue, want %d", total, n)
	}

	// Damage the middle segment: overwrite bytes inside frame j's message
	// (its CRC no longer matches) and insert garbage before frame j+3.
	mid := len(ids) / 2
	seq0 := 0 // seq of the middle segment's first frame, minus 1
	for _, f := range all[:mid] {
		seq0 += len(f)
	}
	segPath := filepath.Join(qdir, fmt.Sprintf("%d.log", ids[mid]))
	data, _ := os.ReadFile(segPath)
	fr := all[mid]
	j := len(fr) / 2
	lost := seq0 + j + 1
	over := fr[j].start + (fr[j].end-fr[j].start)/2
	copy(data[over:], bytes.Repeat([]byte{0xff}, 6))
	ins := fr[j+3].start
	garbage := append([]byte("garbage\x1e\x05\x08\x10\x1fgarbage\x1e"), bytes.Repeat([]byte{0xab}, 40)...)
	damaged := append(append(append([]byte{}, data[:ins]...), garbage...), data[ins:]...)
	if err := os.WriteFile(segPath, damaged, 0o640); err != nil {
		t.Fatal(err)
	}
	// Garbage after the last segment's last frame.
	last := filepath.Join(qdir, fmt.Sprintf("%d.log", ids[len(ids)-1]))
	fh, err := os.OpenFile(last, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fh.Write(append([]byte("\x1e\x02\x08\x7f\x1ftrailing garbage"), bytes.Repeat([]byte{0x1e}, 30)...))
	_ = fh.Close()

	// Second run with a new output: no cursor, so it reads from the oldest
	// segment.
	files(t, dir, map[string]string{"run/output/fresh.cfg": "filename = \"record.lua\"\nmessage_matcher = \"TRUE\"\nread_queue = \"input\"\nrecord = \"fresh.txt\"\n"})
	out := filepath.Join(dir, "fresh.txt")
	p = start(t, dir, cfg)
	ok := waitFor(func() bool {
		l := readLines(t, out)
		return len(l) > 0 && l[len(l)-1] == strconv.Itoa(n)
	}, 30*time.Second)
	time.Sleep(300 * time.Millisecond)
	p.stop(t)
	stderr := p.stderr.String()
	if !ok {
		t.Fatalf("fresh output: %d lines, last message never came; stderr:\n%s", len(readLines(t, out)), stderr)
	}
	lines := readLines(t, out)
	var want []string
	for i := 1; i <= n; i++ {
		if i != lost {
			want = append(want, strconv.Itoa(i))
		}
	}
	if len(lines) != len(want) {
		t.Errorf("fresh output: %d lines, want %d (all but seq %d)", len(lines), len(want), lost)
	}
	for i := range min(len(lines), len(want)) {
		if lines[i] != want[i] {
			t.Fatalf("fresh output line %d = %q, want %q (seq %d was damaged)", i+1, lines[i], want[i], lost)
		}
	}

	// The damage is logged with the segment and an offset in the damaged
	// region.
	logged := func(lo, hi int) bool {
		re := regexp.MustCompile(`queue damage skipped.*segment=(\S+) offset=(\d+)`)
		for _, m := range re.FindAllStringSubmatch(stderr, -1) {
			seg := strings.TrimSuffix(filepath.Base(m[1]), ".log")
			off, _ := strconv.Atoi(m[2])
			if seg == strconv.Itoa(ids[mid]) && off >= lo && off <= hi {
				return true
			}
		}
		return false
	}
	if !logged(fr[j].start, over+6) {
		t.Errorf("no damage logged for segment %d at offset %d..%d; stderr:\n%s", ids[mid], fr[j].start, over+6, stderr)
	}
	if !logged(ins, ins+len(garbage)) {
		t.Errorf("no damage logged for segment %d at offset %d (inserted garbage); stderr:\n%s", ids[mid], ins, stderr)
	}
	for _, bad := range []string{"panic", "DATA RACE", "fatal error"} {
		if strings.Contains(stderr, bad) {
			t.Errorf("stderr holds %q:\n%s", bad, stderr)
		}
	}
}

// badFreePort returns a free local TCP address.
func badFreePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// TestDiskFull: output_path on an 8 MiB tmpfs, an input injecting more
// than fits, a stopped output's cursor keeping all of it. The daemon
// reports the failure and keeps running (/healthz 503, the input waits);
// stopped, it exits 1 (its last records could not be synced); after the
// file system grows, a restart delivers every message: nothing whose
// checkpoint was saved is lost. (recover_test.go: recovery without a
// restart.)
func TestDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs")
	}
	dir := t.TempDir()
	mnt := filepath.Join(dir, "mnt")
	if err := os.Mkdir(mnt, 0o750); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=8m,mode=0750", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs (%v: %s); the queue's fault-injecting writer tests cover ENOSPC", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", mnt).Run() })

	const n = 8000 // × ~2 KiB: about 16 MiB, twice the file system
	addr := badFreePort(t)
	files(t, dir, map[string]string{
		"sightline.toml":        fmt.Sprintf("output_path = %q\nsandbox_run_path = \"run\"\nsandbox_install_path = \"\"\noutput_size = \"256KiB\"\ncheckpoint_interval = \"20ms\"\nmetrics_listen = %q\nbackpressure_disk_free = 0\n", mnt, addr),
		"run/input/gen.cfg":     fmt.Sprintf("filename = \"gen.lua\"\ncount = %d\npayload = 2000\npause_every = 250\ninstruction_limit = 0\n", n),
		"run/input/gen.lua":     badGenLua,
		"run/output/record.lua": badRecordLua,
		"run/analysis/.keep":    "",
	})
	cfg := filepath.Join(dir, "sightline.toml")
	// output.rec, stopped, read nothing yet: its cursor keeps every segment.
	if err := os.MkdirAll(filepath.Join(mnt, "cursors"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := cursor.Save(cursor.Path(mnt, "output", "rec"), cursor.State{Queues: map[string]queue.Position{"input": {}}}); err != nil {
		t.Fatal(err)
	}

	p := start(t, dir, cfg)
	var code int
	health := "unreachable"
	full := waitFor(func() bool {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			health = fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(body)))
			return resp.StatusCode == http.StatusServiceUnavailable
		}
		return false
	}, 15*time.Second)
	select {
	case <-p.done:
		t.Errorf("disk full: the daemon exited; it should wait for the disk")
	default:
	}
	if !full {
		t.Errorf("disk full, daemon still running: /healthz %s, want 503", health)
	}
	t.Logf("disk full: daemon kept running, /healthz %s", health)
	_ = p.cmd.Process.Signal(os.Interrupt)
	code = p.wait(t, 30*time.Second)
	stderr := p.stderr.String()
	t.Logf("disk full: exit %d; errors logged:\n%s", code, badGrepLines(stderr, "level=ERROR", "sightline:"))
	if code == 0 {
		t.Errorf("disk full: exit 0, want non-zero")
	}
	if !strings.Contains(stderr, "no space left on device") {
		t.Errorf("disk full: stderr does not say %q:\n%s", "no space left on device", stderr)
	}
	if strings.Contains(stderr, "panic") || strings.Contains(stderr, "DATA RACE") {
		t.Errorf("disk full: stderr:\n%s", stderr)
	}
	st, ok, err := cursor.Load(filepath.Join(mnt, "cursors", "input.gen.cp"))
	if err != nil {
		t.Fatalf("input checkpoint unreadable after the disk filled: %v", err)
	}
	saved := 0
	if ok {
		saved = int(st.Checkpoint.Number)
	}
	t.Logf("disk full: input checkpoint saved at %d of %d", saved, n)
	if saved >= n {
		t.Fatalf("the disk never filled (checkpoint %d)", saved)
	}

	// Make room and restart with an output reading from the oldest segment.
	if out, err := exec.Command("mount", "-o", "remount,size=64m", mnt).CombinedOutput(); err != nil {
		t.Fatalf("remount: %v: %s", err, out)
	}
	files(t, dir, map[string]string{"run/output/rec.cfg": "filename = \"record.lua\"\nmessage_matcher = \"TRUE\"\nread_queue = \"input\"\nrecord = \"rec.txt\"\n"})
	out := filepath.Join(dir, "rec.txt")
	p = start(t, dir, cfg)
	last := strconv.Itoa(n)
	done := waitFor(func() bool {
		l := readLines(t, out)
		return len(l) > 0 && l[len(l)-1] == last
	}, 30*time.Second)
	time.Sleep(200 * time.Millisecond)
	p.stop(t)
	if !done {
		t.Fatalf("after making room: %d lines, message %d never came; stderr:\n%s", len(readLines(t, out)), n, p.stderr)
	}
	seen := make(map[int]bool, n)
	for i, l := range readLines(t, out) {
		v, err := strconv.Atoi(l)
		if err != nil || v < 1 || v > n {
			t.Fatalf("after making room: line %d = %q, not a message number", i+1, l)
		}
		seen[v] = true
	}
	var missing []int
	for i := 1; i <= n; i++ {
		if !seen[i] {
			missing = append(missing, i)
		}
	}
	if len(missing) > 0 {
		t.Errorf("lost %d messages (checkpoint was %d), first %v", len(missing), saved, missing[:min(10, len(missing))])
	}
}

// badGrepLines returns the lines of text holding any of subs.
func badGrepLines(text string, subs ...string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		for _, s := range subs {
			if strings.Contains(l, s) {
				out = append(out, l)
				break
			}
		}
	}
	return strings.Join(out, "\n")
}

// TestUnsafePermissions: a run directory or plugin file writable by group
// or others stops the daemon with exit 1 and an error naming the path and
// the fix.
func TestUnsafePermissions(t *testing.T) {
	cases := []struct {
		name, path string
		mode       os.FileMode
	}{
		{"run-dir-g+w", "run", 0o770},
		{"run-dir-o+w", "run", 0o757},
		{"type-dir-g+w", "run/output", 0o770},
		{"lua-o+w", "run/output/record.lua", 0o646},
		{"cfg-g+w", "run/input/gen.cfg", 0o660},
		{"toml-o+w", "run/output/rec.toml", 0o642},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			files(t, dir, map[string]string{
				"sightline.toml":        mainConfig(),
				"run/input/gen.cfg":     "filename = \"gen.lua\"\ncount = 10\n",
				"run/input/gen.lua":     badGenLua,
				"run/output/rec.toml":   "filename = \"record.lua\"\nmessage_matcher = \"TRUE\"\nrecord = \"rec.txt\"\n",
				"run/output/record.lua": badRecordLua,
				"run/analysis/.keep":    "",
			})
			if err := os.Chmod(filepath.Join(dir, c.path), c.mode); err != nil {
				t.Fatal(err)
			}
			for _, cmd := range []string{"run"} {
				stderr := runBad(t, dir, cmd, "-config", "sightline.toml")
				if !strings.Contains(stderr, filepath.Join(dir, c.path)) && !strings.Contains(stderr, c.path) {
					t.Errorf("%s: stderr %q does not name %s", cmd, stderr, c.path)
				}
				if !strings.Contains(stderr, "chmod go-w") {
					t.Errorf("%s: stderr %q does not say chmod go-w", cmd, stderr)
				}
			}
			if lines := readLines(t, filepath.Join(dir, "rec.txt")); len(lines) != 0 {
				t.Errorf("refused to start but delivered %d messages", len(lines))
			}
		})
	}
}
