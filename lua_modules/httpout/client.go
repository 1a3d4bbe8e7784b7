package httpout

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// UserAgent is the User-Agent of every request.
const UserAgent = "sightline"

// maxErrorBody bounds the bytes of a response body kept for a message.
const maxErrorBody = 64 << 10

// ClientOptions configure a Client. URL is required.
type ClientOptions struct {
	// URL is where requests go, "http://host:port" or "https://host:port",
	// optionally with a path prefix that request paths are appended to.
	URL string
	// Timeout bounds each network operation: connecting, the TLS
	// handshake, each read and each write (the reference's socket
	// timeout). Zero means 10 s.
	Timeout time.Duration
	// TLS is the TLS configuration of an https URL; nil means Go's
	// defaults (the system roots, full verification).
	TLS *tls.Config
	// Username and Password, when Username is set, are sent with basic
	// authentication.
	Username, Password string
	// Header is added to every request.
	Header http.Header
}

// Client sends requests to one HTTP server over kept-alive connections.
// It may be used by one goroutine at a time.
type Client struct {
	base    *url.URL
	opts    ClientOptions
	tr      *http.Transport
	hc      *http.Client
	timeout time.Duration
}

// NewClient returns a Client; it does not connect.
func NewClient(o ClientOptions) (*Client, error) {
	u, err := url.Parse(o.URL)
	if err != nil {
		return nil, err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("url %q: want http://host:port or https://host:port", o.URL)
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &deadlineConn{Conn: c, timeout: timeout}, nil
		},
		TLSClientConfig:       o.TLS,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		ExpectContinueTimeout: time.Second,
		MaxIdleConns:          2,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     false,
	}
	c := &Client{base: u, opts: o, tr: tr, timeout: timeout}
	c.hc = &http.Client{
		Transport: tr,
		// A redirect would resend a bulk body elsewhere: report it.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c, nil
}

// deadlineConn gives every read and write its own deadline, as a socket
// timeout does.
type deadlineConn struct {
	net.Conn
	timeout time.Duration
}

func (c *deadlineConn) Read(p []byte) (int, error) {
	if err := c.Conn.SetReadDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

func (c *deadlineConn) Write(p []byte) (int, error) {
	if err := c.Conn.SetWriteDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

// Close closes the idle connections. The Client remains usable.
func (c *Client) Close() { c.tr.CloseIdleConnections() }

// URL returns the address a path ("/_bulk", "/x?y=z") is sent to: the
// client's URL with the path appended.
func (c *Client) URL(path string) string {
	p, q, _ := strings.Cut(path, "?")
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, "/") + "/" + strings.TrimPrefix(p, "/")
	u.RawPath = ""
	u.RawQuery = q
	return u.String()
}

// Response is a server's answer: its status and (for Post) the start of
// its body.
type Response struct {
	Status int
	Header http.Header
	Body   []byte // at most 64 KiB
}

// Post sends body to path and returns the response, its body cut to 64
// KiB. An error is a transport failure (no response).
func (c *Client) Post(ctx context.Context, path, contentType string, body []byte) (*Response, error) {
	resp, err := c.do(ctx, path, contentType, bytes.NewReader(body), int64(len(body)))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if err != nil {
		return nil, fmt.Errorf("reading the response: %w", err)
	}
	drain(resp.Body)
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// do sends one POST of a body that can be read again (for the
// transport's retry of a request on a connection that turned out dead).
func (c *Client) do(ctx context.Context, path, contentType string, body io.ReadSeeker, size int64) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL(path), body)
	if err != nil {
		return nil, err
	}
	req.ContentLength = size
	req.GetBody = func() (io.ReadCloser, error) {
		if _, err := body.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		return io.NopCloser(body), nil
	}
	for k, vs := range c.opts.Header {
		req.Header[k] = vs
	}
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json")
	if c.opts.Username != "" {
		req.SetBasicAuth(c.opts.Username, c.opts.Password)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is in the plugin's config already
		}
		return nil, fmt.Errorf("POST %s: %w", path, err)
	}
	return resp, nil
}

// drain reads what is left of a body (a little), so its connection can
// be reused.
func drain(r io.Reader) { _, _ = io.Copy(io.Discard, io.LimitReader(r, 256<<10)) }

// TLSOptions are the reference's ssl_params (LuaSec's names), the ones
// that matter to a client.
type TLSOptions struct {
	Protocol    string // "tlsv1", "tlsv1_1", "tlsv1_2", "tlsv1_3", "any", "sslv23": the lowest version accepted
	Key         string // PEM private key of the client certificate
	Certificate string // PEM client certificate (chain)
	CAFile      string // PEM CA certificates to verify the server with
	CAPath      string // directory of PEM CA certificates
	Verify      []string
	ServerName  string // name checked in the server's certificate; default the host
}

// TLSConfig builds a tls.Config. Unlike LuaSec, whose default is no
// verification, the server is verified unless Verify contains "none".
func (o TLSOptions) TLSConfig() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: o.ServerName}
	switch strings.ToLower(o.Protocol) {
	case "", "any", "sslv23", "tlsv1_2":
	case "tlsv1":
		cfg.MinVersion = tls.VersionTLS10
	case "tlsv1_1":
		cfg.MinVersion = tls.VersionTLS11
	case "tlsv1_3":
		cfg.MinVersion = tls.VersionTLS13
	default:
		return nil, fmt.Errorf("protocol: %q is not one of tlsv1, tlsv1_1, tlsv1_2, tlsv1_3, any", o.Protocol)
	}
	if (o.Key == "") != (o.Certificate == "") {
		return nil, errors.New("key and certificate: give both or neither")
	}
	if o.Key != "" {
		cert, err := tls.LoadX509KeyPair(o.Certificate, o.Key)
		if err != nil {
			return nil, fmt.Errorf("certificate, key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if o.CAFile != "" || o.CAPath != "" {
		pool := x509.NewCertPool()
		if o.CAFile != "" {
			pem, err := os.ReadFile(o.CAFile)
			if err != nil {
				return nil, fmt.Errorf("cafile: %w", err)
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("cafile: no PEM certificate in %s", o.CAFile)
			}
		}
		if o.CAPath != "" {
			files, err := os.ReadDir(o.CAPath)
			if err != nil {
				return nil, fmt.Errorf("capath: %w", err)
			}
			for _, f := range files {
				if f.IsDir() {
					continue
				}
				// Not every file of a CA directory is a certificate (hash
				// links are); those that are not are skipped.
				if pem, err := os.ReadFile(filepath.Join(o.CAPath, f.Name())); err == nil {
					pool.AppendCertsFromPEM(pem)
				}
			}
		}
		cfg.RootCAs = pool
	}
	for _, v := range o.Verify {
		if v == "none" {
			cfg.InsecureSkipVerify = true
		}
	}
	return cfg, nil
}
