package luamodules

import (
	"io/fs"
	"testing"
)

func TestTrees(t *testing.T) {
	for _, f := range []fs.FS{FS(), IOFS()} {
		if _, err := fs.Stat(f, "README.md"); err != nil {
			t.Fatal(err)
		}
	}
}
