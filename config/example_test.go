package config_test

import (
	"fmt"

	"github.com/sightline/sightline/config"
)

func ExampleParseLua() {
	src := []byte(`
base     = "/var/log"
log_path = base .. "/nginx/access.log"   -- earlier globals work
limit    = 64 * 1024
fields   = {"status", "bytes"}
`)
	t, err := config.ParseLua("tail.cfg", src, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range t.Entries() {
		fmt.Printf("line %d: %v\n", e.Line, e.Key)
	}
	v, _ := t.Get("log_path")
	fmt.Println(v)
	// Output:
	// line 2: base
	// line 5: fields
	// line 4: limit
	// line 3: log_path
	// /var/log/nginx/access.log
}

func ExampleParseTOML() {
	t, err := config.ParseTOML("counter.toml", []byte(`
filename = "counter.lua"
output_limit = "64KiB"
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	n, _, err := t.GetSize("output_limit")
	fmt.Println(n, err)
	_, _, err = t.GetUint("filename")
	fmt.Println(err)
	// Output:
	// 65536 <nil>
	// counter.toml:2: filename: wrong type: want a non-negative integer, got string "counter.lua"
}

func ExampleParseSize() {
	for _, s := range []string{"64KiB", "64KB", "1.5MiB", "100"} {
		n, _ := config.ParseSize(s)
		fmt.Println(s, n)
	}
	// Output:
	// 64KiB 65536
	// 64KB 64000
	// 1.5MiB 1572864
	// 100 100
}

func ExampleNewPlugin() {
	main, _ := config.ParseTOML("sightline.toml", []byte(`
[analysis_defaults]
memory_limit = "16MiB"
`))
	defaults, _, _ := main.GetTable("analysis_defaults")
	cfg, _ := config.ParseLua("run/analysis/counter.cfg", []byte(`
filename = "counter.lua"
message_matcher = "Type == 'nginx'"
ticker_interval = 60
threshold = 500 -- a user key, passed through
`), 0)
	p, err := config.NewPlugin(config.Analysis, cfg, defaults)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Name, p.Filename, p.TickerInterval, p.MemoryLimit, p.OutputLimit, p.RestrictedHeaders)
	v, _ := p.Table.Get("threshold")
	fmt.Println(v)
	// Output:
	// counter counter.lua 60 16777216 65536 true
	// 500
}
