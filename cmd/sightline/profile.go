package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
)

// startProfiles starts the profiles asked for in the environment, for
// measuring the daemon itself (`go tool pprof sightline FILE`):
//
//	SIGHTLINE_CPUPROFILE=FILE  a CPU profile of the whole run
//	SIGHTLINE_MEMPROFILE=FILE  a heap profile (allocations) written at exit
//
// The returned function writes and closes them; run calls it on the way
// out. Problems are reported on stderr and never stop the daemon.
func startProfiles(stderr io.Writer) (stop func()) {
	var stops []func()
	if path := os.Getenv("SIGHTLINE_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err == nil {
			err = pprof.StartCPUProfile(f)
			if err != nil {
				f.Close()
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "sightline: SIGHTLINE_CPUPROFILE: %v\n", err)
		} else {
			stops = append(stops, func() {
				pprof.StopCPUProfile()
				if err := f.Close(); err != nil {
					fmt.Fprintf(stderr, "sightline: SIGHTLINE_CPUPROFILE: %v\n", err)
				}
			})
		}
	}
	if path := os.Getenv("SIGHTLINE_MEMPROFILE"); path != "" {
		stops = append(stops, func() {
			f, err := os.Create(path)
			if err == nil {
				runtime.GC()
				err = pprof.Lookup("allocs").WriteTo(f, 0)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
			}
			if err != nil {
				fmt.Fprintf(stderr, "sightline: SIGHTLINE_MEMPROFILE: %v\n", err)
			}
		})
	}
	return func() {
		for _, s := range stops {
			s()
		}
	}
}
