package httpout

import (
	"context"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func newBatch(t *testing.T, entries ...string) *Batch {
	t.Helper()
	b, err := OpenBatch(filepath.Join(t.TempDir(), "x.batch"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	for _, e := range entries {
		if err := b.AddString(e); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func batchContent(t *testing.T, b *Batch) string {
	t.Helper()
	r, err := b.body()
	if err != nil {
		t.Fatal(err)
	}
	p, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(p)
}

func TestBatch(t *testing.T) {
	b := newBatch(t, "a\n", "bb\n", "ccc\n", "dddd\n", "e\n")
	if b.Count() != 5 || b.Size() != 16 {
		t.Fatalf("count %d size %d", b.Count(), b.Size())
	}
	if e, err := b.Entry(2); err != nil || string(e) != "ccc\n" {
		t.Fatalf("entry 2 = %q, %v", e, err)
	}
	if err := b.Keep([]int{1, 3, 4}); err != nil {
		t.Fatal(err)
	}
	if got := batchContent(t, b); got != "bb\ndddd\ne\n" || b.Count() != 3 || b.Size() != 10 {
		t.Fatalf("after Keep: %q, count %d, size %d", got, b.Count(), b.Size())
	}
	if e, _ := b.Entry(1); string(e) != "dddd\n" {
		t.Fatalf("entry 1 after Keep = %q", e)
	}
	// The file on disk holds exactly the kept entries.
	if fi, err := os.Stat(b.Path()); err != nil || fi.Size() != 10 {
		t.Fatalf("file: %v, %v", fi, err)
	}
	if err := b.Keep([]int{1, 0}); err == nil {
		t.Fatal("Keep out of order accepted")
	}
	if err := b.AddString("f\n"); err != nil {
		t.Fatal(err)
	}
	if got := batchContent(t, b); got != "bb\ndddd\ne\nf\n" {
		t.Fatalf("after add: %q", got)
	}
	if err := b.Reset(); err != nil {
		t.Fatal(err)
	}
	if got := batchContent(t, b); got != "" || b.Count() != 0 {
		t.Fatalf("after reset: %q", got)
	}
	// Reopening truncates.
	if err := b.AddString("old\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.body(); err != nil {
		t.Fatal(err)
	}
	b2, err := OpenBatch(b.Path())
	if err != nil {
		t.Fatal(err)
	}
	if b2.Count() != 0 || batchContent(t, b2) != "" {
		t.Fatal("reopened batch not empty")
	}
	if err := b2.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(b.Path()); !os.IsNotExist(err) {
		t.Fatalf("file after Close: %v", err)
	}
	if err := b2.AddString("x"); err != ErrBatchClosed {
		t.Fatalf("add after close: %v", err)
	}
}

func TestParseBulk(t *testing.T) {
	body := `{"took":3,"errors":true,"items":[
		{"index":{"_index":"i","_id":"1","status":201,"result":"created"}},
		{"index":{"_index":"i","status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse field [n]","caused_by":{"type":"number_format_exception","reason":"For input string: \"x\""}}}},
		{"create":{"status":409,"error":"DocumentAlreadyExistsException[x]"}},
		{"index":{"status":429,"error":{"type":"es_rejected_execution_exception","reason":"rejected execution"}}}
	],"extra":{"nested":[1,2]}}`
	var got []string
	err := parseBulk(strings.NewReader(body), func(i, status int, typ, reason string) {
		got = append(got, fmt.Sprintf("%d %d %s %s", i, status, typ, reason))
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"0 201  ",
		`1 400 mapper_parsing_exception failed to parse field [n] (number_format_exception: For input string: "x")`,
		"2 409  DocumentAlreadyExistsException[x]",
		"3 429 es_rejected_execution_exception rejected execution",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, bad := range []string{``, `[]`, `{"took":1}`, `{"items":[{"index":{"status":"x"}}]}`, `{"items":[`} {
		if err := parseBulk(strings.NewReader(bad), func(int, int, string, string) {}); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// bulkServer answers bulk requests with the function given.
func bulkServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

func newClient(t *testing.T, o ClientOptions) *Client {
	t.Helper()
	c, err := NewClient(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// itemsResponse writes a bulk response with the given item statuses.
func itemsResponse(w http.ResponseWriter, statuses ...int) {
	w.Header().Set("Content-Type", "application/json")
	var items []string
	for _, s := range statuses {
		if s >= 300 {
			items = append(items, fmt.Sprintf(`{"index":{"status":%d,"error":{"type":"t%d","reason":"r%d"}}}`, s, s, s))
		} else {
			items = append(items, fmt.Sprintf(`{"index":{"status":%d}}`, s))
		}
	}
	fmt.Fprintf(w, `{"took":1,"errors":true,"items":[%s]}`, strings.Join(items, ","))
}

func TestBulk(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	var statuses [][]int
	srv := bulkServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		st := statuses[0]
		statuses = statuses[1:]
		mu.Unlock()
		if r.URL.Path != "/_bulk" || r.Header.Get("Content-Type") != "application/x-ndjson" || r.Header.Get("User-Agent") != UserAgent {
			http.Error(w, "bad request "+r.URL.Path, 400)
			return
		}
		if len(st) == 1 && st[0] >= 300 {
			http.Error(w, `{"error":"x"}`, st[0])
			return
		}
		itemsResponse(w, st...)
	})
	c := newClient(t, ClientOptions{URL: srv.URL})
	ctx := context.Background()
	b := newBatch(t, "0\n", "1\n", "2\n", "3\n", "4\n")

	statuses = [][]int{{503}}
	res, err := c.Bulk(ctx, "/_bulk", b)
	if err != nil || res.Status != 503 || !strings.Contains(res.Body, `"error"`) || b.Count() != 5 {
		t.Fatalf("503: %+v, %v, count %d", res, err, b.Count())
	}

	statuses = [][]int{{201, 400, 429, 201, 503}}
	res, err = c.Bulk(ctx, "/_bulk", b)
	if err != nil {
		t.Fatal(err)
	}
	if res.Items != 5 || res.Accepted != 2 || res.Failed != 1 || res.Retry != 2 || len(res.Errors) != 1 || len(res.RetryErrors) != 2 {
		t.Fatalf("mixed: %+v", res)
	}
	if res.Errors[0].String() != "item 1: status 400 t400: r400" || res.RetryErrors[1].String() != "item 4: status 503 t503: r503" {
		t.Errorf("errors: %v, %v", res.Errors, res.RetryErrors)
	}
	if got := batchContent(t, b); got != "2\n4\n" {
		t.Fatalf("batch after mixed response: %q", got)
	}

	statuses = [][]int{{201, 200}}
	if res, err = c.Bulk(ctx, "/_bulk", b); err != nil || res.Accepted != 2 || b.Count() != 0 {
		t.Fatalf("retry: %+v, %v, count %d", res, err, b.Count())
	}
	if len(bodies) != 3 || bodies[0] != "0\n1\n2\n3\n4\n" || bodies[1] != bodies[0] || bodies[2] != "2\n4\n" {
		t.Fatalf("bodies: %q", bodies)
	}

	// Items that do not match the entries: a retriable one keeps all.
	_ = b.AddString("a\n")
	_ = b.AddString("b\n")
	statuses = [][]int{{429}}
	statuses[0] = []int{201, 429, 201}
	if res, err = c.Bulk(ctx, "/_bulk", b); err != nil || !res.Mismatch || res.Retry != 2 || b.Count() != 2 {
		t.Fatalf("mismatch: %+v, %v", res, err)
	}
}

func TestBulkTransport(t *testing.T) {
	ctx := context.Background()
	// Nobody listening.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := newClient(t, ClientOptions{URL: "http://" + addr, Timeout: time.Second})
	b := newBatch(t, "x\n")
	if _, err := c.Bulk(ctx, "/_bulk", b); err == nil || !strings.Contains(err.Error(), "refused") || b.Count() != 1 {
		t.Fatalf("closed port: %v", err)
	}

	// A server that never answers: the timeout ends the request.
	hang := make(chan struct{})
	srv := bulkServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	})
	defer close(hang)
	c = newClient(t, ClientOptions{URL: srv.URL, Timeout: 200 * time.Millisecond})
	start := time.Now()
	if _, err := c.Bulk(ctx, "/_bulk", b); err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("hanging server: %v after %v", err, time.Since(start))
	}

	// A cancelled context ends the request at once.
	cctx, cancel := context.WithCancel(ctx)
	c = newClient(t, ClientOptions{URL: srv.URL, Timeout: time.Minute})
	go func() { time.Sleep(100 * time.Millisecond); cancel() }()
	if _, err := c.Bulk(cctx, "/_bulk", b); err == nil {
		t.Fatal("cancelled request succeeded")
	}

	// A response cut short: the batch is kept.
	srv2 := bulkServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		_, _ = io.WriteString(w, `{"took":1,"items":[{"index":{"status":201}}`)
	})
	c = newClient(t, ClientOptions{URL: srv2.URL})
	if _, err := c.Bulk(ctx, "/_bulk", b); err == nil || b.Count() != 1 {
		t.Fatalf("cut response: %v, count %d", err, b.Count())
	}
}

func TestTLSAndAuth(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != "elastic" || p != "s3cret" || r.Header.Get("X-Extra") != "1" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		itemsResponse(w, 201)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted handshake below
	srv.StartTLS()
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(ca, pemBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(src string) (string, error) {
		L := lua.NewState()
		defer L.Close()
		L.PreloadModule(ModuleName, openModule)
		L.SetGlobal("URL", lua.LString(srv.URL))
		L.SetGlobal("CA", lua.LString(ca))
		L.SetGlobal("DIR", lua.LString(dir))
		err := L.DoString(src)
		return lua.LVAsString(L.GetGlobal("out")), err
	}
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "https://"))
	out, err := run(`
		local http = require "sightline.http"
		local c = http.client{address = "127.0.0.1", port = ` + port + `, ssl_params = {cafile = CA, servername = "example.com"},
			username = "elastic", password = "s3cret", headers = {["X-Extra"] = "1"}}
		local b = http.batch(DIR .. "/a.batch")
		assert(b:add('{"index":{}}\n{"a":1}\n') == 1)
		local res, err = c:bulk("/_bulk", b)
		c:close()
		assert(res, err)
		out = res.status .. " " .. res.accepted .. " " .. b:count()
		b:close()`)
	if err != nil || out != "200 1 0" {
		t.Fatalf("TLS with CA: %q, %v", out, err)
	}
	// Without the CA the server is not trusted; with verify none it is.
	out, err = run(`
		local http = require "sightline.http"
		local c = http.client{url = URL, timeout = 2}
		local b = http.batch(DIR .. "/b.batch")
		b:add("x\n")
		local res, err = c:bulk("/_bulk", b)
		c:close()
		out = tostring(res) .. " " .. err
		c = http.client{url = URL, ssl_params = {verify = "none"}}
		local status = c:post("/_bulk", "x\n", "application/x-ndjson")
		c:close()
		out = out .. " " .. status
		b:close()`)
	if err != nil || !strings.Contains(out, "certificate") || !strings.HasSuffix(out, " 401") {
		t.Fatalf("untrusted: %q, %v", out, err)
	}
}

func TestClientConfigErrors(t *testing.T) {
	for src, want := range map[string]string{
		`{port = "x"}`:      "port: want a number, got string",
		`{port = 70000}`:    "port: 70000 is not a port number",
		`{timeout = -1}`:    "timeout: -1 seconds",
		`{url = "ftp://x"}`: `url "ftp://x": want http://host:port`,
		`{ssl_params = {cafile = "/nonexistent"}}`: "ssl_params.cafile: open /nonexistent",
		`{ssl_params = {protocol = "sslv3"}}`:      `ssl_params.protocol: "sslv3" is not one of`,
		`{ssl_params = {key = "k"}}`:               "ssl_params.key and certificate: give both or neither",
		`{ssl_params = "yes"}`:                     "ssl_params: want a table, got string",
		`{headers = {1}}`:                          "headers: want string names and values",
	} {
		L := lua.NewState()
		L.PreloadModule(ModuleName, openModule)
		err := L.DoString(`require("sightline.http").client(` + src + `)`)
		L.Close()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", src, err, want)
		}
	}
	c, err := NewClient(ClientOptions{URL: "http://h:1/es/"})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.URL("/_bulk?refresh=true"); got != "http://h:1/es/_bulk?refresh=true" {
		t.Errorf("URL = %s", got)
	}
}

func TestLuaBatch(t *testing.T) {
	dir := t.TempDir()
	L := lua.NewState()
	defer L.Close()
	L.PreloadModule(ModuleName, openModule)
	L.SetGlobal("DIR", lua.LString(dir))
	err := L.DoString(`
		local http = require "sightline.http"
		local b = http.batch(DIR .. "/l.batch")
		assert(b:add("ab\n") == 1 and b:add("cde\n") == 2)
		assert(b:count() == 2 and b:size() == 7)
		assert(b:discard("test") == 2 and b:count() == 0 and b:size() == 0)
		b:add("x")
		b:reset()
		assert(b:count() == 0)
		b:close()
		local ok, err = pcall(b.add, b, "y")
		assert(not ok and err:find("closed"), err)
		ok, err = pcall(http.batch, DIR .. "/missing/dir/x.batch")
		assert(not ok and err:find("no such file"), err)`)
	if err != nil {
		t.Fatal(err)
	}
}
