package test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The heka_tcp pair under crashes: a sender (an input numbering its
// messages, the heka_tcp output with ack) and a receiver (the heka_tcp
// input with ack, an output appending every Payload to a file, flushed
// per message), two real processes on loopback. The receiver is
// SIGKILLed and restarted mid-stream; at the end every number must be in
// its file (duplicates allowed, counted and reported).

var hekaTCPSender = map[string]string{
	"run/input/gen.cfg": `filename = "gen.lua"
instruction_limit = 0
`,
	"run/input/gen.lua": `
require "os"
local total, batch, pause = read_config("total"), read_config("batch"), read_config("pause")
function process_message(cp)
    local seq = cp or 0
    while is_running() do
        if seq < total then
            for i = 1, batch do
                if seq == total then break end
                seq = seq + 1
                inject_message({Type = "seq", Payload = tostring(seq)}, seq)
            end
            if pause ~= "0" then os.execute("sleep " .. pause) end
        else
            os.execute("sleep 0.1")
        end
    end
    return 0
end
`,
}

const hekaTCPRecord = `
require "io"
local file = assert(io.open(read_config("record"), "a"))
function process_message()
    file:write(read_message("Payload") or "nil", "\n")
    file:flush()
    return 0
end
function timer_event(ns, shutdown) end
`

// hekaTCPRun describes one run of the pair.
type hekaTCPRun struct {
	total        int
	batch        int
	pause        string    // seconds between batches, "0" for none
	kills        []float64 // SIGKILL the receiver once it recorded these fractions of total
	tls          bool
	deliveryWait time.Duration
}

func TestHekaTCPAckSurvivesReceiverKills(t *testing.T) {
	runHekaTCP(t, hekaTCPRun{total: 30000, batch: 300, pause: "0.02", kills: []float64{0.2, 0.55}, deliveryWait: 25 * time.Second})
}

func TestHekaTCPAckTLS(t *testing.T) {
	runHekaTCP(t, hekaTCPRun{total: 10000, batch: 500, pause: "0", kills: []float64{0.3}, tls: true, deliveryWait: 20 * time.Second})
}

func runHekaTCP(t *testing.T, r hekaTCPRun) {
	if testing.Short() {
		t.Skip("runs two daemons for seconds")
	}
	root := t.TempDir()
	sendDir, recvDir := filepath.Join(root, "sender"), filepath.Join(root, "receiver")
	port := freeTCPPort(t)
	var sslOut, sslIn string
	if r.tls {
		c := writeTestCerts(t, root)
		sslIn = fmt.Sprintf(`ssl_params = {mode = "server", protocol = "tlsv1_2", key = %q, certificate = %q, cafile = %q, verify = {"peer", "fail_if_no_peer_cert"}, options = {"all", "no_sslv3"}}`,
			c.serverKey, c.serverCert, c.ca)
		sslOut = fmt.Sprintf(`ssl_params = {mode = "client", protocol = "tlsv1_2", key = %q, certificate = %q, cafile = %q, verify = "peer"}`,
			c.clientKey, c.clientCert, c.ca)
	}
	tree := map[string]string{
		"sightline.toml": mainConfig(`checkpoint_interval = "200ms"`, `log_level = "info"`),
		"run/output/fwd.cfg": fmt.Sprintf(`filename = "heka_tcp.lua"
message_matcher = "Type == 'seq'"
read_queue = "input"
port = %d
ack = true
async_buffer_size = 5000
ticker_interval = 1
timeout = 3
%s
`, port, sslOut),
	}
	for k, v := range hekaTCPSender {
		tree[k] = v
	}
	tree["run/input/gen.cfg"] += fmt.Sprintf("total = %d\nbatch = %d\npause = %q\n", r.total, r.batch, r.pause)
	files(t, sendDir, tree)
	record := filepath.Join(recvDir, "received.txt")
	files(t, recvDir, map[string]string{
		"sightline.toml": mainConfig(`checkpoint_interval = "200ms"`, `log_level = "info"`),
		"run/input/tcp.cfg": fmt.Sprintf(`filename = "heka_tcp.lua"
instruction_limit = 0
port = %d
ack = true
%s
`, port, sslIn),
		"run/output/record.cfg": fmt.Sprintf("filename = \"record.lua\"\nmessage_matcher = \"TRUE\"\nread_queue = \"input\"\nrecord = %q\n", record),
		"run/output/record.lua": hekaTCPRecord,
	})

	for _, d := range []string{sendDir, recvDir} {
		if err := os.MkdirAll(filepath.Join(d, "run", "analysis"), 0o750); err != nil {
			t.Fatal(err)
		}
	}

	checkLogs := func(who string, p *proc) {
		if s := p.stderr.String(); strings.Contains(s, "level=ERROR") {
			t.Errorf("%s logged errors:\n%s", who, s)
		}
	}
	recvCfg, sendCfg := filepath.Join(recvDir, "sightline.toml"), filepath.Join(sendDir, "sightline.toml")
	began := time.Now()
	recv := start(t, recvDir, recvCfg)
	send := start(t, sendDir, sendCfg)
	for i, frac := range r.kills {
		want := int(frac * float64(r.total))
		if !waitFor(func() bool { return len(count(t, record).seen) >= want }, 15*time.Second) {
			t.Fatalf("the receiver did not record %d numbers in time\nreceiver:\n%s\nsender:\n%s", want, recv.stderr, send.stderr)
		}
		recv.kill(t)
		checkLogs(fmt.Sprintf("receiver run %d", i+1), recv)
		t.Logf("receiver SIGKILLed with %d numbers recorded", len(count(t, record).seen))
		time.Sleep(200 * time.Millisecond)
		recv = start(t, recvDir, recvCfg)
	}
	var tl tally
	ok := waitFor(func() bool {
		for who, p := range map[string]*proc{"receiver": recv, "sender": send} {
			select {
			case <-p.done:
				t.Fatalf("the %s exited: %v\n%s", who, p.err, p.stderr)
			default:
			}
		}
		tl = count(t, record)
		return tl.covers(r.total)
	}, r.deliveryWait)
	elapsed := time.Since(began)
	// SIGTERM before the daemon set up its signal handling would kill it.
	for _, p := range []*proc{recv, send} {
		if !waitFor(func() bool { return strings.Contains(p.stderr.String(), `msg="sightline running"`) }, 10*time.Second) {
			t.Fatalf("not running:\n%s", p.stderr)
		}
	}
	recv.stop(t)
	send.stop(t)
	checkLogs("receiver", recv)
	checkLogs("sender", send)
	tl = count(t, record)

	// Duplicates come from the sender (messages sent again after a lost
	// connection: unacknowledged, so possibly injected) and from the
	// receiver's own output replaying from its last saved cursor.
	lost, resent := 0, 0
	for _, l := range strings.Split(send.stderr.String(), "\n") {
		if strings.Contains(l, "connection lost") {
			lost++
		}
		if i := strings.Index(l, "resending="); i >= 0 {
			n, _ := strconv.Atoi(strings.Fields(l[i+len("resending="):])[0])
			resent += n
		}
	}
	t.Logf("%d messages, %d receiver kills (TLS %v): all delivered after %v (%.0f messages/s end to end, pacing included); %d lines recorded, %d duplicates; the sender lost its connection %d times and sent %d messages again",
		r.total, len(r.kills), r.tls, elapsed.Round(time.Millisecond), float64(r.total)/elapsed.Seconds(), tl.lines, tl.dups(), lost, resent)
	t.Logf("numbers recorded more than once: %s", dupRanges(tl, r.total))
	if len(tl.bad) > 0 {
		t.Errorf("malformed lines: %q", tl.bad[:min(5, len(tl.bad))])
	}
	if tl.max > r.total {
		t.Errorf("number %d never sent", tl.max)
	}
	if !ok {
		t.Errorf("%d of %d numbers missing, first %v\nsender stderr:\n%s", r.total-tl.distinct(r.total), r.total, tl.missing(r.total, 10), lastLines(send.stderr.String(), 30))
	}
	if len(r.kills) > 0 && lost < len(r.kills) {
		t.Errorf("the sender never lost its connection")
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func freeTCPPort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// testCerts are PEM files: a CA, a server certificate for 127.0.0.1 and
// a client certificate, both signed by the CA.
type testCerts struct {
	ca, serverCert, serverKey, clientCert, clientKey string
}

func writeTestCerts(t testing.TB, dir string) testCerts {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sightline test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	leaf := func(name string, serial int64, usage x509.ExtKeyUsage) (string, string) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kder, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		return write(name+".pem", "CERTIFICATE", der), write(name+"-key.pem", "EC PRIVATE KEY", kder)
	}
	c := testCerts{ca: write("ca.pem", "CERTIFICATE", caDER)}
	c.serverCert, c.serverKey = leaf("server", 2, x509.ExtKeyUsageServerAuth)
	c.clientCert, c.clientKey = leaf("client", 3, x509.ExtKeyUsageClientAuth)
	return c
}

// dupRanges lists the runs of numbers recorded more than once.
func dupRanges(tl tally, n int) string {
	var out []string
	for i := 1; i <= n; i++ {
		if tl.seen[i] < 2 {
			continue
		}
		j := i
		for j < n && tl.seen[j+1] >= 2 {
			j++
		}
		out = append(out, fmt.Sprintf("%d-%d", i, j))
		i = j
	}
	if len(out) > 20 {
		out = append(out[:20], "...")
	}
	return strings.Join(out, " ")
}
