//go:build race

package config

// raceEnabled: the race detector slows the Lua VM down several times, so
// timing assertions allow more.
const raceEnabled = true
