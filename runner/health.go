package runner

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

// unhealthy returns why the daemon is not healthy, one reason per line,
// or nothing when every loaded plugin runs (or finished cleanly) and both
// queue writers are healthy. Backpressure is not a reason: it is the
// daemon doing its job. ctx is the daemon's: once it ends, the
// daemon is shutting down.
func (d *daemon) unhealthy(ctx context.Context) []string {
	var reasons []string
	if ctx.Err() != nil {
		reasons = append(reasons, "shutting down")
	}
	plugins, notLoaded := d.obs.snapshot()
	for i := range plugins {
		if s := &plugins[i]; s.failed != "" {
			reasons = append(reasons, fmt.Sprintf("plugin %s terminated: %s", s.w.name, s.failed))
		}
	}
	for _, f := range notLoaded {
		reasons = append(reasons, fmt.Sprintf("plugin %s not loaded: %s", f[0], f[1]))
	}
	for _, q := range []string{queueInput, queueAnalysis} {
		if err := d.writer(q).Healthy(); err != nil {
			reasons = append(reasons, fmt.Sprintf("queue %s not writable (injections wait; retrying every %v): %v", q, d.opts.RecoverInterval, err))
		}
	}
	return reasons
}

// healthHandler serves /healthz: 200 and "ok", or 503 and the reasons,
// one a line.
func (d *daemon) healthHandler(ctx context.Context) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		reasons := d.unhealthy(ctx)
		if len(reasons) == 0 {
			w.WriteHeader(http.StatusOK)
			fmt.Fprintln(w, "ok")
			return
		}
		for i, r := range reasons {
			// One reason per line, whatever a plugin's error holds.
			reasons[i] = strings.NewReplacer("\r", " ", "\n", " ").Replace(r)
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, strings.Join(reasons, "\n"))
	})
}
