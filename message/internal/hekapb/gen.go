// Package hekapb holds protoc-generated Go types for message/heka.proto.
//
// It is used by tests only, as an independent implementation to check the
// hand-written codec of package message against. Production code must not
// import it. heka.pb.go is committed so that builds and tests need no protoc;
// regenerate it after editing heka.proto with
//
//	apt-get install -y protobuf-compiler
//	go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
//	go generate ./message/internal/hekapb
package hekapb

//go:generate protoc --proto_path=../.. --go_out=. --go_opt=paths=source_relative heka.proto
