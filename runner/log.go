package runner

import (
	"io"
	"log/slog"

	"github.com/sightline/sightline/config"
)

// NewLogger returns the daemon's logger writing to w: format is
// config.LogFormatText or config.LogFormatJSON, level a syslog level
// (0..7, config.Main.LogLevel). Syslog levels map to slog's: 7 debug
// (where a plugin's print is logged), 5 and 6 info, 4 warning, 0..3
// error.
func NewLogger(w io.Writer, format string, level int) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slogLevel(level)}
	if format == config.LogFormatJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func slogLevel(syslog int) slog.Level {
	switch {
	case syslog >= 7:
		return slog.LevelDebug
	case syslog >= 5:
		return slog.LevelInfo
	case syslog == 4:
		return slog.LevelWarn
	}
	return slog.LevelError
}
