package sdnotify_test

import (
	"context"
	"log/slog"
	"os/signal"
	"sync"
	"syscall"

	"github.com/sightline/sightline/internal/sdnotify"
)

// How a daemon under Type=notify and WatchdogSec= uses the package. Outside
// systemd every call is a no-op.
func Example() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()

	// ... open queues, start plugins ...
	healthy := func() bool { return true } // e.g. the runner made progress lately

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sdnotify.RunWatchdog(ctx, healthy)
	}()
	if _, err := sdnotify.Ready(); err != nil {
		slog.Warn("sd_notify", "err", err)
	}
	_, _ = sdnotify.Status("running")

	<-ctx.Done()
	_, _ = sdnotify.Stopping()
	// ... shut down in order ...
	wg.Wait()
}
