package stdcodec

import (
	"fmt"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/lua_modules/decoder"
	"github.com/sightline/sightline/message"
)

// Names of the decoders, those of their Lua modules.
const (
	Payload  = "decoders.payload"
	Protobuf = "decoders.heka.protobuf"
)

func init() {
	decoder.Register(Payload, func(*lua.LState) (decoder.Decoder, error) { return payloadDecoder{}, nil })
	decoder.Register(Protobuf, func(*lua.LState) (decoder.Decoder, error) { return protobufDecoder{}, nil })
}

type payloadDecoder struct{}

// Decode sets the Payload to rec (copied).
func (payloadDecoder) Decode(rec []byte, m *message.Message) error {
	m.SetPayload(string(rec))
	return nil
}

type protobufDecoder struct{}

// Decode replaces m with the message rec encodes.
func (protobufDecoder) Decode(rec []byte, m *message.Message) error {
	if err := message.Decode(rec, m); err != nil {
		return fmt.Errorf("%w: %w", decoder.ErrNoMatch, err)
	}
	return nil
}
