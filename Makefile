# Every habit is one command. `make check` is what CI runs (see .ci/run).
GO        ?= go
PKGS      ?= ./...
FUZZTIME  ?= 5m
STATICCHECK_VERSION ?= v0.8.2
GOBIN     ?= $(shell $(GO) env GOPATH)/bin

# Fuzz targets as package:Target.
FUZZ_TARGETS = ./message:FuzzScanner ./message:FuzzDecode ./message:FuzzView ./message:FuzzRoundTrip ./luapattern:FuzzCompile ./luapattern:FuzzMatch ./cursor:FuzzParse ./config:FuzzParseSize ./config:FuzzParseLua ./config:FuzzParseTOML ./config:FuzzNewMain ./message/matcher:FuzzCompile ./internal/migrate:FuzzParse

.PHONY: all fmt fmt-check vet lint test test-race fuzz bench check tools

all: check

fmt:
	gofmt -w $$(git ls-files '*.go')

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

tools:
	@[ -x $(GOBIN)/staticcheck ] && $(GOBIN)/staticcheck -version | grep -q "$(STATICCHECK_VERSION:v%=%)" || \
		GOFLAGS= $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

lint: tools
	$(GOBIN)/staticcheck $(PKGS)

test:
	$(GO) test $(PKGS)

test-race:
	$(GO) test -race -timeout 20m $(PKGS)

# Runs every fuzz target for FUZZTIME each (make fuzz FUZZTIME=30s).
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "== $$name ($$pkg, $(FUZZTIME))"; \
		$(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
	done

# Benchmarks (make bench BENCH=Append PKGS=./queue).
BENCH ?= .
bench:
	$(GO) test -run='^$$' -bench='$(BENCH)' -benchmem $(PKGS)

# What CI runs: formatting, vet, staticcheck, and the race-enabled tests.
check: fmt-check vet lint test-race
