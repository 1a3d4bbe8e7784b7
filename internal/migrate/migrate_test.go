package migrate

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sightline/sightline/cursor"
	"github.com/sightline/sightline/queue"
	"github.com/sightline/sightline/sandbox/preserve"
)

// referenceWant is what testdata/hindsight.cp (the example of §2.4)
// imports to, with analysis plugin "count" on thread 0.
var referenceWant = map[string]cursor.State{
	"input.gen.cp":      {Checkpoint: numberCP(50)},
	"input.tail.cp":     {Checkpoint: stringCP("1234567:8910")},
	"output.out.cp":     {Queues: queues("input", pos(3, 725), "analysis", pos(0, 411))},
	"analysis.count.cp": {Queues: queues("input", pos(3, 725))},
}

func TestImportReferenceExample(t *testing.T) {
	out := t.TempDir()
	copyTestdata(t, out, "hindsight.cp")
	copyTestdata(t, out, "analysis.count.rtc")
	original, err := os.ReadFile(filepath.Join(out, "hindsight.cp"))
	if err != nil {
		t.Fatal(err)
	}
	log, logs := newLog()

	rep, err := Import(out, []string{"count"}, log)
	if err != nil {
		t.Fatal(err)
	}

	assertCursors(t, out, referenceWant)
	assertExists(t, out, map[string]bool{"hindsight.cp": false, importedName: true, markerName: false})
	if renamed, err := os.ReadFile(filepath.Join(out, importedName)); err != nil || string(renamed) != string(original) {
		t.Errorf("hindsight.cp.imported differs from hindsight.cp: %v", err)
	}
	if rep.Outcome != Imported || rep.Resumed || rep.File != filepath.Join(out, "hindsight.cp") || rep.Renamed != filepath.Join(out, importedName) {
		t.Errorf("report %+v", rep)
	}
	var names []string
	for _, p := range rep.Plugins {
		names = append(names, p.Key.String())
		if p.Key.Type == cursor.TypeAnalysis && (p.Thread != 0 || p.Note != "") {
			t.Errorf("analysis plugin: thread %d, note %q", p.Thread, p.Note)
		}
	}
	if want := []string{"analysis.count", "input.gen", "input.tail", "output.out"}; !slices.Equal(names, want) {
		t.Errorf("report plugins %v, want %v", names, want)
	}
	if !slices.Equal(rep.Ignored, []string{"input", "analysis"}) {
		t.Errorf("ignored %v", rep.Ignored)
	}
	for _, want := range []string{"imported Hindsight checkpoints", "plugin=output.out", "queues=\"input=3:725 analysis=0:411\"", "checkpoint=\"\\\"1234567:8910\\\"\""} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, logs)
		}
	}

	// Imported once: the next start finds no hindsight.cp.
	rep, err = Import(out, []string{"count"}, log)
	if err != nil || rep.Outcome != NoCheckpointFile {
		t.Errorf("second Import: %+v, %v", rep, err)
	}
	assertCursors(t, out, referenceWant)
}

