package cursor

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/sightline/sightline/queue"
)

// MaxCheckpointSize is the largest string checkpoint, in bytes, an input
// plugin may keep: 256 KiB. Lua code may set at most 8191 bytes, as in the
// reference (sandbox.MaxCheckpointSize); Go modules keep larger ones (the
// logstreamer's journal of every stream it follows).
const MaxCheckpointSize = 256 << 10

// maxQueueName bounds a queue name so a line of the file stays short.
const maxQueueName = 64

// Plugin types, the first part of a Key and of a cursor file name.
const (
	TypeInput    = "input"
	TypeAnalysis = "analysis"
	TypeOutput   = "output"
)

// Key names one plugin's cursor: its type (TypeInput, TypeAnalysis or
// TypeOutput) and its name. Its file is "<type>.<name>.cp".
type Key struct {
	Type string
	Name string
}

// String returns "<type>.<name>", the reference's way to name a plugin.
func (k Key) String() string { return k.Type + "." + k.Name }

// validate checks that k names a plugin type and that its name is usable as
// part of one file name in the cursors directory.
func (k Key) validate() error {
	switch k.Type {
	case TypeInput, TypeAnalysis, TypeOutput:
	default:
		return fmt.Errorf("%w: type %q", ErrInvalidKey, k.Type)
	}
	if k.Name == "" || strings.HasPrefix(k.Name, ".") || strings.ContainsAny(k.Name, "/\\\x00") {
		return fmt.Errorf("%w: name %q", ErrInvalidKey, k.Name)
	}
	return nil
}

// Path returns the cursor file of plugin <typ>.<name> under outputPath:
// "<outputPath>/cursors/<typ>.<name>.cp".
func Path(outputPath, typ, name string) string {
	return filepath.Join(outputPath, "cursors", Key{typ, name}.String()+".cp")
}

// CheckpointKind says which field of a Checkpoint holds its value.
type CheckpointKind uint8

// The kinds of checkpoint an input plugin can keep: none, a Lua number, or
// a Lua string.
const (
	CheckpointNone CheckpointKind = iota
	CheckpointNumber
	CheckpointString
)

// String returns "none", "number" or "string".
func (k CheckpointKind) String() string {
	switch k {
	case CheckpointNone:
		return "none"
	case CheckpointNumber:
		return "number"
	case CheckpointString:
		return "string"
	}
	return fmt.Sprintf("CheckpointKind(%d)", uint8(k))
}

// Checkpoint is an input plugin's own resume point, opaque to sightline. Only
// the field named by Kind is meaningful. The zero Checkpoint is "none".
type Checkpoint struct {
	Kind   CheckpointKind
	Number float64 // any float64; NaN is kept as NaN, without its payload
	String string  // any bytes, at most MaxCheckpointSize
}

// validate reports an unknown Kind or an oversized string.
func (c Checkpoint) validate() error {
	switch c.Kind {
	case CheckpointNone, CheckpointNumber:
		return nil
	case CheckpointString:
		if len(c.String) > MaxCheckpointSize {
			return fmt.Errorf("%w: %d bytes, limit %d", ErrCheckpointTooLarge, len(c.String), MaxCheckpointSize)
		}
		return nil
	}
	return fmt.Errorf("%w: %d", ErrInvalidCheckpoint, uint8(c.Kind))
}

// State is what one cursor file holds: the committed position per queue the
// plugin reads ("input", "analysis"), meaning every record before it has
// been fully handled, and, for an input plugin, its own checkpoint.
type State struct {
	Queues     map[string]queue.Position
	Checkpoint Checkpoint
}

// validate checks every queue name and position, and the checkpoint.
func (s State) validate() error {
	for name, p := range s.Queues {
		if err := validatePosition(name, p); err != nil {
			return err
		}
	}
	return s.Checkpoint.validate()
}

// validatePosition checks one entry of State.Queues.
func validatePosition(name string, p queue.Position) error {
	if err := validateQueue(name); err != nil {
		return err
	}
	if p.Offset < 0 {
		return fmt.Errorf("%w: queue %s at %s", ErrInvalidPosition, name, p)
	}
	return nil
}

// Dep says a state may be saved only once queue Queue is durable up to Pos:
// Pos is the writer position after the last record the plugin appended to
// that queue before the state was reached.
type Dep struct {
	Queue string
	Pos   queue.Position
}

// validateQueue accepts 1 to 64 bytes of [A-Za-z0-9_.-], so a name is one
// word on a line of the file.
func validateQueue(name string) error {
	if name == "" || len(name) > maxQueueName {
		return fmt.Errorf("%w: %q", ErrInvalidQueue, name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-') {
			return fmt.Errorf("%w: %q", ErrInvalidQueue, name)
		}
	}
	return nil
}
