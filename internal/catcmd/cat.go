package catcmd

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sightline/sightline/message"
	"github.com/sightline/sightline/message/matcher"
	"github.com/sightline/sightline/queue"
)

// Exit codes of Run and RunContext.
const (
	ExitOK     = 0 // done (damage skipped and -f interrupted included)
	ExitUsage  = 1 // bad arguments or matcher
	ExitInput  = 2 // the input cannot be opened or read
	ExitOutput = 3 // the output cannot be written
)

const usageLine = "usage: sightline cat [-count] [-match EXPR] [-format text|json|heka] [-f] [-offset N|SEG:OFF] [-n N] FILE|DIR|-"

// followPoll is how often -f looks for more bytes in a file, or for a
// first segment in an empty queue directory (the reference sleeps 1 s).
const followPoll = 200 * time.Millisecond

// discardLogger silences queue.Reader: every damage it meets reaches
// OnCorruption.
var discardLogger = slog.New(slog.DiscardHandler)

// sleep waits followPoll; it returns false, at once, when ctx is done.
func sleep(ctx context.Context) bool {
	t := time.NewTimer(followPoll)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// options are the parsed command line.
type options struct {
	count  bool
	match  string
	format string
	follow bool
	offset string
	last   int // -n; -1 when not given
	input  string
}

// Run runs `sightline cat` with args (the arguments after "cat") and
// returns the exit code. With -f it stops at SIGINT or SIGTERM.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx := context.Background()
	// Only -f waits by itself; without it the default signal behaviour
	// (the process ends at once, as the reference's does) is kept, so a
	// read blocked on stdin cannot hold up an interrupt.
	if o, err := parseArgs(args, io.Discard); err == nil && o.follow {
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
	}
	return RunContext(ctx, args, stdin, stdout, stderr)
}

// RunContext is Run stopping when ctx is done instead of at a signal: with
// -f it returns once ctx is done, otherwise at the end of the input or
// early when ctx is done. Either way it prints the summary first.
func RunContext(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, err := parseArgs(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		fmt.Fprintf(stderr, "sightline cat: %v\n%s\n", err, usageLine)
		return ExitUsage
	}
	m, err := matcher.Compile(o.match)
	if err != nil {
		fmt.Fprintf(stderr, "sightline cat: invalid message matcher: %v\n", err)
		return ExitUsage
	}
	c := &catter{m: m, out: bufio.NewWriterSize(stdout, 64<<10), errw: stderr}
	switch {
	case o.count:
		c.emit = nil
	case o.format == "text":
		c.emit = appendText
	case o.format == "json":
		c.emit = appendJSON
	case o.format == "heka":
		c.emit = appendHeka
	}

	code := c.run(ctx, o, stdin)
	if err := c.out.Flush(); err != nil && c.werr == nil {
		c.werr = err
	}
	if c.reading {
		summary := fmt.Sprintf("Processed: %d, matched: %d messages\n", c.processed, c.matched)
		if o.count && c.werr == nil {
			if _, err := io.WriteString(stdout, summary); err != nil {
				c.werr = err
			}
		} else {
			io.WriteString(stderr, summary)
		}
	}
	if c.werr != nil {
		fmt.Fprintf(stderr, "sightline cat: write output: %v\n", c.werr)
		return ExitOutput
	}
	return code
}

// parseArgs parses the command line; flags may follow the input.
func parseArgs(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("sightline cat", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&o.count, "count", false, "print only the number of messages processed and matched, on stdout")
	fs.StringVar(&o.match, "match", "TRUE", "message matcher `expression` selecting the messages to print")
	fs.StringVar(&o.format, "format", "text", "output `format`: text (lsb_heka_cat's), json (one object per line) or heka (frames)")
	fs.BoolVar(&o.follow, "f", false, "follow: at the end of the input wait for more until interrupted")
	fs.StringVar(&o.offset, "offset", "", "start at byte `N` of the file, or at SEG:OFF of a queue directory")
	fs.IntVar(&o.last, "n", -1, "start at the `N`-th last message")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), usageLine)
		fs.PrintDefaults()
	}

	var inputs []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			return o, err
		}
		left := fs.Args()
		if len(left) == 0 {
			break
		}
		// Parse stops at the first argument that is not a flag, or
		// after "--", which makes every later argument an input.
		if used := len(rest) - len(left); used > 0 && rest[used-1] == "--" {
			inputs = append(inputs, left...)
			break
		}
		inputs = append(inputs, left[0])
		rest = left[1:]
	}
	switch {
	case len(inputs) != 1:
		return o, errors.New("exactly one input (FILE, DIR or -) is required")
	case o.format != "text" && o.format != "json" && o.format != "heka":
		return o, fmt.Errorf("unknown -format %q (text, json or heka)", o.format)
	case o.last < -1:
		return o, errors.New("-n must not be negative")
	case o.last >= 0 && o.offset != "":
		return o, errors.New("-n and -offset exclude each other")
	case o.last >= 0 && inputs[0] == "-":
		return o, errors.New("-n needs a file or directory, not stdin")
	}
	o.input = inputs[0]
	return o, nil
}

