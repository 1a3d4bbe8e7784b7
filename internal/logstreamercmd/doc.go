// Package logstreamercmd is "sightline logstreamer": for each input
// plugin of the run directory that runs logstreamer.lua, it prints the
// streams its config finds and their files in reading order, with the
// position saved in the plugin's cursor file, in the format of Heka's
// heka-logstreamer verifier, before anything runs. Nothing is written.
package logstreamercmd
