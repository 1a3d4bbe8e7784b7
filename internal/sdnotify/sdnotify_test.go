package sdnotify

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestNotifySends(t *testing.T) {
	tests := []struct {
		name string
		send func() (bool, error)
		want string
	}{
		{"ready", Ready, "READY=1"},
		{"stopping", Stopping, "STOPPING=1"},
		{"watchdog", Watchdog, "WATCHDOG=1"},
		{"status", func() (bool, error) { return Status("3 inputs, 2 outputs") }, "STATUS=3 inputs, 2 outputs"},
		{"status newlines become spaces", func() (bool, error) { return Status("a\nb\n") }, "STATUS=a b "},
		{"status empty", func() (bool, error) { return Status("") }, "STATUS="},
		{"several assignments", func() (bool, error) { return Notify("READY=1\nSTATUS=up") }, "READY=1\nSTATUS=up"},
	}
	m := listenPath(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sent, err := tt.send()
			if err != nil || !sent {
				t.Fatalf("got (%v, %v), want (true, nil)", sent, err)
			}
			if got := m.next(5 * time.Second); got != tt.want {
				t.Errorf("datagram %q, want %q", got, tt.want)
			}
		})
	}
	m.expectNone(50 * time.Millisecond)
}

func TestNotifyNoSocket(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	for _, f := range []func() (bool, error){Ready, Stopping, Watchdog} {
		if sent, err := f(); sent || err != nil {
			t.Errorf("got (%v, %v), want (false, nil)", sent, err)
		}
	}
}

func TestNotifyBadSocket(t *testing.T) {
	tests := []struct {
		name    string
		socket  string
		wantErr error // nil: any error
	}{
		{"relative path", "run/notify", ErrUnsupportedSocket},
		{"vsock", "vsock:2:1234", ErrUnsupportedSocket},
		{"bare at", "@", ErrUnsupportedSocket},
		{"bare slash", "/", ErrUnsupportedSocket},
		{"no such file", filepath.Join(t.TempDir(), "none"), os.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("NOTIFY_SOCKET", tt.socket)
			sent, err := Ready()
			if sent || err == nil {
				t.Fatalf("got (%v, %v), want (false, error)", sent, err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// fill sends until the manager's queue is full (a send times out) and
// returns how long that last send waited.
func fill(t *testing.T) time.Duration {
	t.Helper()
	for range 100000 {
		start := time.Now()
		_, err := Notify("WATCHDOG=1")
		if err != nil {
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("send to a full queue: %v, want a deadline error", err)
			}
			return time.Since(start)
		}
	}
	t.Fatal("queue never filled")
	return 0
}

// A manager that never reads cannot hang the daemon.
func TestNotifyFullQueueTimesOut(t *testing.T) {
	listenPath(t)
	waited := fill(t)
	if waited < sendTimeout/2 || waited > sendTimeout+2*time.Second {
		t.Errorf("blocked send returned after %v, want about %v", waited, sendTimeout)
	}
}

func TestNotifyFullQueueCancel(t *testing.T) {
	listenPath(t)
	fill(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	sent, err := notify(ctx, "WATCHDOG=1")
	if sent || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("got (%v, %v), want (false, deadline error)", sent, err)
	}
	if d := time.Since(start); d > sendTimeout/2 {
		t.Errorf("cancelled send returned after %v", d)
	}
}
