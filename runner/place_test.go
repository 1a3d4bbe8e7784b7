package runner

import (
	"slices"
	"testing"

	"github.com/sightline/sightline/config"
	"github.com/sightline/sightline/cursor"
)

// TestPlaceByUtilization: a new analysis plugin without thread goes to
// the least utilised thread, then the one with the fewest plugins, and is
// refused when even that thread is at analysis_utilization_limit.
func TestPlaceByUtilization(t *testing.T) {
	cases := []struct {
		name    string
		limit   int
		util    []int // nil: no window yet
		counts  []int // running plugins per thread
		extra   []int // placed by the batch
		thread  int64 // set in the config when >= 0
		want    int
		wantErr string
	}{
		{name: "no measurement: fewest plugins", limit: 95, counts: []int{2, 1, 3}, thread: -1, want: 1},
		{name: "least utilised", limit: 95, util: []int{40, 70, 10}, counts: []int{0, 0, 5}, thread: -1, want: 2},
		{name: "tie: fewest plugins", limit: 95, util: []int{30, 10, 10}, counts: []int{0, 4, 2}, thread: -1, want: 2},
		{name: "tie: batch counts", limit: 95, util: []int{10, 10, 50}, counts: []int{1, 1, 0}, extra: []int{1, 0, 0}, thread: -1, want: 1},
		{name: "under the limit", limit: 80, util: []int{95, 79, 90}, thread: -1, want: 1},
		{name: "at the limit", limit: 80, util: []int{95, 80, 90}, thread: -1,
			wantErr: "blocked (over capacity): the least utilised analysis thread, analysis1, is at 80% (analysis_utilization_limit = 80)"},
		{name: "over the limit, check disabled", limit: 0, util: []int{99, 100, 97}, thread: -1, want: 2},
		{name: "thread set: no check", limit: 80, util: []int{95, 95, 95}, thread: 4, want: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := &daemon{
				m:      &config.Main{OutputPath: t.TempDir(), AnalysisUtilizationLimit: c.limit},
				groups: make([]*group, 3),
			}
			for slot, n := range c.counts {
				for range n {
					d.analysis = append(d.analysis, &analysisPlugin{p: &plugin{}, slot: slot})
				}
			}
			if c.util != nil {
				d.setThreadUtilization(c.util)
			}
			sp := &spec{key: cursor.Key{Type: cursor.TypeAnalysis, Name: "new"}, cfg: &config.Plugin{}}
			if c.thread >= 0 {
				sp.cfg.Thread, sp.cfg.HasThread = c.thread, true
			}
			got, err := d.place(sp, true, c.extra)
			switch {
			case c.wantErr != "":
				if err == nil || err.Error() != c.wantErr {
					t.Fatalf("place = %d, %v; want error %q", got, err, c.wantErr)
				}
			case err != nil || got != c.want:
				t.Fatalf("place = %d, %v; want %d", got, err, c.want)
			}
		})
	}
}

// TestThreadUtil: the analysis threads' rows of a window, by thread;
// threads without plugins are at 0, plugins' rows are ignored.
func TestThreadUtil(t *testing.T) {
	rows := []utilRow{
		{name: "input.gen", util: -1},
		{name: "analysis2", util: 64},
		{name: "analysis.a", util: 100},
		{name: "analysis0", util: 7},
		{name: "analysis.b", util: 50},
		{name: "output.rec", util: 90},
	}
	got := threadUtil(rows, 3)
	if want := []int{7, 0, 64}; !slices.Equal(got, want) {
		t.Errorf("threadUtil = %v, want %v", got, want)
	}
}
