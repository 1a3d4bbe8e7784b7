package sandbox

import (
	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/message"
	"github.com/sightline/sightline/message/matcher"
	"github.com/sightline/sightline/sandbox/luamsg"
)

// encodeTable turns a message table into the protobuf bytes in s.buf,
// raising "<fn>() failed: ..." on errors and over the output limit.
func (s *Sandbox) encodeTable(L *lua.LState, fn string, t *lua.LTable) []byte {
	if err := s.enc.ToMessage(t, &s.msg); err != nil {
		L.RaiseError("%s() failed: %s", fn, err.Error())
	}
	size := s.msg.Size()
	if limit := s.plugin.OutputLimit; limit > 0 && int64(size) > limit {
		L.RaiseError("%s() failed: exceeded output_limit", fn)
	}
	s.buf = s.msg.AppendTo(s.buf[:0])
	return s.buf
}

// inject hands one message (or, input only, a checkpoint) to the host,
// after what the relay holds.
func (s *Sandbox) inject(L *lua.LState, raw []byte, cp Checkpoint) {
	if s.host == nil {
		L.RaiseError("inject_message() failed: no host to inject into")
	}
	err := s.drainRelay()
	if err == nil {
		err = s.deliver(raw, cp)
	}
	if err != nil {
		L.RaiseError("inject_message() failed: %s", err.Error())
	}
}

// deliver hands raw and cp to the host and counts them.
func (s *Sandbox) deliver(raw []byte, cp Checkpoint) error {
	if err := s.host.Inject(raw, cp); err != nil {
		s.mu.Lock()
		if s.refused == nil {
			s.refused = err
		}
		s.mu.Unlock()
		return err
	}
	if cp.Kind == CheckpointNone && raw == nil {
		return nil
	}
	n := int64(len(raw))
	s.mu.Lock()
	if cp.Kind != CheckpointNone {
		s.checkpoint = cp
	}
	if raw != nil {
		s.stats.InjectMessageCount++
		s.stats.InjectMessageBytes += n
		s.stats.MaxOutput = max(s.stats.MaxOutput, n)
	}
	s.mu.Unlock()
	return nil
}

// drainRelay hands what the relay holds to the host (see relay) and
// returns the first refusal.
func (s *Sandbox) drainRelay() error {
	if s.relay == nil {
		return nil
	}
	return s.relay.drain()
}

// injectRelayed is an input plugin's inject_message(t, cp), t nil for a
// checkpoint only: checked and turned into a message here, appended by
// the relay.
func (s *Sandbox) injectRelayed(L *lua.LState, t *lua.LTable, cp Checkpoint) {
	if s.host == nil {
		L.RaiseError("inject_message() failed: no host to inject into")
	}
	raw := []byte(nil)
	if t != nil {
		if err := s.enc.ToMessage(t, &s.msg); err != nil {
			L.RaiseError("inject_message() failed: %s", err.Error())
		}
		s.buf = s.msg.AppendTo(s.buf[:0])
		raw = s.buf
		if limit := s.plugin.OutputLimit; limit > 0 && int64(len(raw)) > limit {
			L.RaiseError("inject_message() failed: exceeded output_limit")
		}
		if len(raw) > s.maxMsg {
			L.RaiseError("inject_message() failed: message of %d bytes exceeds max_message_size %d", len(raw), s.maxMsg)
		}
	}
	if err := s.relay.push(raw, cp); err != nil {
		L.RaiseError("inject_message() failed: %s", err.Error())
	}
}

// checkpointArg reads an input plugin's checkpoint argument.
func checkpointArg(L *lua.LState, n int) Checkpoint {
	switch v := L.Get(n).(type) {
	case *lua.LNilType:
		return Checkpoint{}
	case lua.LNumber:
		return Checkpoint{Kind: CheckpointNumber, Number: float64(v)}
	case lua.LString:
		if len(v) > MaxCheckpointSize {
			L.RaiseError("inject_message() failed: checkpoint update")
		}
		return Checkpoint{Kind: CheckpointString, String: string(v)}
	}
	L.RaiseError("inject_message() unsupported checkpoint type: %s", L.Get(n).Type().String())
	return Checkpoint{}
}

// luaInjectInput is an input plugin's inject_message(msg[, checkpoint]):
// msg is a message table, a stream reader (its current message, as is), a
// protobuf string (injected as is, if it decodes), or nil with a
// checkpoint.
func (s *Sandbox) luaInjectInput(L *lua.LState) int {
	cp := checkpointArg(L, 2)
	var raw []byte
	switch m := L.Get(1).(type) {
	case *lua.LNilType:
		if cp.Kind == CheckpointNone {
			L.RaiseError("inject_message() message cannot be nil without a checkpoint update")
		}
		if s.relay != nil {
			s.injectRelayed(L, nil, cp)
			return 0
		}
	case *lua.LTable:
		if s.relay != nil {
			s.injectRelayed(L, m, cp)
			return 0
		}
		raw = s.encodeTable(L, "inject_message", m)
	case lua.LString:
		raw = []byte(m)
		if message.Validate(raw) != nil {
			L.RaiseError("inject_message() attempted to inject a invalid protobuf string")
		}
		s.checkRawSize(L, raw)
	case *lua.LUserData:
		r, ok := m.Value.(*luamsg.StreamReader)
		if !ok {
			L.RaiseError("inject_message() unsupported message type: userdata")
		}
		raw = r.CurrentRaw()
		if raw == nil {
			L.RaiseError("inject_message() attempted to inject a nil message")
		}
		s.checkRawSize(L, raw)
	default:
		L.RaiseError("inject_message() unsupported message type: %s", m.Type().String())
	}
	s.inject(L, raw, cp)
	return 0
}