func TestAnalysisThreads(t *testing.T) {
	const cp = "_G['input->analysis0'] = '5:100'\n" +
		"_G['input->analysis1'] = '4:900'\n" +
		"_G['input->analysis2'] = '6:0'\n" +
		"_G['input->output.o'] = '4:10'\n"
	out := t.TempDir()
	writeOld(t, out, "hindsight.cp", cp)
	rtc(t, out, "a", 1)
	rtc(t, out, "b", 2)
	rtc(t, out, "z", 0)
	rtc(t, out, "nothread", -1)
	rtc(t, out, "gone", 7) // its thread is not in hindsight.cp
	rtc(t, out, "notrunning", 2)

	rep, err := testImporter(out, []string{"b", "a", "new", "nothread", "gone", "z", "a"}).run()
	if err != nil {
		t.Fatal(err)
	}
	lowest := queues("input", pos(4, 900))
	assertCursors(t, out, map[string]cursor.State{
		"analysis.a.cp":        {Queues: queues("input", pos(4, 900))},
		"analysis.b.cp":        {Queues: queues("input", pos(6, 0))},
		"analysis.z.cp":        {Queues: queues("input", pos(5, 100))},
		"analysis.new.cp":      {Queues: lowest},
		"analysis.nothread.cp": {Queues: lowest},
		"analysis.gone.cp":     {Queues: lowest},
		"output.o.cp":          {Queues: queues("input", pos(4, 10))},
	})
	threads := map[string]int{}
	for _, p := range rep.Plugins {
		if p.Key.Type == cursor.TypeAnalysis {
			threads[p.Key.Name] = p.Thread
			if (p.Thread < 0) != (p.Note != "") {
				t.Errorf("%s: thread %d with note %q", p.Key, p.Thread, p.Note)
			}
		}
	}
	want := map[string]int{"a": 1, "b": 2, "z": 0, "new": -1, "nothread": -1, "gone": -1}
	for name, n := range want {
		if threads[name] != n {
			t.Errorf("%s: thread %d, want %d", name, threads[name], n)
		}
	}
}

func TestAnalysisWithoutThreadPositions(t *testing.T) {
	out := t.TempDir()
	writeOld(t, out, "hindsight.cp", "_G['input.gen'] = 1\n")
	rtc(t, out, "a", 0)
	rep, err := testImporter(out, []string{"a"}).run()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.NoPosition, []string{"a"}) {
		t.Errorf("NoPosition = %v", rep.NoPosition)
	}
	assertCursors(t, out, map[string]cursor.State{"input.gen.cp": {Checkpoint: numberCP(1)}})
}

func TestBadRTC(t *testing.T) {
	tests := []struct {
		name, rtc, want string
	}{
		{"syntax", "thread = = 1\n", "analysis.a.rtc:1"},
		{"string thread", "filename = 'x.lua'\nthread = 'one'\n", "analysis.a.rtc:2"},
		{"negative thread", "thread = -1\n", "analysis.a.rtc:1"},
		{"fraction", "thread = 1.5\n", "analysis.a.rtc:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			writeOld(t, out, "hindsight.cp", "_G['input->analysis0'] = '1:2'\n")
			writeOld(t, out, "analysis.a.rtc", tt.rtc)
			_, err := testImporter(out, []string{"a"}).run()
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "analysis plugin a") {
				t.Fatalf("got %v, want an error naming %s", err, tt.want)
			}
			assertExists(t, out, map[string]bool{"hindsight.cp": true, "cursors": false, markerName: false})
		})
	}
	out := t.TempDir()
	writeOld(t, out, "hindsight.cp", "_G['input->analysis0'] = '1:2'\n")
	if _, err := testImporter(out, []string{"../x"}).run(); !errors.Is(err, ErrMalformed) {
		t.Errorf("bad plugin name: %v", err)
	}
}

