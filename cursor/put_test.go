package cursor

import (
	"errors"
	"maps"
	"testing"

	"github.com/sightline/sightline/internal/atomicfile"
	"github.com/sightline/sightline/queue"
)

// TestStorePutQueuesChange covers Put's fast path (same queues as the last
// Put of the key) and its way out: other queues, more or fewer of them, an
// invalid position refused without changing the state, and two keys put in
// turn.
func TestStorePutQueuesChange(t *testing.T) {
	s, _ := newTestStore(t, atomicfile.OS, map[string]Syncer{"input": &fakeWriter{}, "analysis": &fakeWriter{}})
	pos := func(off int64) queue.Position { return queue.Position{Segment: 1, Offset: off} }
	steps := []struct {
		key    Key
		queues map[string]queue.Position
		want   error
	}{
		{out, map[string]queue.Position{"input": pos(1)}, nil},
		{out, map[string]queue.Position{"input": pos(2)}, nil},
		{gen, map[string]queue.Position{"input": pos(7)}, nil},
		{out, map[string]queue.Position{"analysis": pos(3)}, nil},
		{out, map[string]queue.Position{"analysis": pos(4), "input": pos(5)}, nil},
		{out, map[string]queue.Position{"analysis": pos(6), "input": pos(-1)}, ErrInvalidPosition},
		{out, map[string]queue.Position{"analysis": pos(6), "input": pos(7)}, nil},
		{out, map[string]queue.Position{"input": pos(8)}, nil},
		{out, map[string]queue.Position{"input": pos(-2)}, ErrInvalidPosition},
		{out, map[string]queue.Position{}, nil},
	}
	last := map[Key]map[string]queue.Position{}
	for i, st := range steps {
		err := s.Put(st.key, State{Queues: st.queues, Checkpoint: Checkpoint{Kind: CheckpointNumber, Number: float64(i)}})
		if !errors.Is(err, st.want) {
			t.Fatalf("step %d: Put = %v, want %v", i, err, st.want)
		}
		if err == nil {
			last[st.key] = st.queues
		}
		for key, want := range last {
			got, ok, err := s.Load(key)
			if !ok || err != nil {
				t.Fatalf("step %d: Load(%v) = %v, %v", i, key, ok, err)
			}
			if !maps.Equal(got.Queues, want) {
				t.Fatalf("step %d: Load(%v).Queues = %v, want %v", i, key, got.Queues, want)
			}
		}
	}
}
