package migrate

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sightline/sightline/cursor"
	"github.com/sightline/sightline/internal/atomicfile"
)

// File names under output_path.
const (
	cpName       = "hindsight.cp"
	importedName = "hindsight.cp.imported"
	markerName   = "hindsight.cp.importing"
	cursorsName  = "cursors"
)

// maxFileSize bounds hindsight.cp. The reference's largest is a few dozen
// bytes per reader plus at most 16 KiB (escaped) per input checkpoint.
const maxFileSize = 64 << 20

// settleTime is how old hindsight.cp must be before it is trusted:
// Hindsight replaces it every second while it runs.
const settleTime = 2 * time.Second

// Outcome says what Import did.
type Outcome uint8

const (
	// NoCheckpointFile: output_path holds no hindsight.cp; nothing done.
	NoCheckpointFile Outcome = iota
	// CursorsExist: sightline cursor files exist; hindsight.cp, if any,
	// was left alone.
	CursorsExist
	// Imported: hindsight.cp was imported and renamed.
	Imported
)

// String returns the outcome's name.
func (o Outcome) String() string {
	switch o {
	case NoCheckpointFile:
		return "no hindsight.cp"
	case CursorsExist:
		return "sightline cursors exist"
	case Imported:
		return "imported"
	}
	return fmt.Sprintf("Outcome(%d)", uint8(o))
}

// Report says what Import did, for the log (Import logs it too).
type Report struct {
	Outcome Outcome
	// File is the path of hindsight.cp.
	File string
	// Renamed is where hindsight.cp went (Imported only).
	Renamed string
	// Resumed says an import a crash had interrupted was completed.
	Resumed bool
	// Plugins are the cursor files written, sorted by type and name. Nil
	// when a resumed import found them all written already.
	Plugins []Plugin
	// NoPosition names the analysis plugins that got no cursor because
	// hindsight.cp holds no analysis thread position: they start at the
	// oldest segment.
	NoPosition []string
	// Ignored lists the keys read and not imported: the queue writers'
	// positions.
	Ignored []string
	// Data lists the preserved-state files in output_path; sightline reads
	// them where they are.
	Data []string
}

// Import imports "<outputPath>/hindsight.cp" into sightline cursor files
// when there are none yet (see the package documentation), and completes
// an import a crash interrupted. analysisPlugins names the analysis
// plugins the daemon is about to run; each gets the position of the
// Hindsight thread it ran on. log receives what was done (nil means
// slog.Default()).
//
// An error leaves output_path in a state the next call completes or
// refuses again; the daemon must not start plugins after one. Errors about
// a line of hindsight.cp are *LineError values.
func Import(outputPath string, analysisPlugins []string, log *slog.Logger) (Report, error) {
	if log == nil {
		log = slog.Default()
	}
	im := &importer{
		out:      outputPath,
		analysis: analysisPlugins,
		log:      log,
		settle:   settleTime,
		now:      time.Now,
		sleep:    time.Sleep,
	}
	return im.run()
}

// importer carries one Import.
type importer struct {
	out      string
	analysis []string
	log      *slog.Logger
	settle   time.Duration // see settleTime
	now      func() time.Time
	sleep    func(time.Duration)
	// after, if set, runs after each durable step ("begin", "cursor
	// <file>", "commit"); an error stops the import there, as a crash
	// would. Tests only.
	after func(step string) error
}

func (im *importer) path(name string) string { return filepath.Join(im.out, name) }

func (im *importer) step(name string) error {
	if im.after == nil {
		return nil
	}
	return im.after(name)
}

