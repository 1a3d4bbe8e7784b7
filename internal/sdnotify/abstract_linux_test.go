package sdnotify

import (
	"fmt"
	"os"
	"testing"
	"time"
)

// systemd may pass an abstract socket, "@" and a name outside the file
// system.
func TestNotifyAbstractSocket(t *testing.T) {
	name := fmt.Sprintf("@sightline-sdnotify-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	m := listen(t, name)
	if sent, err := Ready(); err != nil || !sent {
		t.Fatalf("Ready: (%v, %v), want (true, nil)", sent, err)
	}
	if got := m.next(5 * time.Second); got != "READY=1" {
		t.Errorf("datagram %q, want READY=1", got)
	}
	if _, err := os.Stat(name); err == nil {
		t.Errorf("abstract socket %s shows up in the file system", name)
	}
}
