package atomicfile_test

import (
	"bufio"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"

	"github.com/sightline/sightline/internal/atomicfile"
)

// A large file is streamed through a buffer rather than built in memory.
func ExampleWrite() {
	dir, err := os.MkdirTemp("", "atomicfile")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "state")

	_, err = atomicfile.Write(atomicfile.OS, path, 0o640, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		for i := range 3 {
			fmt.Fprintf(bw, "line %d\n", i)
		}
		return bw.Flush()
	})
	if err != nil {
		log.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(data))
	// Output:
	// line 0
	// line 1
	// line 2
}