func (im *importer) run() (Report, error) {
	rep := Report{File: im.path(cpName)}
	mk, resume, err := readMarker(im.path(markerName))
	if err != nil {
		return rep, err
	}
	cpExists, err := exists(rep.File)
	if err != nil {
		return rep, err
	}
	switch {
	case resume && !cpExists:
		return im.finishInterrupted(rep, mk)
	case resume:
		rep.Resumed = true
		im.log.Warn("completing an interrupted import of hindsight.cp", "file", rep.File)
	case !cpExists:
		im.log.Debug("no hindsight.cp: nothing to import", "output_path", im.out)
		return rep, nil
	default:
		found, err := cursorFiles(im.path(cursorsName))
		if err != nil {
			return rep, err
		}
		if len(found) > 0 {
			rep.Outcome = CursorsExist
			im.log.Warn("hindsight.cp not imported: sightline cursor files exist and are newer",
				"file", rep.File, "cursors", im.path(cursorsName), "cursor_files", len(found))
			return rep, nil
		}
	}

	data, err := im.readStable(rep.File)
	if err != nil {
		return rep, err
	}
	as, err := parse(rep.File, data)
	if err != nil {
		return rep, err
	}
	p, err := makePlan(im.out, rep.File, as, im.analysis)
	if err != nil {
		return rep, err
	}
	// The marker lists the old marker's files too, so a file an earlier
	// attempt wrote and this plan drops is removed even if this attempt
	// is interrupted as well.
	next := marker{sum: checksum(data), files: p.files()}
	for _, f := range mk.files {
		if !slices.Contains(next.files, f) {
			next.files = append(next.files, f)
		}
	}
	if err := atomicfile.WriteFile(im.path(markerName), next.encode(), 0o640); err != nil {
		return rep, fmt.Errorf("migrate: write %s: %w", im.path(markerName), err)
	}
	if err := im.step("begin"); err != nil {
		return rep, err
	}
	if err := im.writeCursors(p, next.files); err != nil {
		return rep, err
	}
	if err := os.Rename(rep.File, im.path(importedName)); err != nil {
		return rep, fmt.Errorf("migrate: %w", err)
	}
	if err := atomicfile.SyncDir(im.out); err != nil {
		return rep, fmt.Errorf("migrate: sync %s: %w", im.out, err)
	}
	if err := im.step("commit"); err != nil {
		return rep, err
	}
	if err := removeMarker(im.path(markerName)); err != nil {
		return rep, err
	}

	rep.Outcome = Imported
	rep.Renamed = im.path(importedName)
	rep.Plugins = p.plugins
	rep.NoPosition = p.noPosition
	rep.Ignored = p.ignored
	rep.Data = im.dataFiles()
	im.logReport(rep)
	return rep, nil
}

// finishInterrupted completes an import whose rename of hindsight.cp was
// done: every cursor file was durable before it, so only the marker goes.
func (im *importer) finishInterrupted(rep Report, mk marker) (Report, error) {
	imported := im.path(importedName)
	data, err := readFile(imported)
	if errors.Is(err, fs.ErrNotExist) {
		return rep, fmt.Errorf("%w: %s is there but neither %s nor %s: remove the marker and the cursor files it lists to start without them",
			ErrInterrupted, im.path(markerName), cpName, importedName)
	}
	if err != nil {
		return rep, err
	}
	if checksum(data) != mk.sum {
		return rep, fmt.Errorf("%w: %s is not the file the import in %s began with",
			ErrInterrupted, imported, im.path(markerName))
	}
	if err := removeMarker(im.path(markerName)); err != nil {
		return rep, err
	}
	rep.Outcome = Imported
	rep.Renamed = imported
	rep.Resumed = true
	rep.Data = im.dataFiles()
	im.log.Info("completed an interrupted import of hindsight.cp: its cursor files had been written",
		"file", rep.File, "renamed_to", imported, "cursor_files", len(mk.files))
	return rep, nil
}

// writeCursors creates the cursors directory and saves every planned
// cursor file, after removing what an interrupted attempt may have left
// that the plan does not write: temp files, and the files of listed (the
// marker's list) the plan does not have.
func (im *importer) writeCursors(p plan, listed []string) error {
	dir := im.path(cursorsName)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := atomicfile.SyncDir(im.out); err != nil {
		return fmt.Errorf("migrate: sync %s: %w", im.out, err)
	}
	if _, err := atomicfile.RemoveTemps(atomicfile.OS, dir, func(target string) bool {
		return strings.HasSuffix(target, ".cp")
	}); err != nil {
		return fmt.Errorf("migrate: clean %s: %w", dir, err)
	}
	planned := p.files()
	for _, f := range listed {
		if !slices.Contains(planned, f) {
			if err := atomicfile.Remove(atomicfile.OS, filepath.Join(dir, f)); err != nil {
				return fmt.Errorf("migrate: %w", err)
			}
		}
	}
	for _, pl := range p.plugins {
		path := cursor.Path(im.out, pl.Key.Type, pl.Key.Name)
		if err := cursor.Save(path, pl.State); err != nil {
			return err
		}
		if err := im.step("cursor " + filepath.Base(path)); err != nil {
			return err
		}
	}
	return nil
}