// checkRawSize refuses a ready-made message longer than max_message_size.
func (s *Sandbox) checkRawSize(L *lua.LState, raw []byte) {
	if len(raw) > s.maxMsg {
		L.RaiseError("inject_message() failed: message of %d bytes exceeds max_message_size %d", len(raw), s.maxMsg)
	}
}

// takeInject spends one injection of an analysis call's budget.
func (s *Sandbox) takeInject(L *lua.LState) {
	if s.injectLeft <= 0 {
		L.RaiseError("inject_message() failed: injection limit exceeded")
	}
	s.injectLeft--
}

// luaInjectAnalysis is an analysis plugin's inject_message(tbl), limited
// per call by process_message_inject_limit and timer_event_inject_limit.
func (s *Sandbox) luaInjectAnalysis(L *lua.LState) int {
	t, ok := L.Get(1).(*lua.LTable)
	if !ok {
		L.RaiseError("inject_message() takes a single table argument")
	}
	s.takeInject(L)
	raw := s.encodeTable(L, "inject_message", t)
	s.inject(L, raw, Checkpoint{})
	return 0
}

// luaInjectPayload is inject_payload([type="txt"[, name[, ...]]]): the
// extra arguments are added to the payload buffer, which is then injected
// as {Type="inject_payload", Payload=..., Fields={payload_type[,
// payload_name]}} (payload_name only when a name is given) and cleared. An
// empty buffer injects nothing.
func (s *Sandbox) luaInjectPayload(L *lua.LState) int {
	typ, name := luamsg.PayloadArgs(L)
	if L.GetTop() > 2 {
		if err := s.payload.AddArgs(L, 3); err != nil {
			L.RaiseError("inject_payload() %s", err.Error())
		}
	}
	if s.payload.Len() == 0 {
		return 0
	}
	s.takeInject(L)
	s.enc.PayloadMessage(s.payload.Bytes(), typ, name, &s.msg)
	s.payload.Reset()
	size := s.msg.Size()
	if limit := s.plugin.OutputLimit; limit > 0 && int64(size) > limit {
		L.RaiseError("inject_payload() failed: exceeded output_limit")
	}
	s.buf = s.msg.AppendTo(s.buf[:0])
	s.inject(L, s.buf, Checkpoint{})
	return 0
}

// luaInjectOutput is an output plugin's inject_message(tbl), into the
// input queue, without an injection limit.
func (s *Sandbox) luaInjectOutput(L *lua.LState) int {
	t, ok := L.Get(1).(*lua.LTable)
	if !ok {
		L.RaiseError("inject_message() takes a single table argument")
	}
	raw := s.encodeTable(L, "inject_message", t)
	s.inject(L, raw, Checkpoint{})
	return 0
}

// luaEncodeMessage is encode_message(tbl[, framed]): the protobuf bytes of
// the message, framed if asked.
func (s *Sandbox) luaEncodeMessage(L *lua.LState) int {
	t := L.CheckTable(1)
	framed := lua.LVAsBool(L.Get(2))
	raw := s.encodeTable(L, "encode_message", t)
	var out []byte
	if framed {
		out = message.AppendFrame(make([]byte, 0, message.FrameSize(len(raw))), raw)
	} else {
		out = append([]byte(nil), raw...)
	}
	s.mu.Lock()
	if n := int64(len(raw)); n > s.stats.MaxOutput {
		s.stats.MaxOutput = n
	}
	s.mu.Unlock()
	L.Push(lua.LString(out))
	return 1
}

const matcherType = "sightline.message_matcher"

// luaCreateMatcher is create_message_matcher(expr): an object whose
// :eval() tells whether the current message matches.
func (s *Sandbox) luaCreateMatcher(L *lua.LState) int {
	expr := L.CheckString(1)
	m, err := matcher.Compile(expr)
	if err != nil {
		L.RaiseError("invalid message matcher expression: %s", err.Error())
	}
	mt := L.NewTypeMetatable(matcherType)
	if mt.RawGetString("__index") == lua.LNil {
		methods := L.NewTable()
		methods.RawSetString("eval", L.NewFunction(s.luaMatcherEval))
		mt.RawSetString("__index", methods)
	}
	ud := L.NewUserData()
	ud.Value = m
	ud.Metatable = mt
	L.Push(ud)
	return 1
}

func (s *Sandbox) luaMatcherEval(L *lua.LState) int {
	ud := L.CheckUserData(1)
	m, ok := ud.Value.(*matcher.Matcher)
	if !ok {
		L.ArgError(1, "message matcher expected")
	}
	if s.current == nil {
		L.RaiseError("no active message")
	}
	L.Push(lua.LBool(m.Match(s.current)))
	return 1
}

// luaUpdateCheckpoint is update_checkpoint() (batch mode) or
// update_checkpoint(sequence_id[, failures]) (async mode), see
// outputState.
func (s *Sandbox) luaUpdateCheckpoint(L *lua.LState) int {
	if L.GetTop() == 0 || L.Get(1) == lua.LNil {
		s.out.commitBatch()
		return 0
	}
	seq := L.CheckNumber(1)
	failures := L.OptNumber(2, 0)
	if failures > 0 {
		s.mu.Lock()
		s.stats.ProcessMessageFailures += int64(failures)
		s.mu.Unlock()
	}
	if !s.out.async() {
		s.out.commitBatch()
		return 0
	}
	if seq >= 1 {
		s.out.ack(uint64(seq))
	}
	return 0
}
