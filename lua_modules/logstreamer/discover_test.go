package logstreamer

import (
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func scanNames(t *testing.T, cfg *Config) map[string][]string {
	t.Helper()
	p, err := NewPattern(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := p.Scan(time.Now())
	out := map[string][]string{}
	for n, files := range r.Streams {
		for _, f := range files {
			rel, _ := filepath.Rel(p.Root, f.Path)
			out[n] = append(out[n], rel)
		}
	}
	return out
}

func TestScanAnchoring(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"subdir/file.log", "subdir/file.log.1", "subdir/file.log.2", "subdir/other.txt", "file.log"} {
		write(t, filepath.Join(dir, f), "x\n")
	}
	cases := []struct {
		name, match string
		prio        []string
		n           int
	}{
		{"leading slash", `/subdir/.*\.log(\..*)?`, []string{"x"}, 3},
		{"no slash", `subdir/.*\.log(\..*)?`, []string{"x"}, 3},
		{"whole rest of path", `file\.log`, nil, 1},
		{"nothing", `nomatch\.log`, nil, 0},
		{"explicit $", `subdir/file\.log$`, nil, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := testConfig(dir, c.match, c.prio...)
			n := 0
			for _, fs := range scanNames(t, cfg) {
				n += len(fs)
			}
			if n != c.n {
				t.Fatalf("found %d files, want %d", n, c.n)
			}
		})
	}
}

func TestTranslate(t *testing.T) {
	p := &Pattern{trans: map[string]map[string]int{
		"Two":  {"23": 1, "999": 2},
		"Two2": {"24": 2, "999": 3},
		"Seq":  {"missing": 5},
		"Day":  {"lunes": 1, "martes": 2},
	}}
	cases := []struct {
		group, v string
		want     int
		err      string
	}{
		{"MonthName", "October", 10, ""},
		{"MonthName", "oct", 10, ""},
		{"MonthName", "Octoberrr", 0, "unable to locate month name: Octoberrr"},
		{"MonthName", "", 0, "unable to locate month name: missing"},
		{"DayName", "Monday", 0, ""},
		{"DayName", "sun", 6, ""},
		{"DayName", "funday", 0, "unable to locate day name: funday"},
		{"Plain", "24", 24, ""},
		{"Plain", "", -1, ""},
		{"Plain", "abc", -1, ""},
		{"Two", "24", 0, "value '24' not found in translation map 'Two'"},
		{"Two2", "24", 2, ""},
		{"Seq", "", 5, ""},
		{"Seq", "7", 7, ""},
		{"Seq", "x", -1, ""},
		{"Day", "LuNeS", 1, ""},
	}
	for _, c := range cases {
		got, err := p.translate(c.group, c.v)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%s(%q): err %v, want %q", c.group, c.v, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s(%q) = %d, %v; want %d", c.group, c.v, got, err, c.want)
		}
	}
}

func TestSortOrders(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"file.log", "file.log.1", "file.log.2"} {
		write(t, filepath.Join(dir, "subdir", f), "x\n")
	}
	match := `subdir/file\.log(\.?)(?P<FileNumber>\d+)?`
	cases := []struct {
		name  string
		prio  []string
		trans map[string]map[string]int
		want  []string
	}{
		{"ascending", []string{"FileNumber"}, nil, []string{"file.log", "file.log.1", "file.log.2"}},
		{"descending", []string{"^FileNumber"}, nil, []string{"file.log.2", "file.log.1", "file.log"}},
		{"missing = 5", []string{"FileNumber"}, map[string]map[string]int{"FileNumber": {"missing": 5}}, []string{"file.log.1", "file.log.2", "file.log"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := testConfig(dir, match, c.prio...)
			cfg.Translation = c.trans
			got := scanNames(t, cfg)["s"]
			for i := range got {
				got[i] = filepath.Base(got[i])
			}
			equal(t, got, c.want)
		})
	}
}

// TestDatedTree is §14's fixture tree in shape: Year/Month directories of
// access and error logs with rename rotation, split into two streams.
func TestDatedTree(t *testing.T) {
	dir := t.TempDir()
	months := [][2]int{{2010, 5}, {2010, 7}, {2011, 1}, {2012, 12}, {2013, 8}}
	n := 0
	for _, ym := range months {
		for _, typ := range []string{"access", "error"} {
			for seq := 0; seq < 3; seq++ {
				name := typ + ".log"
				if seq > 0 {
					name += "." + formatInt(int64(seq))
				}
				write(t, filepath.Join(dir, formatInt(int64(ym[0])), twoDigits(ym[1]), name), "x\n")
				n++
			}
		}
	}
	cfg := testConfig(dir, `/(?P<Year>\d+)/(?P<Month>\d+)/(?P<Type>\w+)\.log(\.(?P<Seq>\d+))?`, "Year", "Month", "^Seq")
	cfg.Differentiator = []string{"website-", "Type"}
	got := scanNames(t, cfg)
	if len(got) != 2 || len(got["website-access"]) != n/2 || len(got["website-error"]) != n/2 {
		t.Fatalf("streams %v", got)
	}
	acc := got["website-access"]
	if acc[0] != "2010/05/access.log.2" || acc[len(acc)-1] != "2013/08/access.log" || acc[1] != "2010/05/access.log.1" {
		t.Fatalf("access order %v", acc)
	}
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + formatInt(int64(n))
	}
	return formatInt(int64(n))
}

func TestDifferentiator(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "nginx/hekathings.com-access.log"), "x\n")
	write(t, filepath.Join(dir, "nginx/example.org-access.log"), "x\n")
	cfg := testConfig(dir, `nginx/(?P<DomainName>[^/]+)-access\.log`)
	cfg.Differentiator = []string{"nginx.", "DomainName", ".access"}
	got := scanNames(t, cfg)
	if len(got) != 2 || got["nginx.hekathings.com.access"] == nil || got["nginx.example.org.access"] == nil {
		t.Fatalf("streams %v", got)
	}
}

func TestNoPriorityIsAnError(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.log"), "x\n")
	write(t, filepath.Join(dir, "a.log.1"), "x\n")
	_, err := New(testConfig(dir, `a\.log.*`), nil, &recSink{})
	if !errors.Is(err, ErrNoPriority) || !errors.Is(err, ErrConfig) {
		t.Fatalf("err %v", err)
	}
}

func TestAgeFilter(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.log"), "x\n")
	write(t, filepath.Join(dir, "a.log.1"), "x\n")
	old := time.Now().Add(-48 * time.Hour)
	if err := osChtimes(filepath.Join(dir, "a.log.1"), old); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(dir, `a\.log\.?(?P<Seq>\d*)`, "^Seq")
	cfg.OldestDuration = 24 * time.Hour
	if got := scanNames(t, cfg)["s"]; len(got) != 1 || got[0] != "a.log" {
		t.Fatalf("files %v", got)
	}
}

func TestTranslationErrorReportedFileKept(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "x-foo.log"), "x\n")
	write(t, filepath.Join(dir, "x-jan.log"), "x\n")
	cfg := testConfig(dir, `x-(?P<MonthName>\w+)\.log`, "MonthName")
	p, err := NewPattern(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := p.Scan(time.Now())
	if len(r.Errors) != 1 || len(r.Streams["s"]) != 2 || filepath.Base(r.Streams["s"][0].Path) != "x-foo.log" {
		t.Fatalf("errors %v streams %v", r.Errors, r.Streams)
	}
}
