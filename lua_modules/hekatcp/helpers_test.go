package hekatcp

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sightline/sightline/message"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// numbered returns message i encoded (Payload "msg <i>"), unframed.
func numbered(i int) []byte {
	var m message.Message
	m.Uuid = message.NewUUID()
	m.Timestamp = int64(i)
	m.SetType("test")
	m.SetPayload("msg " + strconv.Itoa(i))
	return m.AppendTo(nil)
}

// framed returns message i framed with a checksum.
func framed(i int) []byte { return message.AppendFrame(nil, numbered(i)) }

// payloadOf returns the Payload of an encoded message.
func payloadOf(t testing.TB, raw []byte) string {
	t.Helper()
	var v message.View
	if err := v.Reset(raw); err != nil {
		t.Fatalf("record does not decode: %v", err)
	}
	return string(v.Payload())
}

// numberOf returns i of a message built by numbered.
func numberOf(t testing.TB, raw []byte) int {
	t.Helper()
	p := payloadOf(t, raw)
	n, err := strconv.Atoi(strings.TrimPrefix(p, "msg "))
	if err != nil {
		t.Fatalf("payload %q", p)
	}
	return n
}

// consumer plays the plugin's goroutine: it receives chunks, keeps their
// records and releases them with durable (nil: a durable that returns at
// once).
type consumer struct {
	s       *Server
	durable func(context.Context) error
	mu      sync.Mutex
	recs    [][]byte
	done    chan struct{}
	cancel  context.CancelFunc
}

func consume(s *Server, durable func(context.Context) error) *consumer {
	if durable == nil {
		durable = func(context.Context) error { return nil }
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &consumer{s: s, durable: durable, done: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(c.done)
		for {
			ch, err := s.Receive(ctx, 50*time.Millisecond)
			if err != nil {
				return
			}
			if ch == nil {
				continue
			}
			c.mu.Lock()
			for i := range ch.Len() {
				c.recs = append(c.recs, append([]byte(nil), ch.Record(i)...))
			}
			c.mu.Unlock()
			ch.Done(c.durable)
		}
	}()
	return c
}

func (c *consumer) stop() {
	c.cancel()
	<-c.done
}

func (c *consumer) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.recs)
}

func (c *consumer) records() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([][]byte(nil), c.recs...)
}

// listen starts a server on a free loopback port, closed at cleanup.
func listen(t testing.TB, opts ServerOptions) *Server {
	t.Helper()
	if opts.Address == "" {
		opts.Address = "127.0.0.1:0"
	}
	s, err := Listen(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// waitFor polls cond until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// logRecorder is a slog handler keeping the messages logged.
type logRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := rec.Level.String() + " " + rec.Message
	rec.Attrs(func(a slog.Attr) bool {
		s += " " + a.String()
		return true
	})
	r.msgs = append(r.msgs, s)
	return nil
}
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *logRecorder) WithGroup(string) slog.Handler      { return r }

// count returns how many messages logged contain s.
func (r *logRecorder) count(s string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, m := range r.msgs {
		if strings.Contains(m, s) {
			n++
		}
	}
	return n
}

func (r *logRecorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.msgs, "\n")
}

// certs is a CA and certificates signed by it, as PEM files in a
// directory.
type certs struct {
	dir                           string
	ca, serverCert, serverKey     string
	clientCert, clientKey         string
	otherCA                       string // a CA that signed nothing here
	otherClientCert, otherClientK string // a client certificate of otherCA
}

// makeCerts writes a CA, a server certificate for 127.0.0.1 and
// "localhost", a client certificate, and a second CA with a client
// certificate of its own.
func makeCerts(t testing.TB) *certs {
	t.Helper()
	dir := t.TempDir()
	c := &certs{dir: dir}
	caKey, caCert := newCA(t, "test CA")
	c.ca = writePEM(t, dir, "ca.pem", "CERTIFICATE", caCert.Raw)
	c.serverCert, c.serverKey = leaf(t, dir, "server", caCert, caKey, true)
	c.clientCert, c.clientKey = leaf(t, dir, "client", caCert, caKey, false)
	otherKey, otherCert := newCA(t, "other CA")
	c.otherCA = writePEM(t, dir, "other-ca.pem", "CERTIFICATE", otherCert.Raw)
	c.otherClientCert, c.otherClientK = leaf(t, dir, "other-client", otherCert, otherKey, false)
	return c
}

var serial int64

func newCA(t testing.TB, name string) (*ecdsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert
}

func leaf(t testing.TB, dir, name string, ca *x509.Certificate, caKey *ecdsa.PrivateKey, server bool) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
		tmpl.DNSNames = []string{"localhost"}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return writePEM(t, dir, name+".pem", "CERTIFICATE", der), writePEM(t, dir, name+"-key.pem", "EC PRIVATE KEY", kder)
}

func writePEM(t testing.TB, dir, name, typ string, der []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// must fails the test on err.
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func newLogger(r *logRecorder) *slog.Logger { return slog.New(r) }
