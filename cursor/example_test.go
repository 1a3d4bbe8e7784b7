package cursor_test

import (
	"fmt"
	"log"
	"os"
	"sync"

	"github.com/sightline/sightline/cursor"
	"github.com/sightline/sightline/queue"
)

func ExampleSave() {
	outputPath, err := os.MkdirTemp("", "sightline")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(outputPath)
	if err := os.Mkdir(outputPath+"/cursors", 0o750); err != nil {
		log.Fatal(err)
	}

	path := cursor.Path(outputPath, cursor.TypeInput, "tail")
	err = cursor.Save(path, cursor.State{
		Queues:     map[string]queue.Position{"input": {Segment: 3, Offset: 725}},
		Checkpoint: cursor.Checkpoint{Kind: cursor.CheckpointString, String: "app.log\x00"},
	})
	if err != nil {
		log.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(data))

	st, found, err := cursor.Load(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(found, st.Queues["input"], st.Checkpoint.Kind, fmt.Sprintf("%q", st.Checkpoint.String))
	// Output:
	// # sightline cursor
	// version 1
	// queue input 3:725
	// checkpoint string "app.log\x00"
	// end
	// true 3:725 string "app.log\x00"
}

// A runner opens one Store over the queue writers, loads each plugin's
// cursor at start, and Puts after every message the plugin has handled.
func ExampleStore() {
	outputPath, err := os.MkdirTemp("", "sightline")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(outputPath)

	input := &memWriter{} // a *queue.Writer in the daemon
	store, err := cursor.OpenStore(cursor.Options{Dir: outputPath + "/cursors"},
		map[string]cursor.Syncer{"input": input})
	if err != nil {
		log.Fatal(err)
	}

	key := cursor.Key{Type: cursor.TypeInput, Name: "gen"}
	st, found, err := store.Load(key)
	if err != nil {
		log.Fatal(err) // a corrupt cursor: refuse to guess
	}
	fmt.Println("found:", found)

	for i := 1; i <= 3; i++ {
		pos := input.append(100)                     // inject_message's Append returned pos
		st.Checkpoint.Kind = cursor.CheckpointNumber // ... then the plugin's checkpoint moved
		st.Checkpoint.Number = float64(i)
		if err := store.Put(key, st, cursor.Dep{Queue: "input", Pos: pos}); err != nil {
			log.Fatal(err)
		}
	}
	if err := store.Close(); err != nil { // final tick: Sync, then save
		log.Fatal(err)
	}

	st, _, _ = cursor.Load(cursor.Path(outputPath, key.Type, key.Name))
	fmt.Println("saved checkpoint:", st.Checkpoint.Number)
	// Output:
	// found: false
	// saved checkpoint: 3
}

// memWriter is a queue writer that keeps nothing: every Sync succeeds.
type memWriter struct {
	mu          sync.Mutex
	end, synced queue.Position
}

func (w *memWriter) append(n int64) queue.Position {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.end.Offset += n
	return w.end
}

func (w *memWriter) Sync() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.synced = w.end
	return nil
}

func (w *memWriter) Synced() queue.Position {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.synced
}
