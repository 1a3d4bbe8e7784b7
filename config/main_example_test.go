package config_test

import (
	"fmt"

	"github.com/sightline/sightline/config"
)

func ExampleNewMain() {
	t, err := config.ParseTOML("/etc/sightline/sightline.toml", []byte(`
output_path = "/var/lib/sightline"
sandbox_run_path = "run"
output_size = "256MiB"
checkpoint_interval = "500ms"

[output_defaults]
memory_limit = "32MiB"
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := config.NewMain(t)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.OutputSize, m.CheckpointInterval, m.Sync, m.MaxMessageSize)
	fmt.Println(m.Resolve(m.SandboxRunPath))
	n, _, _ := m.DefaultsFor(config.Output).GetSize("memory_limit")
	fmt.Println(n)

	t, _ = config.ParseLua("hindsight.cfg", []byte(`
output_path = "output"
sandbox_run_path = "run"
max_message_size = 64 * 1024
analysis_defaults = { output_limit = 128 * 1024 }
`), 0)
	_, err = config.NewMain(t)
	fmt.Println(err)
	// Output:
	// 268435456 500ms checkpoint 65536
	// /etc/sightline/run
	// 33554432
	// hindsight.cfg:5: analysis_defaults.output_limit: invalid value: 131072 is over max_message_size (65536); a message this plugin may inject could not be read back
}
