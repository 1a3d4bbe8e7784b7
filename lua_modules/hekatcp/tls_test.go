package hekatcp

import (
	"context"
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func serverTLS(t testing.TB, c *certs, verify ...string) *tls.Config {
	t.Helper()
	p := SSLParams{Mode: "server", Key: c.serverKey, Certificate: c.serverCert, CAFile: c.ca, Verify: verify}
	cfg, err := p.TLSConfig(true)
	must(t, err)
	return cfg
}

func clientTLS(t testing.TB, p SSLParams) *tls.Config {
	t.Helper()
	cfg, err := p.TLSConfig(false)
	must(t, err)
	return cfg
}

// TLS with client certificates required: a client with a certificate of
// the CA gets through, in plain and ack mode; one without a certificate,
// or with one of another CA, is refused, and both sides say so.
func TestTLSClientCertificates(t *testing.T) {
	crt := makeCerts(t)
	good := SSLParams{Mode: "client", Key: crt.clientKey, Certificate: crt.clientCert, CAFile: crt.ca, Verify: []string{"peer"}}
	cases := []struct {
		name   string
		client SSLParams
		ack    bool
		ok     bool
		errHas string // in the client's connection error
	}{
		{name: "certificate, plain", client: good, ok: true},
		{name: "certificate, ack", client: good, ack: true, ok: true},
		{name: "certificate, server_name checked", client: func() SSLParams { p := good; p.ServerName = "localhost"; return p }(), ok: true},
		{name: "no certificate, plain", client: SSLParams{CAFile: crt.ca, Verify: []string{"peer"}}, errHas: "certificate"},
		{name: "no certificate, ack", client: SSLParams{CAFile: crt.ca, Verify: []string{"peer"}}, ack: true, errHas: "certificate"},
		{name: "certificate of another CA", client: SSLParams{Key: crt.otherClientK, Certificate: crt.otherClientCert, CAFile: crt.ca, Verify: []string{"peer"}}, ack: true, errHas: "certificate"},
		{name: "server not trusted", client: SSLParams{Key: crt.clientKey, Certificate: crt.clientCert, CAFile: crt.otherCA, Verify: []string{"peer"}}, errHas: "unknown authority"},
		{name: "server name mismatch", client: func() SSLParams { p := good; p.ServerName = "aggregator.example.com"; return p }(), errHas: "aggregator.example.com"},
		{name: "server not checked without peer", client: SSLParams{Key: crt.clientKey, Certificate: crt.clientCert}, ok: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := &logRecorder{}
			s := listen(t, ServerOptions{Ack: tc.ack, TLS: serverTLS(t, crt, "peer", "fail_if_no_peer_cert"), Logger: newLogger(rec)})
			con := consume(s, nil)
			defer con.stop()
			c := newClient(t, ClientOptions{Address: s.Addr().String(), Ack: tc.ack, TLS: clientTLS(t, tc.client),
				Timeout: 2 * time.Second, BackoffMin: 20 * time.Millisecond})
			if tc.ok {
				sendAll(t, c, 1, 100)
				must(t, c.Flush(context.Background(), 5*time.Second))
				waitFor(t, 5*time.Second, "the records", func() bool { return con.count() == 100 })
				if st := s.Stats(); st.Rejected != 0 {
					t.Errorf("server stats %+v", st)
				}
				return
			}
			// Plain mode over TLS 1.3 learns of the refusal after the
			// handshake, from its reader: keep offering a message.
			waitFor(t, 5*time.Second, "the client to fail", func() bool {
				_ = c.Send(context.Background(), 1, framed(1))
				return c.Stats().Failures > 0
			})
			if e := c.Stats().LastErrStr; !strings.Contains(e, tc.errHas) {
				t.Errorf("client error %q, want it to mention %q", e, tc.errHas)
			}
			if strings.Contains(tc.name, "certificate") {
				waitFor(t, 5*time.Second, "the server to refuse", func() bool { return s.Stats().Rejected > 0 })
				if rec.count("TLS handshake failed") == 0 {
					t.Errorf("no warning logged by the server:\n%s", rec)
				}
			}
			if n := con.count(); n != 0 {
				t.Errorf("%d records got through", n)
			}
		})
	}
}

// Errors in ssl_params name the key at fault.
func TestSSLParamsErrors(t *testing.T) {
	crt := makeCerts(t)
	enc := filepath.Join(crt.dir, "enc-key.pem")
	must(t, os.WriteFile(enc, []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"), 0o600))
	cases := []struct {
		name   string
		p      SSLParams
		server bool
		want   string
	}{
		{"server without certificate", SSLParams{}, true, "ssl_params.certificate: required in server mode"},
		{"key without certificate", SSLParams{Key: crt.serverKey}, true, "ssl_params.certificate: required with key"},
		{"certificate without key", SSLParams{Certificate: crt.serverCert}, false, "ssl_params.key: required with certificate"},
		{"missing certificate file", SSLParams{Key: crt.serverKey, Certificate: "/nonexistent.pem"}, true, "ssl_params.certificate: open /nonexistent.pem"},
		{"mismatched key", SSLParams{Key: crt.clientKey, Certificate: crt.serverCert}, true, "ssl_params.certificate/key"},
		{"encrypted key", SSLParams{Key: enc, Certificate: crt.serverCert}, true, "ssl_params.key: " + enc + " is encrypted"},
		{"password", SSLParams{Key: crt.serverKey, Certificate: crt.serverCert, Password: "x"}, true, "ssl_params.password"},
		{"unknown protocol", SSLParams{Protocol: "sslv3"}, false, `ssl_params.protocol: unknown protocol "sslv3"`},
		{"unknown verify flag", SSLParams{Verify: []string{"peer", "strict"}}, false, `ssl_params.verify: unknown flag "strict"`},
		{"mode of the other side", SSLParams{Mode: "client", Key: crt.serverKey, Certificate: crt.serverCert}, true, `ssl_params.mode: "client", want "server"`},
		{"peer without CAs on a server", SSLParams{Key: crt.serverKey, Certificate: crt.serverCert, Verify: []string{"peer"}}, true, `"peer" needs cafile or capath`},
		{"fail_if_no_peer_cert without peer", SSLParams{Key: crt.serverKey, Certificate: crt.serverCert, CAFile: crt.ca, Verify: []string{"fail_if_no_peer_cert"}}, true, `needs "peer"`},
		{"missing cafile", SSLParams{CAFile: "/nonexistent-ca.pem"}, false, "ssl_params.cafile: open /nonexistent-ca.pem"},
		{"cafile without certificates", SSLParams{CAFile: crt.serverKey}, false, "ssl_params.cafile: no PEM certificate"},
		{"capath without certificates", SSLParams{CAPath: t.TempDir()}, false, "ssl_params.capath: no PEM certificate"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.p.TLSConfig(tc.server)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	// capath with the CA works, and protocol sets the lowest version.
	p := SSLParams{CAPath: crt.dir, Protocol: "tlsv1_3"}
	cfg, err := p.TLSConfig(false)
	must(t, err)
	if cfg.MinVersion != tls.VersionTLS13 {
		t.Errorf("MinVersion %x", cfg.MinVersion)
	}
}