// readStable reads hindsight.cp and, when it is younger than im.settle,
// waits until it is that old and checks that it was not replaced, which
// would mean Hindsight still runs.
func (im *importer) readStable(path string) ([]byte, error) {
	before, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	age := im.now().Sub(before.ModTime())
	if age >= im.settle {
		return data, nil
	}
	wait := min(im.settle-age, im.settle)
	im.log.Info("hindsight.cp was written moments ago; waiting to see that Hindsight has stopped", "file", path, "wait", wait)
	im.sleep(wait)
	after, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	if !os.SameFile(before, after) || !after.ModTime().Equal(before.ModTime()) || after.Size() != before.Size() {
		return nil, fmt.Errorf("%w (%s)", ErrHindsightRunning, path)
	}
	return data, nil
}

// dataFiles lists the preserved-state files in output_path, for the
// report. A failure to list is only logged: nothing depends on the list.
func (im *importer) dataFiles() []string {
	entries, err := os.ReadDir(im.out)
	if err != nil {
		im.log.Warn("cannot list preserved-state files", "err", err)
		return nil
	}
	var files []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".data") {
			continue
		}
		for _, typ := range []string{cursor.TypeInput, cursor.TypeAnalysis, cursor.TypeOutput} {
			if strings.HasPrefix(name, typ+".") {
				files = append(files, filepath.Join(im.out, name))
				break
			}
		}
	}
	return files
}

// logReport logs each imported cursor and a summary.
func (im *importer) logReport(rep Report) {
	for _, pl := range rep.Plugins {
		attrs := []any{"plugin", pl.Key.String()}
		if len(pl.State.Queues) > 0 {
			attrs = append(attrs, "queues", formatQueues(pl))
		}
		if pl.State.Checkpoint.Kind != cursor.CheckpointNone {
			attrs = append(attrs, "checkpoint", formatCheckpoint(pl.State.Checkpoint))
		}
		if pl.Thread >= 0 {
			attrs = append(attrs, "thread", pl.Thread)
		}
		if pl.Note != "" {
			im.log.Warn("analysis plugin gets the lowest thread position: it may see records again, it misses none",
				append(attrs, "reason", pl.Note)...)
			continue
		}
		im.log.Info("imported cursor", attrs...)
	}
	for _, name := range rep.NoPosition {
		im.log.Warn("hindsight.cp holds no analysis thread position: analysis plugin starts at the oldest segment",
			"plugin", cursor.Key{Type: cursor.TypeAnalysis, Name: name}.String())
	}
	im.log.Info("imported Hindsight checkpoints", "file", rep.File, "renamed_to", rep.Renamed,
		"resumed", rep.Resumed, "cursor_files", len(rep.Plugins), "ignored_keys", strings.Join(rep.Ignored, ","),
		"data_files", len(rep.Data))
}

func formatQueues(pl Plugin) string {
	var parts []string
	for _, q := range []string{queueInput, queueAnalysis} {
		if pos, ok := pl.State.Queues[q]; ok {
			parts = append(parts, q+"="+pos.String())
		}
	}
	return strings.Join(parts, " ")
}

func formatCheckpoint(cp cursor.Checkpoint) string {
	if cp.Kind == cursor.CheckpointNumber {
		return strconv.FormatFloat(cp.Number, 'g', -1, 64)
	}
	const max = 64
	if len(cp.String) > max {
		return strconv.Quote(cp.String[:max]) + fmt.Sprintf("... (%d bytes)", len(cp.String))
	}
	return strconv.Quote(cp.String)
}

// cursorFiles returns the names of the cursor files in dir (temp files of
// an interrupted save are not cursor files).
func cursorFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".cp") {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// exists reports whether path exists.
func exists(path string) (bool, error) {
	_, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("migrate: %w", err)
	}
	return true, nil
}

// readFile reads path, refusing a file over maxFileSize. A missing file's
// error satisfies errors.Is(err, fs.ErrNotExist).
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	defer f.Close() // read-only: nothing to lose on close
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("migrate: read %s: %w", path, err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%w: %s is over %d bytes", ErrTooLarge, path, maxFileSize)
	}
	return data, nil
}

func checksum(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func removeMarker(path string) error {
	if err := atomicfile.Remove(atomicfile.OS, path); err != nil {
		return fmt.Errorf("migrate: remove %s: %w", path, err)
	}
	return nil
}
