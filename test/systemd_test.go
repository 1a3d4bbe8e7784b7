package test

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestSystemdNotify: under systemd (Type=notify, WatchdogSec) the daemon
// says READY=1 once running, pings the watchdog, and says STOPPING=1 at
// shutdown.
func TestSystemdNotify(t *testing.T) {
	dir := t.TempDir()
	files(t, dir, map[string]string{
		"sightline.toml":     mainConfig(),
		"run/input/.keep":    "",
		"run/analysis/.keep": "",
		"run/output/.keep":   "",
	})
	sock := filepath.Join(dir, "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var mu sync.Mutex
	var got []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			mu.Lock()
			got = append(got, string(buf[:n]))
			mu.Unlock()
		}
	}()
	received := func() string {
		mu.Lock()
		defer mu.Unlock()
		return strings.Join(got, ",")
	}

	p := startEnv(t, dir, []string{"NOTIFY_SOCKET=" + sock, "WATCHDOG_USEC=200000"}, "run", "-config", filepath.Join(dir, "sightline.toml"))
	ok := waitFor(func() bool {
		return strings.Contains(received(), "READY=1") && strings.Count(received(), "WATCHDOG=1") >= 2
	}, 20*time.Second)
	p.stop(t)
	if !ok {
		t.Fatalf("notifications: %q; stderr:\n%s", received(), p.stderr)
	}
	if !waitFor(func() bool { return strings.Contains(received(), "STOPPING=1") }, 5*time.Second) {
		t.Errorf("no STOPPING=1: %q", received())
	}
	conn.Close()
	<-done
	_ = os.Remove(sock)
}
