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
