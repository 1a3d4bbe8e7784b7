package preserve_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/sandbox/preserve"
)

func Example() {
	outputPath, err := os.MkdirTemp("", "sightline")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(outputPath)
	path := preserve.Path(outputPath, "analysis", "counter")

	// The plugin's sandbox: host globals are captured before its code runs.
	const plugin = `
		_PRESERVATION_VERSION = 2
		count = 0
		hosts = {}
		function process_message() count = count + 1 end`
	L := lua.NewState()
	skip := preserve.HostGlobals(L)
	if err := L.DoString(plugin); err != nil {
		log.Fatal(err)
	}
	err = L.DoString(`
		count = 50
		cyclea = {type = "a"}
		cycleb = {a = cyclea}
		cyclea.b = cycleb
		hosts[1], hosts[3], hosts["web\n"], hosts[true] = "db1", "db3", -tonumber("0"), 0.1
		nan = 0/0`)
	if err != nil {
		log.Fatal(err)
	}

	// Clean shutdown.
	if err := preserve.Save(L, path, preserve.SaveOptions{Skip: skip}); err != nil {
		log.Fatal(err)
	}
	L.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(data))

	// Next start: the plugin's file runs, then its state is restored.
	L = lua.NewState()
	defer L.Close()
	if err := L.DoString(plugin); err != nil {
		log.Fatal(err)
	}
	status, err := preserve.Restore(L, path, preserve.RestoreOptions{})
	if err != nil {
		// A damaged file has been moved aside: log, and start the plugin
		// again in a new state without restoring.
		log.Printf("warning: %v", err)
	}
	fmt.Println(filepath.Base(path), status, L.GetGlobal("count"))
	// Output:
	// if _PRESERVATION_VERSION and _PRESERVATION_VERSION ~= 2 then return end
	// _G["count"] = 50
	// _G["cyclea"] = {}
	// _G["cyclea"]["b"] = {}
	// _G["cyclea"]["b"]["a"] = _G["cyclea"]
	// _G["cyclea"]["type"] = "a"
	// _G["cycleb"] = _G["cyclea"]["b"]
	// _G["hosts"] = {}
	// _G["hosts"][1] = "db1"
	// _G["hosts"][3] = "db3"
	// _G["hosts"]["web\n"] = -"0"
	// _G["hosts"][true] = 0.1
	// _G["nan"] = 0/0
	// analysis.counter.data restored 50
}
