package test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sightline/sightline/message"
)

// The reference's queue file (1,000 messages written by Hindsight) and
// lsb_heka_cat's text of it.
const (
	hfRefLog  = "../../shared/compat/reference-input-1000.log"
	hfRefText = "../../shared/compat/reference-input-1000.txt"
)

// hfFixture returns the reference's file and text, skipping the test when
// they are not there.
func hfFixture(t *testing.T) (log []byte, text string) {
	t.Helper()
	log, err := os.ReadFile(hfRefLog)
	if os.IsNotExist(err) {
		t.Skip("reference fixture not present")
	}
	if err != nil {
		t.Fatal(err)
	}
	txt, err := os.ReadFile(hfRefText)
	if err != nil {
		t.Fatal(err)
	}
	return log, string(txt)
}

// hfFrames returns the offset of the end of every frame of data.
func hfFrames(t *testing.T, data []byte) []int {
	t.Helper()
	sc := message.NewScanner(bytes.NewReader(data), message.ScanOptions{Validate: message.Validate})
	var ends []int
	for sc.Next() {
		off, n := sc.Frame()
		ends = append(ends, int(off)+n)
	}
	if sc.Err() != nil {
		t.Fatal(sc.Err())
	}
	return ends
}

// hfTree is a pipeline replaying file with heka_file.lua, and an output
// appending every message, framed (encoders.heka.framed_protobuf), to
// copy.log: the queue's segments are pruned once read, copy.log keeps
// what every run delivered.
func hfTree(file string) map[string]string {
	return map[string]string{
		"sightline.toml": mainConfig(),
		"run/input/replay.toml": "filename = \"heka_file.lua\"\ninstruction_limit = 0\ninput_filename = " +
			`"` + file + `"` + "\n",
		"run/analysis/.keep":   "",
		"run/output/copy.toml": "filename = \"copy.lua\"\nmessage_matcher = \"TRUE\"\n",
		"run/output/copy.lua": `
require "io"
local framed = require "encoders.heka.framed_protobuf"
local f = assert(io.open("copy.log", "ab"))
function process_message()
    f:write(framed.encode())
    return 0
end
function timer_event(ns, shutdown)
    f:flush()
end
`,
	}
}

// hfRunOnce runs sightline run -once in dir and fails on a non-zero exit.
func hfRunOnce(t *testing.T, dir string) string {
	t.Helper()
	p := startCmd(t, dir, "run", "-once", "-config", "sightline.toml")
	if code := p.wait(t, 60*time.Second); code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", code, p.stderr)
	}
	return p.stderr.String()
}

// hfCat returns `sightline cat` of file (or queue directory) in dir.
func hfCat(t *testing.T, dir, file string) string {
	t.Helper()
	p := startCmd(t, dir, "cat", file)
	if code := p.wait(t, 60*time.Second); code != 0 {
		t.Fatalf("cat: exit code %d; stderr:\n%s", code, p.stderr)
	}
	return p.stdout.String()
}

// hfSameText fails unless got is want, naming the first line that differs.
func hfSameText(t *testing.T, what, got, want string) {
	t.Helper()
	if got == want {
		return
	}
	g, w := strings.SplitAfter(got, "\n"), strings.SplitAfter(want, "\n")
	for i := 0; i < len(g) && i < len(w); i++ {
		if g[i] != w[i] {
			t.Fatalf("%s: line %d differs:\n got %q\nwant %q", what, i+1, g[i], w[i])
		}
	}
	t.Fatalf("%s: %d lines, want %d", what, len(g), len(w))
}

// TestHekaFileReference: heka_file.lua replays the reference's queue file
// into the input queue message for message, byte for byte (cat prints
// exactly what lsb_heka_cat printed for the original), and an output
// gets them all; a second replay of
// the input queue it wrote (a sightline segment, frames with a CRC) gives
// the same again.
func TestHekaFileReference(t *testing.T) {
	log, want := hfFixture(t)
	dir := t.TempDir()
	files(t, dir, hfTree("ref.log"))
	if err := os.WriteFile(filepath.Join(dir, "ref.log"), log, 0o644); err != nil {
		t.Fatal(err)
	}
	hfRunOnce(t, dir)
	hfSameText(t, "input queue after a replay of the reference's file", hfCat(t, dir, filepath.Join("output", "input")), want)
	hfSameText(t, "output of a replay of the reference's file", hfCat(t, dir, "copy.log"), want)

	seg := filepath.Join(dir, "output", "input", "0.log")
	if _, err := os.Stat(seg); err != nil {
		t.Fatal(err)
	}
	again := t.TempDir()
	files(t, again, hfTree(seg))
	hfRunOnce(t, again)
	hfSameText(t, "replay of a sightline segment", hfCat(t, again, "copy.log"), want)
}

// TestHekaFileResume: the checkpoint is the bytes consumed. A file that
// grows between runs (a torn frame at its end the first time, garbage
// between frames) is read on from where the last run stopped: every
// message once, none lost, none twice; a run with nothing new injects
// nothing.
func TestHekaFileResume(t *testing.T) {
	log, want := hfFixture(t)
	ends := hfFrames(t, log)
	if len(ends) != 1000 {
		t.Fatalf("%d frames in the reference file", len(ends))
	}
	dir := t.TempDir()
	files(t, dir, hfTree("grow.log"))
	file := filepath.Join(dir, "grow.log")

	// Run 1: 300 messages and half of the 301st.
	cut := ends[299] + (ends[300]-ends[299])/2
	if err := os.WriteFile(file, log[:cut], 0o644); err != nil {
		t.Fatal(err)
	}
	hfRunOnce(t, dir)

	// Run 2: the rest of the 301st, up to the 700th, garbage, the rest.
	f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range [][]byte{log[cut:ends[699]], []byte("garbage\x1e\x05junk\x1e"), log[ends[699]:]} {
		if _, err := f.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	hfRunOnce(t, dir)
	hfSameText(t, "after two runs", hfCat(t, dir, "copy.log"), want)

	// Run 3: nothing new.
	hfRunOnce(t, dir)
	hfSameText(t, "after a run with nothing new", hfCat(t, dir, "copy.log"), want)
}