// catter reads messages from one input and prints those that match.
type catter struct {
	m    *matcher.Matcher
	emit func(dst []byte, v *message.View) []byte // nil with -count
	out  *bufio.Writer
	errw io.Writer

	buf       []byte
	reading   bool // the input is open: the summary is due
	processed int64
	matched   int64
	werr      error // first output error: stops the run
}

// handle counts v and prints it if it matches.
func (c *catter) handle(v *message.View) {
	c.processed++
	if !c.m.Match(v) {
		return
	}
	c.matched++
	if c.emit == nil {
		return
	}
	c.buf = c.emit(c.buf[:0], v)
	if _, err := c.out.Write(c.buf); err != nil && c.werr == nil {
		c.werr = err
	}
}

// flush hands printed messages on before the reader waits for more.
func (c *catter) flush() {
	if err := c.out.Flush(); err != nil && c.werr == nil {
		c.werr = err
	}
}

// corruption reports a skipped region; at is a byte offset or a position.
func (c *catter) corruption(at string, n int64, reason string) {
	fmt.Fprintf(c.errw, "Corruption detected at offset: %s bytes: %d reason: %s\n", at, n, reason)
}

// decodeError reports an intact frame whose message does not decode.
func (c *catter) decodeError(at string, err error) {
	fmt.Fprintf(c.errw, "Error unmarshalling message at offset: %s error: %v\n", at, err)
}

// inputError reports why the input cannot be read and returns ExitInput.
func (c *catter) inputError(err error) int {
	fmt.Fprintf(c.errw, "sightline cat: %v\n", err)
	return ExitInput
}

// run reads the input o names and returns the exit code.
func (c *catter) run(ctx context.Context, o options, stdin io.Reader) int {
	if o.input == "-" {
		off, err := parseOffset(o.offset)
		if err != nil {
			fmt.Fprintf(c.errw, "sightline cat: %v\n", err)
			return ExitUsage
		}
		if off > 0 {
			if _, err := io.CopyN(io.Discard, stdin, off); err != nil && !errors.Is(err, io.EOF) {
				return c.inputError(fmt.Errorf("skip stdin to offset %d: %w", off, err))
			}
		}
		// Stdin ends at EOF, -f or not.
		return c.stream(ctx, stdin, off, false)
	}
	fi, err := os.Stat(o.input)
	if err != nil {
		return c.inputError(err)
	}
	if fi.IsDir() {
		return c.dir(ctx, o)
	}
	return c.file(ctx, o)
}

// parseOffset parses -offset for a file or stdin: bytes, 0 when empty.
func parseOffset(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("-offset %q: want a byte offset >= 0", s)
	}
	return n, nil
}

// file cats one file of frames.
func (c *catter) file(ctx context.Context, o options) int {
	off, err := parseOffset(o.offset)
	if err != nil {
		fmt.Fprintf(c.errw, "sightline cat: %v\n", err)
		return ExitUsage
	}
	f, err := os.Open(o.input)
	if err != nil {
		return c.inputError(err)
	}
	defer f.Close()
	if o.last >= 0 {
		if off, err = lastOffset(f, o.last); err != nil {
			return c.inputError(fmt.Errorf("read %s: %w", o.input, err))
		}
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return c.inputError(fmt.Errorf("seek %s to %d: %w", o.input, off, err))
	}
	return c.stream(ctx, f, off, o.follow)
}

