package queue

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

var crashRounds = flag.Int("crash-rounds", 20, "SIGKILL rounds of TestCrashRecovery")

const crashChildEnv = "SIGHTLINE_QUEUE_CRASH_CHILD"

// roundBase separates the sequence numbers of crash rounds.
const roundBase = 1_000_000

// crashChild runs in a subprocess: it appends numbered records forever,
// and after each Sync prints "synced <seq>" for the last record it covers.
func crashChild() {
	dir := os.Getenv(crashChildEnv)
	round, _ := strconv.Atoi(os.Getenv("CRASH_ROUND"))
	pol, _ := ParseSyncPolicy(os.Getenv("CRASH_POLICY"))
	w, err := OpenWriter(dir, Options{SegmentSize: 64 << 10, Sync: pol, BufferSize: 8 << 10})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		seq := round*roundBase + i
		if _, err := w.Append(testMsg(nil, seq, 50+i%400)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		synced := pol == SyncAlways
		if i%37 == 0 && !synced {
			if err := w.Sync(); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
			synced = true
		}
		if synced && i%5 == 0 {
			fmt.Fprintf(out, "synced %d\n", seq)
			out.Flush()
		}
	}
}

func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	dir := t.TempDir()
	policies := []string{"checkpoint", "always", "none"}
	synced := make([]int, *crashRounds) // last synced seq index per round, -1 none
	for round := range *crashRounds {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir,
			"CRASH_ROUND="+strconv.Itoa(round), "CRASH_POLICY="+policies[round%len(policies)])
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan int, 1024)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if s, ok := strings.CutPrefix(sc.Text(), "synced "); ok {
					if n, err := strconv.Atoi(s); err == nil {
						lines <- n
					}
				}
			}
		}()
		time.Sleep(time.Duration(20+rand.IntN(180)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		last := -1
		for n := range lines {
			last = n - round*roundBase
		}
		err = cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("round %d: child ended by itself (%v): %s", round, err, stderr.String())
		}
		synced[round] = last
	}

	got, r := readAll(t, dir, Position{}, ReaderOptions{OnCorruption: func(*CorruptionError) {}})
	next := make([]int, *crashRounds) // next expected index per round
	total := 0
	for _, seq := range got {
		round, idx := seq/roundBase, seq%roundBase
		if round < 0 || round >= *crashRounds {
			t.Fatalf("unknown record %d", seq)
		}
		if idx != next[round] {
			t.Fatalf("round %d: record %d after %d: lost or duplicated", round, idx, next[round]-1)
		}
		next[round]++
		total++
	}
	for round, last := range synced {
		if next[round] <= last {
			t.Errorf("round %d: synced up to %d but only %d records survived", round, last, next[round])
		}
	}
	t.Logf("%d rounds, %d records, %d damaged regions skipped (torn tails)", *crashRounds, total, r.Stats().Damaged)
}
