package sdnotify

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// manager is the service manager's end of the notify socket.
type manager struct {
	tb   testing.TB
	conn *net.UnixConn
}

// listenPath binds a datagram socket in a temporary directory and points
// $NOTIFY_SOCKET at it.
func listenPath(tb testing.TB) *manager {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "notify")
	if len(path) >= 108 { // sizeof(sun_path) on Linux
		tb.Skipf("socket path too long for AF_UNIX: %s", path)
	}
	return listen(tb, path)
}

// listen binds a datagram socket at name (a path, or '@' and an abstract
// name) and points $NOTIFY_SOCKET at it.
func listen(tb testing.TB, name string) *manager {
	tb.Helper()
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		tb.Fatalf("listen %s: %v", name, err)
	}
	tb.Cleanup(func() { conn.Close() })
	tb.Setenv("NOTIFY_SOCKET", name)
	return &manager{tb: tb, conn: conn}
}

// next returns the next datagram, failing the test if none arrives within
// wait.
func (m *manager) next(wait time.Duration) string {
	m.tb.Helper()
	s, ok := m.tryNext(wait)
	if !ok {
		m.tb.Fatalf("no datagram within %v", wait)
	}
	return s
}

// tryNext returns the next datagram and true, or false if none arrives
// within wait.
func (m *manager) tryNext(wait time.Duration) (string, bool) {
	m.tb.Helper()
	if err := m.conn.SetReadDeadline(time.Now().Add(wait)); err != nil {
		m.tb.Fatal(err)
	}
	buf := make([]byte, 4096)
	n, _, err := m.conn.ReadFromUnix(buf)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return "", false
	}
	if err != nil {
		m.tb.Fatalf("read: %v", err)
	}
	return string(buf[:n]), true
}

// expectNone fails the test if a datagram arrives within wait.
func (m *manager) expectNone(wait time.Duration) {
	m.tb.Helper()
	if s, ok := m.tryNext(wait); ok {
		m.tb.Fatalf("unexpected datagram %q", s)
	}
}
