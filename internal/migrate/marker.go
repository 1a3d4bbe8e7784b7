package migrate

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
)

// markerHeader is the first line of the marker file.
const markerHeader = "# sightline: importing hindsight.cp (see package internal/migrate); do not remove"

// marker is the journal of an import in progress,
// "<output_path>/hindsight.cp.importing":
//
//	# sightline: importing hindsight.cp (see package internal/migrate); do not remove
//	sha256 <64 hex digits of hindsight.cp's SHA-256>
//	file "input.gen.cp"
//	file "output.out.cp"
//	end
//
// One "file" line per cursor file the import writes, Go-quoted.
type marker struct {
	sum   string   // hex SHA-256 of the hindsight.cp imported
	files []string // base names of the cursor files written
}

func (m marker) encode() []byte {
	var b strings.Builder
	b.WriteString(markerHeader + "\n")
	b.WriteString("sha256 " + m.sum + "\n")
	for _, f := range m.files {
		b.WriteString("file " + strconv.Quote(f) + "\n")
	}
	b.WriteString("end\n")
	return []byte(b.String())
}

// readMarker reads the marker at path; ok is false when there is none.
func readMarker(path string) (m marker, ok bool, err error) {
	data, err := readFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return marker{}, false, nil
	}
	if err != nil {
		return marker{}, false, err
	}
	m, err = parseMarker(string(data))
	if err != nil {
		return marker{}, false, fmt.Errorf("migrate: %s: damaged import marker (it is written atomically, so it was edited): %w", path, err)
	}
	return m, true, nil
}

func parseMarker(s string) (marker, error) {
	lines := strings.Split(s, "\n")
	if len(lines) < 4 || lines[0] != markerHeader || lines[len(lines)-1] != "" || lines[len(lines)-2] != "end" {
		return marker{}, errors.New("want a header line, a sha256 line, file lines and an end line")
	}
	var m marker
	sum, ok := strings.CutPrefix(lines[1], "sha256 ")
	if !ok || len(sum) != 64 || strings.Trim(sum, "0123456789abcdef") != "" {
		return marker{}, errors.New("line 2: want sha256 <64 hex digits>")
	}
	m.sum = sum
	for i, line := range lines[2 : len(lines)-2] {
		q, ok := strings.CutPrefix(line, "file ")
		f, err := strconv.Unquote(q)
		if !ok || err != nil || f != filepath.Base(f) || !strings.HasSuffix(f, ".cp") || strings.HasPrefix(f, ".") || strings.ContainsAny(f, "/\\\x00") {
			return marker{}, fmt.Errorf("line %d: want file \"<cursor file name>\"", i+3)
		}
		m.files = append(m.files, f)
	}
	return m, nil
}
