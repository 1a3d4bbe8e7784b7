package sandbox

import (
	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/config"
	"github.com/sightline/sightline/message"
)

// The return codes of process_message (spec §4.8).
const (
	StatusOK    = 0  // sent / success
	StatusFail  = -1 // failure: counted, logged, message skipped
	StatusSkip  = -2 // skipped, not a failure
	StatusRetry = -3 // output: offer the same message again
	StatusBatch = -4 // output: accepted into a batch, checkpoint frozen
	StatusAsync = -5 // output: in flight, acknowledged by update_checkpoint(seq)
)

// ProcessInput calls an input plugin's process_message(checkpoint) with
// the checkpoint the runner holds for it (the last one it injected, or
// the saved one after a restart). It returns the plugin's status and
// message. A non-nil error terminates the plugin: a *TerminatedError,
// or ErrTerminated/ErrClosed/ErrBusy for a call that cannot be made. A
// plugin killed by Kill returns a *TerminatedError wrapping ErrShutdown,
// which the reference treats as a clean return.
func (s *Sandbox) ProcessInput(cp Checkpoint) (status int, msg string, err error) {
	if s.typ != config.Input {
		return 0, "", ErrWrongType
	}
	if err := s.enter(); err != nil {
		return 0, "", err
	}
	term := s.callFunc("process_message", 2, cp.lvalue())
	if term == nil {
		status, msg, term = s.status("process_message")
	}
	// What the plugin injected is handed over, whatever the call ended
	// with; a refusal it has not seen yet ends the call as a refused
	// inject_message would have.
	if err := s.drainRelay(); err != nil && term == nil {
		term = terminated("process_message", ErrLua, "process_message() inject_message() failed: "+err.Error(), "")
	}
	s.count(status, term)
	s.leave(term)
	if term != nil {
		return status, msg, term
	}
	return status, msg, nil
}

// ProcessMessage calls an analysis plugin's process_message() with v as
// the message read_message reads (the runner has evaluated the matcher).
// Errors as ProcessInput.
func (s *Sandbox) ProcessMessage(v *message.View) (status int, msg string, err error) {
	if s.typ != config.Analysis {
		return 0, "", ErrWrongType
	}
	if err := s.enter(); err != nil {
		return 0, "", err
	}
	s.current = v
	s.injectLeft = s.plugin.ProcessMessageInjectLimit
	term := s.callFunc("process_message", 2)
	if term == nil {
		status, msg, term = s.status("process_message")
	}
	s.current = nil
	s.count(status, term)
	s.leave(term)
	if term != nil {
		return status, msg, term
	}
	return status, msg, nil
}

// TimerEvent calls timer_event(ns, shutdown) of an analysis or output
// plugin (analysis: under timer_event_inject_limit). Its return values
// are ignored; an error terminates the plugin.
func (s *Sandbox) TimerEvent(ns int64, shutdown bool) error {
	if s.typ == config.Input {
		return ErrWrongType
	}
	if err := s.enter(); err != nil {
		return err
	}
	s.injectLeft = s.plugin.TimerEventInjectLimit
	term := s.callFunc("timer_event", 0, lua.LNumber(ns), lua.LBool(shutdown))
	if term == nil {
		// The reference collects garbage after every timer_event; here
		// the heap estimate is refreshed.
		s.memWalk()
		if err := s.b.stopped(); err != nil {
			term = s.budgetFailure("timer_event", err)
		}
	}
	s.leave(term)
	if term != nil {
		return term
	}
	return nil
}

// count updates the process_message counters.
func (s *Sandbox) count(status int, term *TerminatedError) {
	if term != nil {
		return
	}
	s.mu.Lock()
	s.stats.ProcessMessageCount++
	if status == StatusFail {
		s.stats.ProcessMessageFailures++
	}
	s.mu.Unlock()
}

// OutputResult is what an output plugin did with a message.
type OutputResult struct {
	Status  int    // the return code of process_message
	Message string // the message returned with it, if any
	// Retry asks the runner to offer the same message again later: the
	// plugin returned -3, or async_buffer_size messages were in flight
	// (RingFull). The runner sleeps (the reference: 1 s), may run
	// timer_event, and calls ProcessOutput with the same message and
	// position.
	Retry    bool
	RingFull bool
}

// ProcessOutput offers one matched message to an output plugin:
// process_message(sequence_id) with v as the current message. pos is the
// runner's opaque position after this message (never compared or looked
// into); Committable says afterwards which position may be saved, as the
// reference's checkpoint state machine does (spec §4.9, see outputState).
// Errors as ProcessInput; -5 without async_buffer_size terminates the
// plugin.
func (s *Sandbox) ProcessOutput(v *message.View, pos any) (OutputResult, error) {
	if s.typ != config.Output {
		return OutputResult{}, ErrWrongType
	}
	if err := s.enter(); err != nil {
		return OutputResult{}, err
	}
	o := &s.out
	seq := o.begin(pos)
	s.current = v
	term := s.callFunc("process_message", 2, lua.LNumber(seq))
	var res OutputResult
	if term == nil {
		res.Status, res.Message, term = s.status("process_message")
	}
	s.current = nil
	if term == nil && res.Status == StatusAsync && !o.async() {
		term = terminated("process_message", ErrBadReturn, "cannot use async checkpointing without a configured buffer", "")
	}
	if term != nil {
		o.abort()
		s.leave(term)
		return res, term
	}
	switch {
	case res.Status == StatusRetry:
		o.abort()
		res.Retry = true
	case !o.finish(seq, pos, res.Status):
		res.Retry, res.RingFull = true, true
	default:
		s.count(res.Status, nil)
	}
	s.leave(nil)
	return res, nil
}

// SkipOutput tells an output plugin's state machine that the runner read a
// message the plugin's matcher did not match; pos is the position after
// it. The position becomes committable unless a batch is open or
// acknowledgements are pending.
func (s *Sandbox) SkipOutput(pos any) {
	s.out.skip(pos)
}

// Committable returns the latest position an output plugin's messages are
// fully handled up to (every position given to ProcessOutput or
// SkipOutput up to it), and false while there is none yet.
func (s *Sandbox) Committable() (pos any, ok bool) {
	return s.out.committable()
}

// InFlight returns the number of messages an async output plugin has
// accepted (-5) and not yet acknowledged.
func (s *Sandbox) InFlight() int {
	return s.out.inFlight()
}