func TestNothingToDo(t *testing.T) {
	t.Run("no hindsight.cp", func(t *testing.T) {
		out := t.TempDir()
		writeOld(t, out, importedName, "_G['input.gen'] = 1\n")
		rep, err := Import(out, []string{"a"}, discardLog())
		if err != nil || rep.Outcome != NoCheckpointFile {
			t.Fatalf("%+v, %v", rep, err)
		}
		assertExists(t, out, map[string]bool{"cursors": false, markerName: false})
	})
	t.Run("output_path missing", func(t *testing.T) {
		rep, err := Import(filepath.Join(t.TempDir(), "none"), nil, discardLog())
		if err != nil || rep.Outcome != NoCheckpointFile {
			t.Fatalf("%+v, %v", rep, err)
		}
	})
	t.Run("cursors exist", func(t *testing.T) {
		out := t.TempDir()
		copyTestdata(t, out, "hindsight.cp")
		mine := cursor.State{Queues: queues("input", pos(9, 9))}
		mkdir(t, filepath.Join(out, "cursors"))
		if err := cursor.Save(cursor.Path(out, "output", "mine"), mine); err != nil {
			t.Fatal(err)
		}
		log, logs := newLog()
		rep, err := Import(out, nil, log)
		if err != nil || rep.Outcome != CursorsExist {
			t.Fatalf("%+v, %v", rep, err)
		}
		assertCursors(t, out, map[string]cursor.State{"output.mine.cp": mine})
		assertExists(t, out, map[string]bool{"hindsight.cp": true, importedName: false, markerName: false})
		if !strings.Contains(logs.String(), "hindsight.cp not imported") {
			t.Errorf("no warning logged:\n%s", logs)
		}
	})
	t.Run("cursors exist, broken hindsight.cp", func(t *testing.T) {
		out := t.TempDir()
		writeOld(t, out, "hindsight.cp", "garbage")
		mkdir(t, filepath.Join(out, "cursors"))
		if err := cursor.Save(cursor.Path(out, "input", "x"), cursor.State{}); err != nil {
			t.Fatal(err)
		}
		if rep, err := Import(out, nil, discardLog()); err != nil || rep.Outcome != CursorsExist {
			t.Fatalf("%+v, %v", rep, err)
		}
	})
}

// TestEmptyCursorsDir: a cursors directory holding no cursor file (the
// store created it, or a save was cut short) does not stop the import.
func TestEmptyCursorsDir(t *testing.T) {
	for _, stray := range []string{"", "output.out.cp.tmp-3kq9z"} {
		out := t.TempDir()
		copyTestdata(t, out, "hindsight.cp")
		copyTestdata(t, out, "analysis.count.rtc")
		mkdir(t, filepath.Join(out, "cursors"))
		if stray != "" {
			writeOld(t, filepath.Join(out, "cursors"), stray, "# sightline cursor\nver")
		}
		rep, err := Import(out, []string{"count"}, discardLog())
		if err != nil || rep.Outcome != Imported {
			t.Fatalf("%q: %+v, %v", stray, rep, err)
		}
		assertCursors(t, out, referenceWant)
	}
}

var errCrash = errors.New("injected crash")

// importSteps returns the durable steps of importing the reference example.
func importSteps(t testing.TB) []string {
	out := t.TempDir()
	copyTestdata(t, out, "hindsight.cp")
	copyTestdata(t, out, "analysis.count.rtc")
	im := testImporter(out, []string{"count"})
	var steps []string
	im.after = func(step string) error {
		steps = append(steps, step)
		return nil
	}
	if _, err := im.run(); err != nil {
		t.Fatal(err)
	}
	return steps
}

// TestCrashBetweenSteps stops the import after each durable step, as a
// crash would, and checks the next start completes it.
func TestCrashBetweenSteps(t *testing.T) {
	steps := importSteps(t)
	if len(steps) != 6 || steps[0] != "begin" || steps[5] != "commit" {
		t.Fatalf("steps %v", steps)
	}
	for _, step := range steps {
		t.Run(step, func(t *testing.T) {
			out := t.TempDir()
			copyTestdata(t, out, "hindsight.cp")
			copyTestdata(t, out, "analysis.count.rtc")
			im := testImporter(out, []string{"count"})
			im.after = func(s string) error {
				if s == step {
					return errCrash
				}
				return nil
			}
			if _, err := im.run(); !errors.Is(err, errCrash) {
				t.Fatalf("got %v", err)
			}
			assertExists(t, out, map[string]bool{markerName: true, "hindsight.cp": step != "commit"})

			log, logs := newLog()
			rep, err := Import(out, []string{"count"}, log)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Outcome != Imported || !rep.Resumed {
				t.Errorf("report %+v", rep)
			}
			if !strings.Contains(logs.String(), "interrupted import") {
				t.Errorf("log:\n%s", logs)
			}
			assertCursors(t, out, referenceWant)
			assertExists(t, out, map[string]bool{markerName: false, "hindsight.cp": false, importedName: true})

			rep, err = Import(out, []string{"count"}, discardLog())
			if err != nil || rep.Outcome != NoCheckpointFile {
				t.Errorf("after completion: %+v, %v", rep, err)
			}
		})
	}
}

