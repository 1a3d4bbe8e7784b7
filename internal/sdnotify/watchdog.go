package sdnotify

import (
	"context"
	"math"
	"os"
	"strconv"
	"time"
)

// WatchdogInterval returns the watchdog timeout systemd set for this
// process ($WATCHDOG_USEC) and whether the watchdog is on. It is off when
// $WATCHDOG_USEC is unset, zero or not a number, and when $WATCHDOG_PID is
// set to anything but this process's pid.
func WatchdogInterval() (time.Duration, bool) {
	s := os.Getenv("WATCHDOG_USEC")
	if s == "" {
		return 0, false
	}
	usec, err := strconv.ParseUint(s, 10, 64)
	if err != nil || usec == 0 || usec > math.MaxInt64/uint64(time.Microsecond) {
		return 0, false
	}
	if p := os.Getenv("WATCHDOG_PID"); p != "" {
		pid, err := strconv.Atoi(p)
		if err != nil || pid != os.Getpid() {
			return 0, false
		}
	}
	return time.Duration(usec) * time.Microsecond, true
}

// RunWatchdog sends WATCHDOG=1 at once and then every half watchdog
// interval, each time only if healthy returns true, until ctx ends. A nil
// healthy counts as always healthy. healthy runs on the caller's goroutine
// and should return quickly.
//
// Skipping pings is how a wedged daemon gets restarted: systemd kills it
// once a whole interval passes without one. A failed send is not reported;
// the next tick tries again.
//
// RunWatchdog returns at once when the watchdog is off (see
// WatchdogInterval), else when ctx ends. It starts no goroutine that
// outlives it.
func RunWatchdog(ctx context.Context, healthy func() bool) {
	interval, ok := WatchdogInterval()
	if !ok {
		return
	}
	period := interval / 2 // at least 500ns: interval is whole microseconds
	ping := func() {
		if ctx.Err() == nil && (healthy == nil || healthy()) {
			_, _ = notify(ctx, "WATCHDOG=1")
		}
	}

	ping()
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			ping()
		}
	}
}
