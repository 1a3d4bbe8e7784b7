// Package sdnotify tells systemd how the daemon is doing: that it is ready,
// that it is stopping, a one-line status, and that it is still alive (the
// watchdog). It is what lets configs/sightline.service use Type=notify and
// WatchdogSec=.
//
// # Protocol
//
// systemd passes a datagram socket in $NOTIFY_SOCKET: a file system path
// ("/run/systemd/notify") or, when the value starts with '@', a Linux
// abstract socket name (the '@' stands for the leading NUL byte). Each
// notification is one datagram of newline-separated VAR=value assignments,
// sent on an unbound AF_UNIX SOCK_DGRAM socket; there is no reply. The ones
// sightline sends:
//
//	READY=1     startup is done: systemd marks the unit active
//	STOPPING=1  shutdown has begun
//	STATUS=...  free text shown by "systemctl status"
//	WATCHDOG=1  the daemon is alive: the watchdog timer starts over
//
// Without $NOTIFY_SOCKET (the daemon was not started by systemd, or the
// unit is not Type=notify) every call does nothing and reports sent=false
// with a nil error, so callers need no special case. Other address kinds
// (such as "vsock:") are refused with ErrUnsupportedSocket.
//
// A send waits at most a second for room in the receiver's queue, so a
// stalled service manager cannot hang startup or shutdown.
//
// # Watchdog
//
// With WatchdogSec= set, systemd passes the timeout in $WATCHDOG_USEC
// (microseconds) and the process it is meant for in $WATCHDOG_PID; a
// process whose pid is not that one is not watched (WatchdogInterval
// reports false). RunWatchdog sends WATCHDOG=1 every half interval while
// its health check passes. When the check fails it stays silent, and
// systemd kills and, with Restart=on-failure, restarts a daemon that has
// been unhealthy for a whole interval; a check that passes again in time
// resumes the pings.
//
// The environment is left as it is: a child process started by the daemon
// would inherit $NOTIFY_SOCKET, but systemd ignores it unless the unit says
// NotifyAccess=all (sightline's unit says main).
package sdnotify
