package logstreamer

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"path/filepath"
	"testing"
)

func shortLog() string {
	var b bytes.Buffer
	for i := 0; i < 3; i++ {
		fmt.Fprintf(&b, "%d This is a test\n", i)
	}
	return b.String()
}

func TestHashWorkedValues(t *testing.T) {
	if got := ZeroHash.String(); got != "fc56d4b3c72a8bfe593373c740d558ec1340ac73" {
		t.Fatalf("zero hash %s", got)
	}
	s := shortLog()
	if len(s) != 51 {
		t.Fatal(len(s))
	}
	if got := HashOf([]byte(s)).String(); got != "4a9ab34da77c10e87cb6566bbf061d9715985551" {
		t.Fatalf("short.log hash %s", got)
	}
	dir := t.TempDir()
	write(t, filepath.Join(dir, "short.log"), s)
	h, ok, err := HashAt(filepath.Join(dir, "short.log"), 51)
	if err != nil || !ok || h.String() != "4a9ab34da77c10e87cb6566bbf061d9715985551" {
		t.Fatalf("HashAt %s %v %v", h, ok, err)
	}
	if _, ok, _ := HashAt(filepath.Join(dir, "short.log"), 52); ok {
		t.Fatal("HashAt past the end")
	}
	// The same over a gzip copy: offsets in decompressed bytes.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(s))
	zw.Close()
	write(t, filepath.Join(dir, "short.log.gz"), gz.String())
	h, ok, err = HashAt(filepath.Join(dir, "short.log.gz"), 51)
	if err != nil || !ok || h.String() != "4a9ab34da77c10e87cb6566bbf061d9715985551" {
		t.Fatalf("HashAt gz %s %v %v", h, ok, err)
	}
	// Over 500 bytes, only the last 500 count.
	long := bytes.Repeat([]byte("abcdefghij"), 70)
	if HashOf(long) != HashOf(long[200:]) {
		t.Fatal("window")
	}
}

func TestCheckpointRoundTrip(t *testing.T) {
	pos := map[string]*Position{
		"b": {File: "access.log.1", Seek: 700, Hash: HashOf([]byte("x")), Dev: 1, Ino: 2},
		"a": {File: "x/\"q\".log", Seek: 0, Hash: ZeroHash, Done: true},
	}
	s := EncodeCheckpoint(pos)
	want := `{"v":1,"streams":{"a":{"file":"x/\"q\".log","seek":0,"hash":"fc56d4b3c72a8bfe593373c740d558ec1340ac73","dev":0,"ino":0,"done":true},` +
		`"b":{"file":"access.log.1","seek":700,"hash":"` + HashOf([]byte("x")).String() + `","dev":1,"ino":2}}}`
	if s != want {
		t.Fatalf("got  %s\nwant %s", s, want)
	}
	back, err := DecodeCheckpoint(s)
	if err != nil {
		t.Fatal(err)
	}
	if *back["a"] != *pos["a"] || *back["b"] != *pos["b"] {
		t.Fatalf("%+v", back)
	}
	for _, bad := range []string{"", "12", `{"v":2,"streams":{}}`, `{"v":1,"streams":{"a":{"hash":"zz"}}}`} {
		if _, err := DecodeCheckpoint(bad); err == nil {
			t.Errorf("%q decoded", bad)
		}
	}
}

func TestLoadHekaJournal(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "j", "web"), `{"seek":1969,"file_name":"`+filepath.Join(dir, "logs", "2013/08/error.log")+`","last_hash":"72781af95a1583690cc97548fdcf3bb0efbe3119"}`)
	write(t, filepath.Join(dir, "j", "empty"), "  \n")
	write(t, filepath.Join(dir, "j", "bad"), `{"seek":1}31c2"}`)
	p, err := LoadHekaJournal(filepath.Join(dir, "j"), "web", filepath.Join(dir, "logs"))
	if err != nil || p.File != "2013/08/error.log" || p.Seek != 1969 || p.Hash.String() != "72781af95a1583690cc97548fdcf3bb0efbe3119" {
		t.Fatalf("%+v %v", p, err)
	}
	if p, err := LoadHekaJournal(filepath.Join(dir, "j"), "empty", dir); p != nil || err != nil {
		t.Fatal(p, err)
	}
	if p, err := LoadHekaJournal(filepath.Join(dir, "j"), "none", dir); p != nil || err != nil {
		t.Fatal(p, err)
	}
	if _, err := LoadHekaJournal(filepath.Join(dir, "j"), "bad", dir); err == nil {
		t.Fatal("bad journal loaded")
	}
}