// lastOffset returns the offset in f after which n valid messages
// remain: the end of the message before them, or 0 when f holds no more
// than n. It leaves f at the end.
func lastOffset(f *os.File, n int) (int64, error) {
	if n == 0 {
		return f.Seek(0, io.SeekEnd)
	}
	before := make([]int64, n) // ring: the offset before each of the last n messages
	var count, prev int64
	sc := message.NewScanner(f, message.ScanOptions{Validate: message.Validate})
	sc.Finish()
	for sc.Next() {
		if message.Validate(sc.Message()) != nil {
			continue // reported as a decode error in the real pass
		}
		before[count%int64(n)] = prev
		prev = sc.Offset()
		count++
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	if count <= int64(n) {
		return 0, nil
	}
	return before[count%int64(n)], nil
}

// stream cats the frames of r, whose first byte is at offset base. With
// follow it waits at the end for more until ctx is done.
func (c *catter) stream(ctx context.Context, r io.Reader, base int64, follow bool) int {
	sc := message.NewScannerAt(r, base, message.ScanOptions{
		Validate: message.Validate,
		OnDamage: func(d message.Damage) {
			c.corruption(strconv.FormatInt(d.Offset, 10), d.Length, d.Reason)
		},
	})
	c.reading = true
	var view message.View
	finished := false
	for {
		for sc.Next() {
			if err := view.Reset(sc.Message()); err != nil {
				off, _ := sc.Frame()
				c.decodeError(strconv.FormatInt(off, 10), err)
				continue
			}
			c.handle(&view)
			if c.werr != nil || ctx.Err() != nil {
				return ExitOK
			}
		}
		if err := sc.Err(); err != nil {
			return c.inputError(fmt.Errorf("read at offset %d: %w", sc.Offset(), err))
		}
		if finished {
			return ExitOK
		}
		if !follow {
			// The end: a partial record left is damage.
			sc.Finish()
			finished = true
			continue
		}
		c.flush()
		if c.werr != nil || !sleep(ctx) {
			return ExitOK
		}
	}
}

// dir cats a queue directory.
func (c *catter) dir(ctx context.Context, o options) int {
	ropts := queue.ReaderOptions{
		// Deliver every record a reader can accept, whatever the
		// max_message_size of the writer was.
		MaxMessageSize: message.HardCap,
		OnCorruption:   c.queueCorruption,
		Logger:         discardLogger,
	}
	start, ok, err := dirStart(ctx, o)
	if err != nil {
		var ie *inputError
		if errors.As(err, &ie) {
			return c.inputError(ie.err)
		}
		fmt.Fprintf(c.errw, "sightline cat: %v\n", err)
		return ExitUsage
	}
	if !ok {
		// An empty queue, or -f interrupted before a segment appeared.
		c.reading = true
		return ExitOK
	}
	if o.last >= 0 {
		if start, err = lastPosition(o.input, start, o.last); err != nil {
			return c.inputError(err)
		}
	}
	r, err := queue.OpenReader(o.input, start, ropts)
	if err != nil {
		return c.inputError(err)
	}
	defer r.Close()
	c.reading = true
	for {
		if !r.TryNext() {
			if err := r.Err(); err != nil {
				return c.inputError(err)
			}
			if !o.follow {
				return c.dirTail(o.input, r.Position())
			}
			c.flush()
			if c.werr != nil {
				return ExitOK
			}
			if !r.Next(ctx) {
				if err := r.Err(); err != nil && ctx.Err() == nil {
					return c.inputError(err)
				}
				return ExitOK
			}
		}
		c.handle(r.Message())
		if c.werr != nil || ctx.Err() != nil {
			return ExitOK
		}
	}
}

// dirStart returns where to start reading the queue directory: at -offset
// (SEG:OFF, or a plain offset in the oldest segment), or at the start of
// its oldest segment. With -f it waits for a first segment; without, ok is
// false when there is none.
func dirStart(ctx context.Context, o options) (pos queue.Position, ok bool, err error) {
	var plain int64
	if strings.Contains(o.offset, ":") {
		pos, err := queue.ParsePosition(o.offset)
		if err != nil || pos.Offset < 0 {
			return pos, false, fmt.Errorf("-offset %q: want SEG:OFF or a byte offset >= 0", o.offset)
		}
		return pos, true, nil
	}
	if plain, err = parseOffset(o.offset); err != nil {
		return pos, false, err
	}
	for {
		segs, err := queue.Segments(o.input)
		if err != nil {
			return pos, false, &inputError{err}
		}
		if len(segs) > 0 {
			return queue.Position{Segment: segs[0].ID, Offset: plain}, true, nil
		}
		if !o.follow || !sleep(ctx) {
			return pos, false, nil
		}
	}
}

// inputError marks an error of the input, as against one of the arguments.
type inputError struct{ err error }

func (e *inputError) Error() string { return e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

// lastPosition returns the position in the queue dir after which n valid
// messages remain, reading from start.
func lastPosition(dir string, start queue.Position, n int) (queue.Position, error) {
	r, err := queue.OpenReader(dir, start, queue.ReaderOptions{
		MaxMessageSize: message.HardCap,
		Raw:            true,
		OnCorruption:   func(*queue.CorruptionError) {},
		Logger:         discardLogger,
	})
	if err != nil {
		return start, err
	}
	defer r.Close()
	ring := make([]queue.Position, max(n, 1))
	var count int64
	prev := start
	for r.TryNext() {
		if message.Validate(r.Raw()) != nil {
			continue
		}
		if n > 0 {
			ring[count%int64(n)] = prev
		}
		prev = r.Position()
		count++
	}
	if err := r.Err(); err != nil {
		return start, err
	}
	switch {
	case n == 0:
		return r.Position(), nil
	case count <= int64(n):
		return start, nil
	}
	return ring[count%int64(n)], nil
}

// queueCorruption reports what a queue.Reader skipped.
func (c *catter) queueCorruption(e *queue.CorruptionError) {
	at := queue.Position{Segment: e.Segment, Offset: e.Offset}.String()
	var de *message.DecodeError
	switch {
	case errors.As(e.Err, &de):
		c.decodeError(at, de)
	case e.Length == 0:
		fmt.Fprintf(c.errw, "Missing segment: %d (%v)\n", e.Segment, e.Err)
	default:
		c.corruption(at, e.Length, e.Err.Error())
	}
}

// dirTail reports the bytes of the newest segment after the last record
// read, which hold no complete record, once a reader not following has
// read everything it could.
func (c *catter) dirTail(dir string, pos queue.Position) int {
	fi, err := os.Stat(queue.SegmentPath(dir, pos.Segment))
	if err != nil {
		return ExitOK // never opened, or pruned meanwhile: nothing to report
	}
	if n := fi.Size() - pos.Offset; n > 0 {
		c.corruption(pos.String(), n, "no complete record at the end of the queue")
	}
	return ExitOK
}
