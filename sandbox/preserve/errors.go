package preserve

import (
	"errors"
	"fmt"
)

// ErrTimeout means a state file's code ran longer than
// RestoreOptions.Timeout (an endless loop, or far more data than a state
// file holds). It is wrapped in a *RestoreError.
var ErrTimeout = errors.New("preserve: restore timed out")

// RestoreError reports a state file that could not be restored and has
// been moved aside. The Lua state it was run in is partly restored and
// must be discarded: the caller logs a warning and creates the plugin
// again, clean, without restoring.
type RestoreError struct {
	File    string // the state file
	MovedTo string // where the file was moved; "" if moving it failed too
	Err     error  // the Lua, I/O or timeout error
}

// Error names the file, the failure and where the file went.
func (e *RestoreError) Error() string {
	if e.MovedTo == "" {
		return fmt.Sprintf("preserve: restore %s: %v", e.File, e.Err)
	}
	return fmt.Sprintf("preserve: restore %s: %v (moved to %s)", e.File, e.Err, e.MovedTo)
}

// Unwrap returns the underlying error, so errors.Is(err, ErrTimeout)
// works through a *RestoreError.
func (e *RestoreError) Unwrap() error { return e.Err }
