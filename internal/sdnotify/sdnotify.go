package sdnotify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

// ErrUnsupportedSocket is returned when $NOTIFY_SOCKET is neither an
// absolute path nor an abstract socket name starting with '@'.
var ErrUnsupportedSocket = errors.New("sdnotify: unsupported NOTIFY_SOCKET address")

// sendTimeout bounds how long one notification waits for room in the
// service manager's queue.
const sendTimeout = time.Second

// Notify sends state, one or more newline-separated VAR=value assignments,
// to the service manager at $NOTIFY_SOCKET. It reports whether the
// datagram was sent; with no $NOTIFY_SOCKET it sends nothing and returns
// (false, nil).
func Notify(state string) (sent bool, err error) {
	return notify(context.Background(), state)
}

// Ready tells the service manager that startup is done (READY=1).
func Ready() (sent bool, err error) { return Notify("READY=1") }

// Stopping tells the service manager that shutdown has begun (STOPPING=1).
func Stopping() (sent bool, err error) { return Notify("STOPPING=1") }

// Watchdog tells the service manager that the daemon is alive
// (WATCHDOG=1). RunWatchdog calls it on a schedule.
func Watchdog() (sent bool, err error) { return Notify("WATCHDOG=1") }

// Status sets the one-line status shown by "systemctl status"
// (STATUS=text). Newlines in text, which would end the assignment, become
// spaces.
func Status(text string) (sent bool, err error) {
	return Notify("STATUS=" + strings.ReplaceAll(text, "\n", " "))
}

// notify is Notify with a context: a send blocked on a full queue gives up
// when ctx ends or after sendTimeout, whichever is first.
func notify(ctx context.Context, state string) (bool, error) {
	name := os.Getenv("NOTIFY_SOCKET")
	if name == "" {
		return false, nil
	}
	if len(name) < 2 || (name[0] != '/' && name[0] != '@') {
		return false, fmt.Errorf("%w: %q", ErrUnsupportedSocket, name)
	}
	// An '@' prefix makes the net package use the abstract namespace.
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		return false, fmt.Errorf("sdnotify: %w", err)
	}
	defer conn.Close()

	deadline := time.Now().Add(sendTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := conn.SetWriteDeadline(deadline); err != nil {
		return false, fmt.Errorf("sdnotify: %w", err)
	}
	// Cut a blocked write short when ctx is cancelled.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetWriteDeadline(time.Unix(1, 0)) })
	defer stop()

	if _, err := conn.Write([]byte(state)); err != nil {
		return false, fmt.Errorf("sdnotify: %w", err)
	}
	return true, nil
}
