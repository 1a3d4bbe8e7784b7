package test

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// gatedRecordLua is an output that refuses every message with -3 (retry)
// until the file named by its cfg key "gate" exists, then appends
// Fields[seq] of each message to the file named by "record".
var gatedRecordLua = `
require "io"
local gate = read_config("gate")
local file = assert(io.open(read_config("record"), "a"))
function process_message()
    local g = io.open(gate, "r")
    if not g then return -3 end
    g:close()
    file:write(tostring(read_message("Fields[seq]")), "\n")
    file:flush()
    return 0
end
function timer_event(ns, shutdown) end
`

// mountTmpfs mounts a tmpfs of size on a new directory under dir, or skips
// the test.
func mountTmpfs(t *testing.T, dir, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs")
	}
	mnt := filepath.Join(dir, "mnt")
	if err := os.Mkdir(mnt, 0o750); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0750", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs (%v: %s); queue/recover_test.go covers Recover with injected faults", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", mnt).Run() })
	return mnt
}

// TestRecoverFromDiskFull: output_path on an 8 MiB tmpfs, an input
// injecting twice that, an output that reads nothing until told. The disk
// fills: the daemon keeps running, the input waits, /healthz answers 503
// and sightline_queue_writable is 0. Once the output reads, pruning frees
// the disk and the writer recovers on a new segment by itself, without a
// restart: /healthz 200, writable 1, and every message arrives.
func TestRecoverFromDiskFull(t *testing.T) {
	dir := t.TempDir()
	mnt := mountTmpfs(t, dir, "8m")
	const n = 8000 // × ~2 KiB: about 16 MiB, twice the file system
	addr := freeMetricsAddr(t)
	gate, rec := filepath.Join(dir, "gate"), filepath.Join(dir, "rec.txt")
	files(t, dir, map[string]string{
		"sightline.toml": fmt.Sprintf("output_path = %q\nsandbox_run_path = \"run\"\nsandbox_install_path = \"\"\n"+
			"output_size = \"256KiB\"\ncheckpoint_interval = \"20ms\"\nmetrics_listen = %q\nbackpressure_disk_free = 0\n", mnt, addr),
		"run/input/gen.cfg":  fmt.Sprintf("filename = \"gen.lua\"\ncount = %d\npayload = 2000\npause_every = 250\ninstruction_limit = 0\n", n),
		"run/input/gen.lua":  badGenLua,
		"run/output/rec.cfg": fmt.Sprintf("filename = \"rec.lua\"\nmessage_matcher = \"TRUE\"\nread_queue = \"input\"\ngate = %q\nrecord = %q\n", gate, rec),
		"run/output/rec.lua": gatedRecordLua,
		"run/analysis/.keep": "",
	})
	p := start(t, dir, filepath.Join(dir, "sightline.toml"))
	defer func() {
		if t.Failed() {
			t.Logf("stderr:\n%s", p.stderr)
		}
	}()

	var health, metrics string
	if !waitFor(func() bool {
		var code int
		code, health = httpGet("http://" + addr + "/healthz")
		return code == http.StatusServiceUnavailable
	}, 15*time.Second) {
		p.stop(t)
		t.Fatalf("the disk never filled: /healthz %q", health)
	}
	if !strings.Contains(health, "queue input not writable") || !strings.Contains(health, "no space left on device") {
		t.Errorf("/healthz while the disk is full: %q", health)
	}
	_, metrics = httpGet("http://" + addr + "/metrics")
	if v, ok := metricSample(metrics, `sightline_queue_writable{queue="input"}`); !ok || v != 0 {
		t.Errorf("sightline_queue_writable{queue=\"input\"} = %v (%v) while the disk is full, want 0", v, ok)
	}
	time.Sleep(1500 * time.Millisecond) // a retry or two, in vain
	select {
	case <-p.done:
		t.Fatalf("the daemon exited on a full disk")
	default:
	}
	if code, _ := httpGet("http://" + addr + "/healthz"); code != http.StatusServiceUnavailable {
		t.Fatalf("/healthz %d with the disk still full", code)
	}

	// The output reads: pruning frees the disk, the writer recovers.
	if err := os.WriteFile(gate, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	last := strconv.Itoa(n)
	done := waitFor(func() bool {
		l := readLines(t, rec)
		return len(l) > 0 && l[len(l)-1] == last
	}, 25*time.Second)
	code, health := httpGet("http://" + addr + "/healthz")
	_, metrics = httpGet("http://" + addr + "/metrics")
	p.stop(t)
	if !done {
		t.Fatalf("after the output read: %d lines, message %d never came", len(readLines(t, rec)), n)
	}
	if code != http.StatusOK {
		t.Errorf("/healthz after recovery: %d %q", code, health)
	}
	if v, _ := metricSample(metrics, `sightline_queue_writable{queue="input"}`); v != 1 {
		t.Errorf("sightline_queue_writable{queue=\"input\"} = %v after recovery, want 1", v)
	}
	if v, _ := metricSample(metrics, `sightline_queue_write_recoveries_total{queue="input"}`); v < 1 {
		t.Errorf("sightline_queue_write_recoveries_total{queue=\"input\"} = %v, want >= 1", v)
	}
	stderr := p.stderr.String()
	for _, want := range []string{"queue write failed: injections into the queue wait", "queue writer recovered on a new segment", "queue writable again"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	if strings.Contains(stderr, "panic") || strings.Contains(stderr, "DATA RACE") || strings.Contains(stderr, "msg=terminated") {
		t.Errorf("stderr:\n%s", stderr)
	}
	seen := make(map[int]int, n)
	for i, l := range readLines(t, rec) {
		v, err := strconv.Atoi(l)
		if err != nil || v < 1 || v > n {
			t.Fatalf("line %d = %q, not a message number", i+1, l)
		}
		seen[v]++
	}
	var missing []int
	dups := 0
	for i := 1; i <= n; i++ {
		if seen[i] == 0 {
			missing = append(missing, i)
		}
		dups += max(0, seen[i]-1)
	}
	t.Logf("disk full and recovered: %d messages, %d duplicates", n, dups)
	if len(missing) > 0 {
		t.Errorf("lost %d messages, first %v", len(missing), missing[:min(10, len(missing))])
	}
}

// deriveLua is an analysis plugin that injects one derived message per
// input message, carrying its Fields[seq], and catches a refused
// injection (pcall), returning 0 as if nothing happened.
var deriveLua = `
require "string"
local payload = string.rep("y", read_config("payload"))
function process_message()
    local seq = read_message("Fields[seq]")
    pcall(inject_message, {Type = "derived", Payload = payload, Fields = {seq = {value = seq, value_type = 2}}})
    return 0
end
function timer_event(ns, shutdown) end
`

// TestRefusedAnalysisInjection: an analysis plugin's injections fill a
// tmpfs (its derived messages are 25 times the size of the input's) while
// the only output reading them waits for a gate. Stopped while its
// injection waits for the failed analysis writer, the plugin gets its
// inject_message refused, catches it and returns 0; the space is freed
// just before, so the writer's Recover at shutdown works and the final
// checkpoint tick saves what is durable. The plugin's cursor must not be
// among it past the refused record: after a restart with room and the gate
// open, every derived message arrives (duplicates allowed).
func TestRefusedAnalysisInjection(t *testing.T) {
	dir := t.TempDir()
	mnt := mountTmpfs(t, dir, "8m")
	const n = 3000 // × ~4 KiB derived: about 12 MiB, more than the file system
	// filler is removed just before the stop: the room Recover needs at
	// shutdown, which the maintenance goroutine must not find first.
	filler := filepath.Join(mnt, "filler")
	if err := os.WriteFile(filler, make([]byte, 2<<20), 0o640); err != nil {
		t.Fatal(err)
	}
	gate, rec := filepath.Join(dir, "gate"), filepath.Join(dir, "rec.txt")
	files(t, dir, map[string]string{
		"sightline.toml": fmt.Sprintf("output_path = %q\nsandbox_run_path = \"run\"\nsandbox_install_path = \"\"\n"+
			"output_size = \"256KiB\"\ncheckpoint_interval = \"20ms\"\nbackpressure_disk_free = 0\n", mnt),
		"run/input/gen.cfg":       fmt.Sprintf("filename = \"gen.lua\"\ncount = %d\npayload = 100\ninstruction_limit = 0\n", n),
		"run/input/gen.lua":       badGenLua,
		"run/analysis/derive.cfg": "filename = \"derive.lua\"\nmessage_matcher = \"Type == 'seq'\"\nprocess_message_inject_limit = 1\npayload = 4000\n",
		"run/analysis/derive.lua": deriveLua,
		"run/output/rec.cfg":      fmt.Sprintf("filename = \"rec.lua\"\nmessage_matcher = \"TRUE\"\nread_queue = \"analysis\"\ngate = %q\nrecord = %q\n", gate, rec),
		"run/output/rec.lua":      gatedRecordLua,
	})
	cfg := filepath.Join(dir, "sightline.toml")
	p := startCmd(t, dir, "run", "-config", cfg, "-log-level", "debug")
	defer func() {
		if t.Failed() {
			t.Logf("stderr:\n%s", p.stderr)
		}
	}()

	// The analysis injection waits for the failed writer. Then, right
	// after one of the maintenance goroutine's Recovers failed (the next
	// is RecoverInterval, 3 s, away), free the room and stop the daemon:
	// the waiting injection is refused with the writer still failed.
	notRecovered := func() int {
		return strings.Count(p.stderr.String(), `msg="queue writer not recovered yet" queue=analysis`)
	}
	if !waitFor(func() bool {
		return strings.Contains(p.stderr.String(), `msg="injection waits" plugin=analysis.derive`) && notRecovered() > 0
	}, 15*time.Second) {
		p.stop(t)
		t.Fatal("the analysis injection never waited for the failed writer")
	}
	tries := notRecovered()
	if !waitFor(func() bool { return notRecovered() > tries }, 10*time.Second) {
		p.kill(t)
		t.Fatal("no second Recover of the analysis writer")
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.wait(t, 30*time.Second)
	stderr := p.stderr.String()
	if strings.Contains(stderr, "queue writable again") {
		t.Fatalf("the writer recovered before the stop: no injection was refused, the test proves nothing")
	}
	if strings.Contains(stderr, "panic") || strings.Contains(stderr, "DATA RACE") {
		t.Fatalf("stderr:\n%s", stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "run", "analysis", "derive.err")); err == nil {
		t.Errorf("analysis/derive.err written: the plugin terminated instead of stopping")
	}

	// Room and the gate open: the restart replays the refused records.
	if out, err := exec.Command("mount", "-o", "remount,size=64m", mnt).CombinedOutput(); err != nil {
		t.Fatalf("remount: %v: %s", err, out)
	}
	if err := os.WriteFile(gate, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	first := p.stderr.String()
	p = start(t, dir, cfg)
	seen := make(map[int]int, n)
	tally := func() int {
		clear(seen)
		for _, l := range readLines(t, rec) {
			if v, err := strconv.Atoi(l); err == nil && v >= 1 && v <= n {
				seen[v]++
			}
		}
		return len(seen)
	}
	done := waitFor(func() bool { return tally() == n }, 30*time.Second)
	p.stop(t)
	tally()
	var missing []int
	for i := 1; i <= n; i++ {
		if seen[i] == 0 {
			missing = append(missing, i)
		}
	}
	if !done || len(missing) > 0 {
		t.Logf("first run's stderr:\n%s", badGrepLines(first, "level=ERROR", "level=WARN", "analysis.derive"))
		t.Errorf("lost %d derived messages, first %v", len(missing), missing[:min(10, len(missing))])
	}
}
