module github.com/sightline/sightline

go 1.26.8

require (
	github.com/yuin/gopher-lua v1.1.2
	go.uber.org/goleak v1.3.0
	golang.org/x/sys v0.49.0
	google.golang.org/protobuf v1.36.12
)

require github.com/pelletier/go-toml/v2 v2.4.3
