package migrate_test

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/sightline/sightline/cursor"
	"github.com/sightline/sightline/internal/migrate"
)

func ExampleImport() {
	out, err := os.MkdirTemp("", "output_path")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(out)
	// What a stopped Hindsight node left (an old file: Hindsight is not
	// rewriting it).
	cp := filepath.Join(out, "hindsight.cp")
	src := "_G['input'] = '3:725'\n" +
		"_G['input->output.out'] = '3:725'\n" +
		"_G['analysis->output.out'] = '0:411'\n" +
		"_G['input.gen'] = 50\n"
	if err := os.WriteFile(cp, []byte(src), 0o640); err != nil {
		panic(err)
	}
	old := time.Now().Add(-time.Minute)
	if err := os.Chtimes(cp, old, old); err != nil {
		panic(err)
	}

	rep, err := migrate.Import(out, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		panic(err) // the daemon refuses to start
	}
	fmt.Println(rep.Outcome, filepath.Base(rep.Renamed))
	for _, p := range rep.Plugins {
		st, _, err := cursor.Load(cursor.Path(out, p.Key.Type, p.Key.Name))
		if err != nil {
			panic(err)
		}
		fmt.Println(p.Key, st.Queues, st.Checkpoint.Kind, st.Checkpoint.Number)
	}
	// Output:
	// imported hindsight.cp.imported
	// input.gen map[] number 50
	// output.out map[analysis:0:411 input:3:725] none 0
}
