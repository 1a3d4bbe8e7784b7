package statscmd

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/sightline/sightline/config"
)

// Exit codes of Run.
const (
	ExitOK     = 0 // the table was printed
	ExitSource = 1 // no source could be read
	ExitUsage  = 2 // bad arguments, or the main config cannot be read
)

const defaultConfig = config.DefaultMainPath

const usageLine = "usage: sightline stats [-config FILE | -url http://HOST:PORT]"

// fetchTimeout bounds a request to the metrics endpoint.
const fetchTimeout = 5 * time.Second

// Run runs `sightline stats` with args (the arguments after "stats") and
// returns the exit code.
func Run(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("stats", flag.ContinueOnError)
	fl.SetOutput(stderr)
	cfg := fl.String("config", defaultConfig, "main config `file` of the daemon: TOML, or a Hindsight .cfg")
	rawURL := fl.String("url", "", "metrics endpoint of the daemon, e.g. http://127.0.0.1:9469")
	fl.Usage = func() {
		fmt.Fprintln(fl.Output(), usageLine)
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	if fl.NArg() > 0 {
		fmt.Fprintf(stderr, "sightline stats: unexpected argument %q\n%s\n", fl.Arg(0), usageLine)
		return ExitUsage
	}
	configSet := false
	fl.Visit(func(f *flag.Flag) { configSet = configSet || f.Name == "config" })
	if *rawURL != "" && configSet {
		fmt.Fprintf(stderr, "sightline stats: -config and -url exclude each other\n%s\n", usageLine)
		return ExitUsage
	}

	var t *table
	if *rawURL != "" {
		u, err := metricsURL(*rawURL)
		if err != nil {
			fmt.Fprintf(stderr, "sightline stats: -url: %v\n", err)
			return ExitUsage
		}
		if t, err = fromMetrics(u); err != nil {
			fmt.Fprintf(stderr, "sightline stats: %v\n", err)
			return ExitSource
		}
	} else {
		m, err := config.LoadMain(*cfg)
		if err != nil {
			fmt.Fprintf(stderr, "sightline stats: %v\n", err)
			return ExitUsage
		}
		m = m.Resolved()
		if m.MetricsListen != "" {
			t, err = fromMetrics(listenURL(m.MetricsListen))
			if err != nil {
				fmt.Fprintf(stderr, "sightline stats: %v; reading plugins.tsv instead\n", err)
			}
		}
		if t == nil {
			if t, err = fromTSV(filepath.Join(m.OutputPath, "plugins.tsv")); err != nil {
				fmt.Fprintf(stderr, "sightline stats: %v\n", err)
				return ExitSource
			}
		}
	}
	if err := t.write(stdout); err != nil {
		fmt.Fprintf(stderr, "sightline stats: %v\n", err)
		return ExitSource
	}
	return ExitOK
}

// metricsURL checks a -url and adds /metrics when it names no path.
func metricsURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q is not an http:// or https:// URL", raw)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/metrics"
	}
	return u.String(), nil
}

// listenURL returns the metrics URL of a metrics_listen address; an empty
// or unspecified host (every interface) is asked on the loopback.
func listenURL(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "http://" + listen + "/metrics"
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	return "http://" + net.JoinHostPort(host, port) + "/metrics"
}

// fromMetrics reads the table from a metrics endpoint.
func fromMetrics(u string) (*table, error) {
	tr := &http.Transport{DisableKeepAlives: true, Proxy: http.ProxyFromEnvironment}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: fetchTimeout}
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", u, resp.Status)
	}
	t, err := parseMetrics(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", u, err)
	}
	t.source = u
	return t, nil
}

// fromTSV reads the table from a plugins.tsv.
func fromTSV(path string) (*table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	t, err := parseTSV(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	t.source = fmt.Sprintf("%s, written %s", path, fi.ModTime().Format(time.RFC3339))
	return t, nil
}
