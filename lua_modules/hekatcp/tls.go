package hekatcp

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// SSLParams is the ssl_params table of the reference's plugins, in
// LuaSec's shape (ssl.newcontext), read by TLSConfig.
type SSLParams struct {
	Mode        string   // "server" or "client"; checked against the side when set
	Protocol    string   // lowest version: "tlsv1", "tlsv1_1", "tlsv1_2", "tlsv1_3", "any", "sslv23"
	Key         string   // PEM private key file
	Certificate string   // PEM certificate (chain) file
	CAFile      string   // PEM file of trusted CA certificates
	CAPath      string   // directory of PEM files of trusted CA certificates
	Verify      []string // "none", "peer", "fail_if_no_peer_cert", "client_once"
	Password    string   // passphrase of an encrypted key: refused
	// ServerName (a sightline extension, client side) is the name the
	// server's certificate must carry, also sent as SNI. Without it the
	// chain is verified but not the name, as LuaSec does.
	ServerName string
}

// sslIgnored are LuaSec keys accepted and ignored: OpenSSL tuning that
// Go's TLS stack chooses for itself.
var sslIgnored = []string{"options", "ciphers", "ciphersuites", "depth", "curve", "curves_list", "dhparam", "verifyext", "alpn", "dane"}

// sslKeys are the keys an ssl_params table may hold.
var sslKeys = append([]string{"mode", "protocol", "key", "certificate", "cafile", "capath", "verify", "password", "server_name"}, sslIgnored...)

var tlsVersions = map[string]uint16{
	"tlsv1":   tls.VersionTLS10,
	"tlsv1_1": tls.VersionTLS11,
	"tlsv1_2": tls.VersionTLS12,
	"tlsv1_3": tls.VersionTLS13,
	"any":     tls.VersionTLS12,
	"sslv23":  tls.VersionTLS12,
}

// verifies reports which verify flags p holds.
func (p *SSLParams) verifies() (peer, required bool, err error) {
	for _, v := range p.Verify {
		switch v {
		case "peer":
			peer = true
		case "fail_if_no_peer_cert":
			required = true
		case "none", "client_once":
		default:
			return false, false, fmt.Errorf("ssl_params.verify: unknown flag %q (want none, peer, fail_if_no_peer_cert, client_once)", v)
		}
	}
	return peer, required, nil
}

// TLSConfig builds the TLS configuration of a listener (server) or a
// connection (client) from p. Errors name the ssl_params key at fault.
//
// Server: certificate and key are required; verify "peer" asks for a
// client certificate and checks it against cafile/capath, adding
// "fail_if_no_peer_cert" refuses clients without one. Client: certificate
// and key, when given, are the client's certificate; verify "peer" checks
// the server's chain against cafile/capath (the system's roots when
// neither is set), and its name only when server_name is set; without
// "peer" the server is not checked (LuaSec's default). protocol is the
// lowest version accepted (LuaSec: the only one).
func (p *SSLParams) TLSConfig(server bool) (*tls.Config, error) {
	side := "client"
	if server {
		side = "server"
	}
	if p.Mode != "" && p.Mode != side {
		return nil, fmt.Errorf("ssl_params.mode: %q, want %q", p.Mode, side)
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if p.Protocol != "" {
		v, ok := tlsVersions[p.Protocol]
		if !ok {
			return nil, fmt.Errorf("ssl_params.protocol: unknown protocol %q (want tlsv1, tlsv1_1, tlsv1_2, tlsv1_3 or any)", p.Protocol)
		}
		cfg.MinVersion = v
	}
	peer, required, err := p.verifies()
	if err != nil {
		return nil, err
	}
	if (p.Key == "") != (p.Certificate == "") {
		if p.Key == "" {
			return nil, errors.New("ssl_params.key: required with certificate")
		}
		return nil, errors.New("ssl_params.certificate: required with key")
	}
	if p.Key != "" {
		cert, err := loadKeyPair(p.Certificate, p.Key, p.Password)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{cert}
	} else if server {
		return nil, errors.New("ssl_params.certificate: required in server mode (with key)")
	}
	var pool *x509.CertPool
	if p.CAFile != "" || p.CAPath != "" {
		if pool, err = p.loadCAs(); err != nil {
			return nil, err
		}
	}
	if server {
		switch {
		case required && !peer:
			return nil, errors.New(`ssl_params.verify: "fail_if_no_peer_cert" needs "peer"`)
		case peer && pool == nil:
			return nil, errors.New(`ssl_params.verify: "peer" needs cafile or capath to check client certificates`)
		case peer && required:
			cfg.ClientAuth = tls.RequireAndVerifyClientCert
		case peer:
			cfg.ClientAuth = tls.VerifyClientCertIfGiven
		}
		cfg.ClientCAs = pool
		return cfg, nil
	}
	cfg.ServerName = p.ServerName
	// The chain is checked here, the name only when server_name is set:
	// LuaSec checks no name, and reference configs connect to addresses
	// their certificates do not name.
	cfg.InsecureSkipVerify = true
	if peer {
		name := p.ServerName
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			return verifyChain(cs.PeerCertificates, pool, name)
		}
	}
	return cfg, nil
}

// verifyChain checks a server's certificate chain against roots (the
// system's when nil) and, when name is set, the name.
func verifyChain(certs []*x509.Certificate, roots *x509.CertPool, name string) error {
	if len(certs) == 0 {
		return errors.New("hekatcp: the server sent no certificate")
	}
	opts := x509.VerifyOptions{Roots: roots, DNSName: name, Intermediates: x509.NewCertPool()}
	for _, c := range certs[1:] {
		opts.Intermediates.AddCert(c)
	}
	_, err := certs[0].Verify(opts)
	return err
}

func loadKeyPair(certFile, keyFile, password string) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("ssl_params.certificate: %w", err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("ssl_params.key: %w", err)
	}
	if b, _ := pem.Decode(keyPEM); b != nil && (strings.Contains(b.Type, "ENCRYPTED") || b.Headers["Proc-Type"] != "") {
		return tls.Certificate{}, fmt.Errorf("ssl_params.key: %s is encrypted; sightline reads unencrypted keys only (decrypt it, e.g. openssl pkey -in key.pem -out plain.pem)", keyFile)
	}
	if password != "" {
		return tls.Certificate{}, errors.New("ssl_params.password: encrypted keys are not supported; give an unencrypted key")
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("ssl_params.certificate/key (%s, %s): %w", certFile, keyFile, err)
	}
	return cert, nil
}

// loadCAs reads cafile and every file of capath holding PEM certificates.
func (p *SSLParams) loadCAs() (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if p.CAFile != "" {
		b, err := os.ReadFile(p.CAFile)
		if err != nil {
			return nil, fmt.Errorf("ssl_params.cafile: %w", err)
		}
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("ssl_params.cafile: no PEM certificate in %s", p.CAFile)
		}
	}
	if p.CAPath != "" {
		entries, err := os.ReadDir(p.CAPath)
		if err != nil {
			return nil, fmt.Errorf("ssl_params.capath: %w", err)
		}
		n := 0
		for _, e := range entries {
			if e.IsDir() {
				continue
			}
			b, err := os.ReadFile(filepath.Join(p.CAPath, e.Name()))
			if err != nil {
				return nil, fmt.Errorf("ssl_params.capath: %w", err)
			}
			if pool.AppendCertsFromPEM(b) {
				n++
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("ssl_params.capath: no PEM certificate in %s", p.CAPath)
		}
	}
	return pool, nil
}

// knownSSLKey reports whether k may appear in ssl_params.
func knownSSLKey(k string) bool { return slices.Contains(sslKeys, k) }
