// Package test holds sightline's end-to-end tests: they build the real
// binary (with -race when the tests run with it), run it on pipelines of
// Lua plugins in temporary directories, stop it with SIGTERM or kill it
// with SIGKILL, restart it, and count what every output saw.
//
//	go test ./test/                       # 20 crash rounds
//	go test ./test/ -run Crash -crash-rounds 500
package test
