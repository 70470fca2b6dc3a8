# Alumnet. `make run` serves the app; `make test` runs every test.
GO      ?= go
TEMPL   := $(GO) tool templ
BIN     := bin/alumnet
PKGS    := ./...

.PHONY: run build generate test vet fmt bench-data bench load clean

## run: generate, build and serve (a project-local PostgreSQL under .data/ when DATABASE_URL is unset)
run: build
	$(BIN) serve

## build: the binary in bin/
build: generate
	$(GO) build -o $(BIN) ./cmd/alumnet

## generate: templ components (the generated *_templ.go files are committed)
generate:
	$(TEMPL) generate -path templates && $(TEMPL) generate -path internal/mail

## test: every test, against a throwaway PostgreSQL cluster (or TEST_DATABASE_URL).
# pgtestenv runs as a binary of its own (not through `go run`, which does
# not pass SIGTERM on), so that an interrupted run still removes its cluster.
test: generate
	$(GO) vet $(PKGS)
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
ifdef TEST_DATABASE_URL
	$(GO) test -count=1 -timeout 15m $(PKGS)
else
	$(GO) build -o bin/pgtestenv ./cmd/pgtestenv
	bin/pgtestenv -- $(GO) test -count=1 -timeout 15m $(PKGS)
endif

## bench-data: 1,000,000 generated people in a separate project-local cluster (.data/bench), or DATABASE_URL
bench-data: build
	ALUMNET_DATA_DIR=.data/bench $(BIN) demo -people 1000000

## load: measure the people list and search under 100 concurrent requests (see docs/performance.md)
load: build
	$(GO) run ./cmd/loadtest -data-dir .data/bench

## bench: Go benchmarks
bench:
	$(GO) build -o bin/pgtestenv ./cmd/pgtestenv
	bin/pgtestenv -- $(GO) test -run '^$$' -bench . -benchmem $(PKGS)

clean:
	rm -rf bin
