// Command sightline is the sightline daemon and its tools.
//
//	sightline [run] [-config FILE]   run the daemon (the default command)
//	sightline run -once [-config FILE]  batch mode, as hindsight_cli
//	sightline cat [flags] FILE|DIR|- print the messages of a queue (see internal/catcmd)
//	sightline stats [-config FILE | -url URL]  the plugin table of a daemon (see internal/statscmd)
//	sightline logstreamer [-config FILE]  the logstreamer inputs' streams (see internal/logstreamercmd)
//	sightline version                print the version
//
// run reads the main config (default /etc/sightline/sightline.toml) and
// runs until SIGINT or SIGTERM, then shuts down cleanly and exits 0; a
// second signal exits at once with status 1. A config error is printed as
// "file:line: key: reason" and exits 1. Under systemd (Type=notify) it
// reports READY=1, STOPPING=1 and watchdog pings (configs/sightline.service).
//
// run -once is batch mode (runner.RunOnce): the inputs run to completion,
// then analysis and then outputs drain their queues, and it exits 0, or
// 1 on an error, or else the OR of 2, 4 and 8 when an input, an analysis
// or an output plugin terminated. A first signal stops the inputs (the
// drains go on), a second exits at once with status 1.
//
// The environment variables SIGHTLINE_CPUPROFILE and SIGHTLINE_MEMPROFILE
// name files for a CPU profile of a run and a heap profile at its end
// (see profile.go).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sightline/sightline/config"
	"github.com/sightline/sightline/internal/catcmd"
	"github.com/sightline/sightline/internal/checkcmd"
	"github.com/sightline/sightline/internal/logstreamercmd"
	"github.com/sightline/sightline/internal/sdnotify"
	"github.com/sightline/sightline/internal/statscmd"
	_ "github.com/sightline/sightline/lua_modules" // the modules plugins require
	"github.com/sightline/sightline/runner"
	"github.com/sightline/sightline/sandbox"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version string

const defaultConfig = config.DefaultMainPath

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run dispatches a command line and returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "run"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "run":
		return runDaemon(args, stderr)
	case "cat":
		return catcmd.Run(args, stdin, stdout, stderr)
	case "check":
		return checkcmd.Run(args, stdout, stderr)
	case "stats":
		return statscmd.Run(args, stdout, stderr)
	case "logstreamer":
		return logstreamercmd.Run(args, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "sightline", versionString())
		return 0
	case "help":
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "sightline: unknown command %q\n", cmd)
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  sightline [run] [-config FILE]   run the daemon (default config `+defaultConfig+`)
  sightline run -once [-config FILE]
                                   batch mode: run the inputs to completion, drain, exit
  sightline check [-config FILE]   validate the main config, every plugin config and its Lua
  sightline cat [flags] FILE|DIR|- print the messages of a queue ("sightline cat -h" for flags)
  sightline logstreamer [-config FILE]
                                   the streams and files of each logstreamer.lua input, in reading order
  sightline stats [-config FILE | -url http://HOST:PORT]
                                   print the plugin table of a daemon, from its metrics or plugins.tsv
  sightline version                print the version
`)
}

// runDaemon is "sightline run".
func runDaemon(args []string, stderr io.Writer) int {
	// Signals are caught from the start: one that comes while the config
	// loads is acted on as soon as the daemon runs (a clean stop).
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", defaultConfig, "main config file: TOML, or a Hindsight `.cfg`")
	once := fs.Bool("once", false, "batch mode: run the inputs to completion, drain the queues, exit (2|4|8: a plugin terminated)")
	logLevel := fs.String("log-level", "", "override the config's log_level: debug, info, warn, error, or a syslog level 0..7")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "sightline run: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	m, err := config.LoadMain(*cfgPath)
	if err != nil {
		fmt.Fprintf(stderr, "sightline: %v\n", err)
		return 1
	}
	if *logLevel != "" {
		if m.LogLevel, err = config.ParseLogLevel(*logLevel); err != nil {
			fmt.Fprintf(stderr, "sightline run: -log-level: %v\n", err)
			return 2
		}
	}
	log := runner.NewLogger(stderr, m.LogFormat, m.LogLevel)
	defer startProfiles(stderr)() // SIGHTLINE_CPUPROFILE, SIGHTLINE_MEMPROFILE: see profile.go
	sandbox.PaceGC()              // fewer collections for small heaps; GOGC or GOMEMLIMIT turn it off

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case s := <-sigs:
			log.Info("signal received, shutting down (a second signal exits at once)", "signal", s.String())
			cancel()
		case <-done:
			return
		}
		select {
		case s := <-sigs:
			log.Error("second signal, exiting now", "signal", s.String())
			os.Exit(1)
		case <-done:
		}
	}()

	code := 0
	if *once {
		code, err = runner.RunOnce(ctx, m, systemd(log))
	} else {
		err = runner.Run(ctx, m, systemd(log))
	}
	if err != nil {
		fmt.Fprintf(stderr, "sightline: %v\n", err)
		return 1
	}
	return code
}

// systemd returns the runner options that keep systemd informed (see
// internal/sdnotify; without $NOTIFY_SOCKET nothing is sent): READY=1 once
// the plugins run, STOPPING=1 at shutdown, and watchdog pings while the
// daemon's heartbeat keeps coming.
func systemd(log *slog.Logger) runner.Options {
	var beat atomic.Int64
	beat.Store(time.Now().UnixNano())
	notify := func(what string, send func() (bool, error)) {
		if _, err := send(); err != nil {
			log.Warn("systemd notification failed", "notification", what, "err", err)
		}
	}
	watchdog, stop := context.WithCancel(context.Background())
	return runner.Options{
		Logger: log,
		Ready: func() {
			notify("READY", sdnotify.Ready)
			go sdnotify.RunWatchdog(watchdog, func() bool {
				return time.Since(time.Unix(0, beat.Load())) < heartbeatTimeout
			})
		},
		Stopping: func() {
			stop()
			notify("STOPPING", sdnotify.Stopping)
		},
		Heartbeat: func() { beat.Store(time.Now().UnixNano()) },
	}
}

// heartbeatTimeout is how long the daemon's heartbeat may be silent before
// the watchdog pings stop.
const heartbeatTimeout = 10 * time.Second

// versionString is the version set at build time, else the module's.
func versionString() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := info.Main.Version
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v
}