// TestCrashLeavesStrays: an interrupted attempt left a temp file and a
// cursor file that is no longer planned (hindsight.cp changed since, and
// a second attempt was interrupted too): both go.
func TestCrashLeavesStrays(t *testing.T) {
	out := t.TempDir()
	copyTestdata(t, out, "hindsight.cp")
	copyTestdata(t, out, "analysis.count.rtc")
	im := testImporter(out, []string{"count"})
	im.after = func(s string) error {
		if s == "cursor output.out.cp" {
			return errCrash
		}
		return nil
	}
	if _, err := im.run(); !errors.Is(err, errCrash) {
		t.Fatal(err)
	}
	writeOld(t, filepath.Join(out, "cursors"), "input.tail.cp.tmp-abc123", "partial")
	data, err := os.ReadFile(filepath.Join("testdata", "hindsight.cp"))
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for line := range strings.Lines(string(data)) {
		if !strings.Contains(line, "output.out") {
			kept = append(kept, line)
		}
	}
	writeOld(t, out, "hindsight.cp", strings.Join(kept, ""))

	// A second crash, right after the new marker: it must still know
	// output.out.cp.
	im = testImporter(out, []string{"count"})
	im.after = func(s string) error {
		if s == "begin" {
			return errCrash
		}
		return nil
	}
	if _, err := im.run(); !errors.Is(err, errCrash) {
		t.Fatal(err)
	}
	if _, err := Import(out, []string{"count"}, discardLog()); err != nil {
		t.Fatal(err)
	}
	want := map[string]cursor.State{}
	for k, v := range referenceWant {
		if k != "output.out.cp" {
			want[k] = v
		}
	}
	assertCursors(t, out, want)
}

