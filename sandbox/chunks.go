package sandbox

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// maxSourceSize is the largest Lua file the sandbox compiles.
const maxSourceSize = 16 << 20

// Compiled chunks are shared by every state that loads the same file: a
// *lua.FunctionProto is never modified once compiled (each state makes its
// own closures from it). Files on disk are keyed by path and recompiled
// when their modification time or size changes; embedded files never
// change.
var chunkCache struct {
	sync.Mutex
	files map[string]fileChunk
	trees map[treeKey]*lua.FunctionProto
}

type fileChunk struct {
	mtime time.Time
	size  int64
	proto *lua.FunctionProto
}

type treeKey struct {
	tree *LuaModules
	path string
}

// compileFile compiles the Lua file at path, or returns the cached
// compilation. A missing file is an error wrapping fs.ErrNotExist.
func compileFile(path string) (*lua.FunctionProto, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("%s: %w", path, fs.ErrNotExist)
	}
	if p := cachedFile(path, fi); p != nil {
		return p, nil
	}
	if fi.Size() > maxSourceSize {
		return nil, fmt.Errorf("%s: file too large (%d bytes)", path, fi.Size())
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	proto, err := compileChunk(src, path)
	if err != nil {
		return nil, err
	}
	chunkCache.Lock()
	defer chunkCache.Unlock()
	if chunkCache.files == nil {
		chunkCache.files = make(map[string]fileChunk)
	}
	chunkCache.files[path] = fileChunk{mtime: fi.ModTime(), size: fi.Size(), proto: proto}
	return proto, nil
}

// compileSource compiles src, the source of the file named name, with
// the size limit of compileFile; it is not cached.
func compileSource(src []byte, name string) (*lua.FunctionProto, error) {
	if len(src) > maxSourceSize {
		return nil, fmt.Errorf("%s: file too large (%d bytes)", name, len(src))
	}
	return compileChunk(src, name)
}

// cachedFile returns the compilation of path if the file has not changed.
func cachedFile(path string, fi os.FileInfo) *lua.FunctionProto {
	chunkCache.Lock()
	defer chunkCache.Unlock()
	c, ok := chunkCache.files[path]
	if ok && c.mtime.Equal(fi.ModTime()) && c.size == fi.Size() {
		return c.proto
	}
	return nil
}

// cachedTree returns the compilation of an embedded file, if any.
func cachedTree(key treeKey) *lua.FunctionProto {
	chunkCache.Lock()
	defer chunkCache.Unlock()
	return chunkCache.trees[key]
}

// compileFS compiles the file rel of an embedded module tree, once.
func compileFS(t *LuaModules, rel string) (*lua.FunctionProto, error) {
	key := treeKey{t, rel}
	if p := cachedTree(key); p != nil {
		return p, nil
	}
	src, err := fs.ReadFile(t.FS, rel)
	if err != nil {
		return nil, err
	}
	p, err := compileChunk(src, moduleName(t, rel))
	if err != nil {
		return nil, err
	}
	chunkCache.Lock()
	defer chunkCache.Unlock()
	if chunkCache.trees == nil {
		chunkCache.trees = make(map[treeKey]*lua.FunctionProto)
	}
	chunkCache.trees[key] = p
	return p, nil
}

// compileChunk parses Lua source, routes its string concatenations through
// the sandbox's size check (concat.go) and compiles it. name is the chunk
// name error messages start with.
func compileChunk(src []byte, name string) (proto *lua.FunctionProto, err error) {
	defer func() {
		// The parser and compiler are third-party code fed untrusted
		// input: a panic there is a compile error, not a crash.
		if r := recover(); r != nil {
			proto, err = nil, fmt.Errorf("%s: compiler panic: %v", name, r)
		}
	}()
	if len(src) > 0 && src[0] == 0x1b {
		return nil, fmt.Errorf("%s: precompiled chunks are not supported", name)
	}
	if len(src) > 0 && src[0] == '#' {
		// Lua skips a first line starting with '#' (a shebang); keep the
		// newline so line numbers stay right.
		i := bytes.IndexByte(src, '\n')
		if i < 0 {
			i = len(src)
		}
		src = append(bytes.Repeat([]byte{' '}, i), src[i:]...)
	}
	chunk, err := parse.Parse(bytes.NewReader(src), name)
	if err != nil {
		return nil, err
	}
	rewriteConcat(chunk)
	proto, err = lua.Compile(chunk, name)
	if err != nil {
		return nil, err
	}
	bindConcat(proto)
	return proto, nil
}
