package sandbox

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sightline/sightline/config"
	"github.com/sightline/sightline/message"
)

const compatDir = "../../shared/compat"

// TestCompatGenerator runs the reference's compatibility generator
// unchanged as an input plugin and compares what it injects with the
// queue file Hindsight wrote for it, message by message (fields in any
// order).
func TestCompatGenerator(t *testing.T) {
	dir, err := filepath.Abs(compatDir)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := os.Open(filepath.Join(dir, "reference-input-1000.log"))
	if os.IsNotExist(err) {
		t.Skip("compat fixtures not present")
	}
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	var want []*message.Message
	sc := message.NewScanner(ref, message.ScanOptions{Validate: message.Validate})
	sc.Finish()
	for sc.Next() {
		var m message.Message
		if err := message.Decode(sc.Message(), &m); err != nil {
			t.Fatal(err)
		}
		want = append(want, &m)
	}
	if sc.Err() != nil {
		t.Fatal(sc.Err())
	}

	cfgTab, err := config.ReadFile(filepath.Join(dir, "compat_gen.cfg"), 0)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.NewPlugin(config.Input, cfgTab, nil)
	if err != nil {
		t.Fatal(err)
	}
	host := &fakeHost{}
	s, err := New(Options{Plugin: cfg, LuaFile: filepath.Join(dir, "compat_gen.lua"), Host: host})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(false)
	if status, msg, err := s.ProcessInput(Checkpoint{}); err != nil || status != 0 {
		t.Fatalf("ProcessInput = %d %q %v", status, msg, err)
	}
	if len(host.msgs) != len(want) {
		t.Fatalf("injected %d messages, reference has %d", len(host.msgs), len(want))
	}
	for i, got := range host.msgs {
		w := want[i]
		sortFields(got)
		sortFields(w)
		if !reflect.DeepEqual(got, w) {
			t.Fatalf("message %d differs:\n got %+v\nwant %+v", i+1, got, w)
		}
	}
}

func sortFields(m *message.Message) {
	slices.SortStableFunc(m.Fields, func(a, b message.Field) int { return strings.Compare(a.Name, b.Name) })
}
