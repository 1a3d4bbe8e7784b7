package statscmd

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// unknown marks a figure the source does not have.
var unknown = math.NaN()

// row is one plugin's figures; NaN where unknown.
type row struct {
	plugin string
	state  string // "up", "failed", "" when unknown
	values [numColumns]float64
}

// The figures of a row, in the table's order after PLUGIN and STATE.
const (
	colProcessed = iota
	colFailed
	colInjected
	colInjectedBytes
	colMemory
	colMaxMemory
	colMatcher // ns
	colProcess // ns
	colTimer   // ns
	colLag
	numColumns
)

var headers = [numColumns]string{"PROCESSED", "FAILED", "INJECTED", "INJ BYTES", "MEMORY", "MAX MEMORY", "MATCHER", "PROCESS", "TIMER", "LAG"}

// format renders column c's value v.
func format(c int, v float64) string {
	switch c {
	case colInjectedBytes, colMemory, colMaxMemory, colLag:
		return formatBytes(v)
	case colMatcher, colProcess, colTimer:
		return formatNS(v)
	}
	if math.IsNaN(v) {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

// table is what `sightline stats` prints.
type table struct {
	source string
	rows   []*row
}

func newRow(plugin string) *row {
	r := &row{plugin: plugin}
	for i := range r.values {
		r.values[i] = unknown
	}
	return r
}

// write prints the source line, then the table.
func (t *table) write(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "source: %s\n", t.source)
	tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "PLUGIN\tSTATE\t%s\n", strings.Join(headers[:], "\t"))
	for _, r := range t.rows {
		state := r.state
		if state == "" {
			state = "-"
		}
		fmt.Fprintf(tw, "%s\t%s", r.plugin, state)
		for c, v := range r.values {
			fmt.Fprintf(tw, "\t%s", format(c, v))
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return bw.Flush()
}

// typeOrder sorts plugin names inputs first, then analysis, then outputs.
func typeOrder(plugin string) int {
	typ, _, _ := strings.Cut(plugin, ".")
	switch typ {
	case "input":
		return 0
	case "analysis":
		return 1
	case "output":
		return 2
	}
	return 3
}

// Metric families read, by column.
var (
	counterColumns = map[string]int{
		"sightline_plugin_messages_processed_total": colProcessed,
		"sightline_plugin_messages_failed_total":    colFailed,
		"sightline_plugin_messages_injected_total":  colInjected,
		"sightline_plugin_injected_bytes_total":     colInjectedBytes,
	}
	gaugeColumns = map[string]int{
		"sightline_plugin_memory_bytes":     colMemory,
		"sightline_plugin_memory_max_bytes": colMaxMemory,
	}
	summaryColumns = map[string]int{
		"sightline_plugin_matcher_duration_seconds":         colMatcher,
		"sightline_plugin_process_message_duration_seconds": colProcess,
		"sightline_plugin_timer_event_duration_seconds":     colTimer,
	}
)

// parseMetrics builds the table from a scrape in the text exposition
// format.
func parseMetrics(r io.Reader) (*table, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, err
	}
	rows := map[string]*row{}
	get := func(m *dto.Metric) *row {
		for _, l := range m.GetLabel() {
			if l.GetName() == "plugin" {
				name := l.GetValue()
				if rows[name] == nil {
					rows[name] = newRow(name)
				}
				return rows[name]
			}
		}
		return nil
	}
	for name, fam := range fams {
		for _, m := range fam.GetMetric() {
			r := get(m)
			if r == nil {
				continue
			}
			if c, ok := counterColumns[name]; ok {
				r.values[c] = m.GetCounter().GetValue()
			} else if c, ok := gaugeColumns[name]; ok {
				r.values[c] = m.GetGauge().GetValue()
			} else if c, ok := summaryColumns[name]; ok {
				if s := m.GetSummary(); s.GetSampleCount() > 0 {
					r.values[c] = s.GetSampleSum() / float64(s.GetSampleCount()) * 1e9
				}
			} else if name == "sightline_plugin_cursor_lag_bytes" {
				if math.IsNaN(r.values[colLag]) {
					r.values[colLag] = 0
				}
				r.values[colLag] += m.GetGauge().GetValue()
			} else if name == "sightline_plugin_up" {
				r.state = "failed"
				if m.GetGauge().GetValue() == 1 {
					r.state = "up"
				}
			}
		}
	}
	if len(rows) == 0 {
		return nil, errors.New("no sightline plugin metrics found")
	}
	t := &table{}
	for _, r := range rows {
		t.rows = append(t.rows, r)
	}
	slices.SortFunc(t.rows, func(a, b *row) int {
		return cmp.Or(cmp.Compare(typeOrder(a.plugin), typeOrder(b.plugin)), cmp.Compare(a.plugin, b.plugin))
	})
	return t, nil
}

// tsvColumns are the plugins.tsv columns read, by column.
var tsvColumns = map[string]int{
	"Process Message Count":    colProcessed,
	"Process Message Failures": colFailed,
	"Inject Message Count":     colInjected,
	"Inject Message Bytes":     colInjectedBytes,
	"Current Memory":           colMemory,
	"Max Memory":               colMaxMemory,
	"Message Matcher Avg (ns)": colMatcher,
	"Process Message Avg (ns)": colProcess,
	"Timer Event Avg (ns)":     colTimer,
}

// parseTSV builds the table from a plugins.tsv (sightline's or
// Hindsight's): columns are found by their header.
func parseTSV(r io.Reader) (*table, error) {
	sc := bufio.NewScanner(r)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, err
		}
		return nil, errors.New("empty file")
	}
	header := strings.Split(sc.Text(), "\t")
	if header[0] != "Plugin" {
		return nil, fmt.Errorf("line 1: not a plugins.tsv header: %q", sc.Text())
	}
	t := &table{}
	for line := 2; sc.Scan(); line++ {
		if sc.Text() == "" {
			continue
		}
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) != len(header) {
			return nil, fmt.Errorf("line %d: %d columns, the header has %d", line, len(fields), len(header))
		}
		rw := newRow(fields[0])
		for i, h := range header[1:] {
			c, ok := tsvColumns[h]
			if !ok {
				continue
			}
			v, err := strconv.ParseFloat(fields[i+1], 64)
			if err != nil {
				return nil, fmt.Errorf("line %d: %s: %q is not a number", line, h, fields[i+1])
			}
			rw.values[c] = v
		}
		if typeOrder(rw.plugin) == 0 {
			rw.values[colMatcher] = unknown // an input has no matcher: the file says 0
		}
		t.rows = append(t.rows, rw)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return t, nil
}

// formatBytes renders a size with a binary prefix: 512B, 1.5KiB, 12.3MiB.
func formatBytes(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	if v < 1024 {
		return strconv.FormatFloat(v, 'f', 0, 64) + "B"
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB"}
	u := -1
	for v >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	return short(v) + units[u]
}

// formatNS renders a time in ns: 850ns, 1.25µs, 12.5ms, 3.00s. Zero
// (nothing timed) is "-".
func formatNS(v float64) string {
	switch {
	case math.IsNaN(v) || v == 0:
		return "-"
	case v < 1e3:
		return strconv.FormatFloat(v, 'f', 0, 64) + "ns"
	case v < 1e6:
		return short(v/1e3) + "µs"
	case v < 1e9:
		return short(v/1e6) + "ms"
	}
	return short(v/1e9) + "s"
}

// short renders v (at least 1) with three significant digits, or more
// digits before the point.
func short(v float64) string {
	switch {
	case v < 10:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case v < 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}
