package sdnotify

import (
	"context"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

func TestWatchdogInterval(t *testing.T) {
	self := strconv.Itoa(os.Getpid())
	other := strconv.Itoa(os.Getpid() + 1)
	tests := []struct {
		name   string
		usec   string
		pid    string
		want   time.Duration
		wantOK bool
	}{
		{"unset", "", "", 0, false},
		{"30s", "30000000", "", 30 * time.Second, true},
		{"30s for this pid", "30000000", self, 30 * time.Second, true},
		{"one microsecond", "1", "", time.Microsecond, true},
		{"pid mismatch", "30000000", other, 0, false},
		{"pid not a number", "30000000", "main", 0, false},
		{"zero", "0", "", 0, false},
		{"negative", "-5", "", 0, false},
		{"not a number", "30s", "", 0, false},
		{"overflows a Duration", "18446744073709551615", "", 0, false},
		{"largest that fits", "9223372036854775", "", 9223372036854775 * time.Microsecond, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("WATCHDOG_USEC", tt.usec)
			t.Setenv("WATCHDOG_PID", tt.pid)
			got, ok := WatchdogInterval()
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("WatchdogInterval() = (%v, %v), want (%v, %v)", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// startWatchdog runs RunWatchdog with the given interval until the test
// ends or stop is called; stop waits for it to return.
func startWatchdog(t *testing.T, interval time.Duration, healthy func() bool) (stop func()) {
	t.Helper()
	t.Setenv("WATCHDOG_USEC", strconv.FormatInt(interval.Microseconds(), 10))
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		RunWatchdog(ctx, healthy)
	}()
	stop = func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("RunWatchdog did not return after cancel")
		}
	}
	t.Cleanup(stop)
	return stop
}

func TestRunWatchdogCadence(t *testing.T) {
	m := listenPath(t)
	const interval = 200 * time.Millisecond
	period := interval / 2
	startWatchdog(t, interval, nil)

	if got := m.next(5 * time.Second); got != "WATCHDOG=1" {
		t.Fatalf("first datagram %q, want WATCHDOG=1", got)
	}
	first := time.Now()
	const pings = 6
	for i := range pings {
		if got := m.next(5 * time.Second); got != "WATCHDOG=1" {
			t.Fatalf("datagram %d: %q, want WATCHDOG=1", i+1, got)
		}
	}
	// A ticker never fires early, so the pings after the first take at
	// least pings-1 periods past its receipt. The upper bound leaves 300ms
	// for a loaded machine yet fails a daemon pinging once per interval.
	elapsed := time.Since(first)
	if lo, hi := (pings-1)*period, (pings+1)*period+300*time.Millisecond; elapsed < lo || elapsed > hi {
		t.Errorf("%d pings took %v, want %v..%v (one per %v)", pings, elapsed, lo, hi, period)
	}
}

func TestRunWatchdogUnhealthy(t *testing.T) {
	m := listenPath(t)
	const interval = 60 * time.Millisecond
	var healthy atomic.Bool
	healthy.Store(true)
	stop := startWatchdog(t, interval, healthy.Load)

	m.next(5 * time.Second)
	m.next(5 * time.Second)

	healthy.Store(false)
	// A ping whose check ran just before the switch may still arrive.
	m.tryNext(interval)
	m.expectNone(3 * interval)

	healthy.Store(true)
	if got := m.next(5 * time.Second); got != "WATCHDOG=1" {
		t.Fatalf("after recovery: %q, want WATCHDOG=1", got)
	}

	stop()
	// Drain what was sent before stop returned; nothing may follow.
	for {
		if _, ok := m.tryNext(10 * time.Millisecond); !ok {
			break
		}
	}
	m.expectNone(3 * interval)
}

func TestRunWatchdogStopsWithContext(t *testing.T) {
	m := listenPath(t)
	stop := startWatchdog(t, time.Hour, nil)
	if got := m.next(5 * time.Second); got != "WATCHDOG=1" {
		t.Fatalf("first datagram %q, want WATCHDOG=1", got)
	}
	start := time.Now()
	stop()
	if d := time.Since(start); d > time.Second {
		t.Errorf("RunWatchdog took %v to return after cancel", d)
	}
}

func TestRunWatchdogOff(t *testing.T) {
	tests := []struct {
		name, usec, pid string
	}{
		{"no WATCHDOG_USEC", "", ""},
		{"another process's watchdog", "50000", strconv.Itoa(os.Getpid() + 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := listenPath(t)
			t.Setenv("WATCHDOG_USEC", tt.usec)
			t.Setenv("WATCHDOG_PID", tt.pid)
			returned := make(chan struct{})
			go func() {
				defer close(returned)
				RunWatchdog(context.Background(), nil)
			}()
			select {
			case <-returned:
			case <-time.After(5 * time.Second):
				t.Fatal("RunWatchdog with the watchdog off did not return")
			}
			m.expectNone(50 * time.Millisecond)
		})
	}
}

// A health check is not consulted after ctx ends.
func TestRunWatchdogCancelledBeforeStart(t *testing.T) {
	m := listenPath(t)
	t.Setenv("WATCHDOG_USEC", "50000")
	t.Setenv("WATCHDOG_PID", "")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var calls atomic.Int32
	RunWatchdog(ctx, func() bool { calls.Add(1); return true })
	if n := calls.Load(); n != 0 {
		t.Errorf("healthy called %d times after cancel", n)
	}
	m.expectNone(50 * time.Millisecond)
}