func TestInterruptedCannotComplete(t *testing.T) {
	crashAfterCommit := func(t *testing.T) string {
		out := t.TempDir()
		copyTestdata(t, out, "hindsight.cp")
		im := testImporter(out, nil)
		im.after = func(s string) error {
			if s == "commit" {
				return errCrash
			}
			return nil
		}
		if _, err := im.run(); !errors.Is(err, errCrash) {
			t.Fatal(err)
		}
		return out
	}
	t.Run("source gone", func(t *testing.T) {
		out := crashAfterCommit(t)
		if err := os.Remove(filepath.Join(out, importedName)); err != nil {
			t.Fatal(err)
		}
		if _, err := Import(out, nil, discardLog()); !errors.Is(err, ErrInterrupted) {
			t.Errorf("got %v", err)
		}
		assertExists(t, out, map[string]bool{markerName: true})
	})
	t.Run("source changed", func(t *testing.T) {
		out := crashAfterCommit(t)
		writeOld(t, out, importedName, "_G['input.gen'] = 51\n")
		if _, err := Import(out, nil, discardLog()); !errors.Is(err, ErrInterrupted) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("damaged marker", func(t *testing.T) {
		out := t.TempDir()
		copyTestdata(t, out, "hindsight.cp")
		writeOld(t, out, markerName, markerHeader+"\nsha256 xyz\nend\n")
		_, err := Import(out, nil, discardLog())
		if err == nil || !strings.Contains(err.Error(), markerName) {
			t.Errorf("got %v", err)
		}
		assertExists(t, out, map[string]bool{"hindsight.cp": true, "cursors": false})
	})
}

func TestMarkerRoundTrip(t *testing.T) {
	m := marker{sum: strings.Repeat("ab", 32), files: []string{"input.a b.cp", "output.\"q\".cp", "input.new\nline.cp"}}
	got, err := parseMarker(string(m.encode()))
	if err != nil || got.sum != m.sum || !slices.Equal(got.files, m.files) {
		t.Errorf("got %+v, %v", got, err)
	}
	for _, bad := range []string{
		"",
		markerHeader + "\nsha256 " + m.sum + "\n",
		markerHeader + "\nsha256 " + m.sum + "\nfile \"../x.cp\"\nend\n",
		markerHeader + "\nsha256 " + m.sum + "\nfile \"x.data\"\nend\n",
		markerHeader + "\nsha256 " + m.sum + "\nfile x.cp\nend\n",
	} {
		if _, err := parseMarker(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

// TestHindsightRunning: a hindsight.cp replaced while Import waits for it
// to settle means Hindsight still runs.
func TestHindsightRunning(t *testing.T) {
	for _, running := range []bool{false, true} {
		out := t.TempDir()
		path := filepath.Join(out, "hindsight.cp")
		if err := os.WriteFile(path, []byte("_G['input.gen'] = 1\n"), 0o640); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		var slept time.Duration
		im := testImporter(out, nil)
		im.settle = 2 * time.Second
		im.now = func() time.Time { return fi.ModTime().Add(500 * time.Millisecond) }
		im.sleep = func(d time.Duration) {
			slept = d
			if running { // Hindsight's next tick: write a temp file, rename it over
				tmp := path + ".tmp"
				if err := os.WriteFile(tmp, []byte("_G['input.gen'] = 2\n"), 0o640); err != nil {
					t.Fatal(err)
				}
				if err := os.Rename(tmp, path); err != nil {
					t.Fatal(err)
				}
			}
		}
		rep, err := im.run()
		if slept != 1500*time.Millisecond {
			t.Errorf("slept %v", slept)
		}
		if running {
			if !errors.Is(err, ErrHindsightRunning) {
				t.Errorf("got %v", err)
			}
			assertExists(t, out, map[string]bool{"hindsight.cp": true, "cursors": false, markerName: false})
			continue
		}
		if err != nil || rep.Outcome != Imported {
			t.Errorf("%+v, %v", rep, err)
		}
	}
}

// TestDataFilesStayInPlace: preserved state is at the path sightline
// reads, and the report lists it.
func TestDataFilesStayInPlace(t *testing.T) {
	out := t.TempDir()
	copyTestdata(t, out, "hindsight.cp")
	count := writeOld(t, out, "analysis.count.data", "_G[\"n\"] = 1\n")
	gen := writeOld(t, out, "input.gen.data", "_G[\"n\"] = 2\n")
	writeOld(t, out, "notes.data", "")
	if got := preserve.Path(out, cursor.TypeAnalysis, "count"); got != count {
		t.Errorf("preserve.Path = %s, Hindsight's file is %s", got, count)
	}
	rep, err := Import(out, nil, discardLog())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Data, []string{count, gen}) {
		t.Errorf("Data = %v", rep.Data)
	}
	assertExists(t, out, map[string]bool{"analysis.count.data": true, "input.gen.data": true})
}

// TestPositionMeaning: the reference's "next unread byte" is used as the
// queue.Position a sightline reader resumes at, unchanged.
func TestPositionMeaning(t *testing.T) {
	out := t.TempDir()
	writeOld(t, out, "hindsight.cp", "_G['analysis->output.o'] = '18446744073709551615:0'\n_G['input->output.o'] = '0:9223372036854775807'\n")
	if _, err := testImporter(out, nil).run(); err != nil {
		t.Fatal(err)
	}
	assertCursors(t, out, map[string]cursor.State{
		"output.o.cp": {Queues: map[string]queue.Position{
			"analysis": {Segment: 1<<64 - 1},
			"input":    {Offset: 1<<63 - 1},
		}},
	})
}
