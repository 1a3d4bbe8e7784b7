package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// How long the metrics server waits for scrapes in progress at shutdown,
// and for a request's header.
const (
	metricsShutdownTimeout = time.Second
	metricsHeaderTimeout   = 10 * time.Second
)

// listenMetrics opens metrics_listen, when set, so that a bad address or
// a port in use fails Run at startup. It is the last step of open: run
// closes the listener (through the server), nothing else does.
func (d *daemon) listenMetrics() error {
	if d.m.MetricsListen == "" {
		return nil
	}
	ln, err := net.Listen("tcp", d.m.MetricsListen)
	if err != nil {
		return d.m.ErrorAt("metrics_listen", err)
	}
	d.obs.ln = ln
	return nil
}

// observe starts, on wg, the metrics server (when metrics_listen is set)
// and the writer of plugins.tsv and utilization.tsv; both stop when bg
// ends, the writer after a last write. ctx is the daemon's: /healthz
// says "shutting down" once it ends.
func (d *daemon) observe(bg, ctx context.Context, wg *sync.WaitGroup) {
	wg.Go(func() { d.writeStatsFiles(bg) })
	if ln := d.obs.ln; ln != nil {
		srv := d.metricsServer(ctx)
		d.log.Info("metrics listening", "addr", ln.Addr().String(), "metrics", "/metrics", "health", "/healthz")
		wg.Go(func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				d.log.Error("metrics server failed", "err", err)
			}
		})
		wg.Go(func() {
			<-bg.Done()
			sctx, cancel := context.WithTimeout(context.Background(), metricsShutdownTimeout)
			defer cancel()
			if err := srv.Shutdown(sctx); err != nil {
				_ = srv.Close()
			}
		})
	}
}

// metricsServer returns the server of /metrics and /healthz, with a
// registry of its own: the daemon's collector, Go's and the process's.
func (d *daemon) metricsServer(ctx context.Context) *http.Server {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collector{d},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      promLogger{d.log},
		ErrorHandling: promhttp.ContinueOnError,
	}))
	mux.Handle("/healthz", d.healthHandler(ctx))
	return &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: metricsHeaderTimeout,
		ErrorLog:          slog.NewLogLogger(d.log.Handler(), slog.LevelWarn),
	}
}

// promLogger is promhttp's error log on the daemon's logger.
type promLogger struct{ log *slog.Logger }

func (l promLogger) Println(v ...any) {
	l.log.Warn("metrics: " + strings.TrimSuffix(fmt.Sprintln(v...), "\n"))
}
