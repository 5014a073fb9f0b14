# dbos-cloud: the CLI, the credential daemon, the org plugin and the emulator.
# `make help` lists the targets.

SHELL := /bin/bash
GO ?= go
BIN := $(CURDIR)/bin
TOOLS := $(CURDIR)/.tools
PREFIX ?= $(HOME)/.local
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/dbos-go/dbos-cloud/internal/version.Version=$(VERSION)
STATICCHECK_VERSION := v0.8.2
# urfave_cli_no_docs leaves out urfave/cli's man-page code, whose package init alone
# costs the token path about a millisecond per start.
GOFLAGS_BUILD := -trimpath -tags urfave_cli_no_docs -ldflags '$(LDFLAGS)'

# Static binaries: linking libc costs about 1 ms per start, which the token path
# cannot afford (see the benchmarks).
export CGO_ENABLED := 0

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
		awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

.PHONY: build
build: ## build every binary into ./bin
	@mkdir -p $(BIN)
	$(GO) build $(GOFLAGS_BUILD) -o $(BIN)/ \
		./cmd/dbos-cloud ./cmd/dbos-credd ./cmd/dbos-cloud-emulator ./cmd/git-credential-dbos
	$(GO) build $(GOFLAGS_BUILD) -o $(BIN)/dbos-cloud-host ./cmd/dbos-cloud/host
	$(GO) build $(GOFLAGS_BUILD) -o $(BIN)/dbos-cloud-plugin-org ./plugins/org

.PHONY: test
test: build ## run every test with the race detector, end-to-end suites included
	CGO_ENABLED=1 DBOS_TEST_BIN_DIR=$(BIN) $(GO) test -race -timeout 15m ./...

.PHONY: test-faults
test-faults: build ## fault and hostile-input suites against the real binaries (about 2 min)
	CGO_ENABLED=1 DBOS_FAULTS=1 DBOS_TEST_BIN_DIR=$(BIN) \
		$(GO) test -race -run . -timeout 20m ./test/faults/...

.PHONY: test-load
test-load: build ## 256 clients for 60 s against the daemon, with short-lived tokens
	CGO_ENABLED=1 DBOS_LOAD=1 DBOS_TEST_BIN_DIR=$(BIN) \
		$(GO) test -run . -timeout 10m -v ./test/load/...

.PHONY: fuzz
fuzz: ## run every fuzz target for FUZZTIME each (default 10s)
	./scripts/fuzz.sh $(or $(FUZZTIME),10s)

.PHONY: bench-report
bench-report: ## build everything and print the side-by-side benchmark table
	./scripts/bench-report.sh

.PHONY: test-short
test-short: ## unit tests only, no race detector
	$(GO) test -short ./...

.PHONY: lint
lint: ## gofmt check, go vet and staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); \
		if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@test -x $(TOOLS)/staticcheck || \
		GOBIN=$(TOOLS) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	$(TOOLS)/staticcheck ./...

.PHONY: generate
generate: ## regenerate the plugin protocol's gRPC code (needs protoc)
	$(GO) generate ./pkg/plugin/...

.PHONY: check-generate
check-generate: generate ## fail if generated code differs from what is committed
	@git diff --exit-code -- pkg/plugin || \
		{ echo "generated code drifted: run make generate and commit"; exit 1; }

.PHONY: bench
bench: build ## run the Go benchmarks
	CGO_ENABLED=1 DBOS_TEST_BIN_DIR=$(BIN) $(GO) test -run '^$$' -bench . -benchmem ./...

.PHONY: demo
demo: build ## run the main job on a local emulator: logins, org commands, a token via git
	DBOS_BIN=$(BIN) ./scripts/demo.sh

.PHONY: man
man: ## generate the man page into ./man/dbos-cloud.1
	$(GO) run -trimpath -ldflags '-X github.com/dbos-go/dbos-cloud/internal/version.Version=$(VERSION)' \
		./internal/cli/mangen -o man/dbos-cloud.1

.PHONY: install
install: build ## install the binaries into $(PREFIX)/bin
	install -d $(PREFIX)/bin
	install -m 0755 $(BIN)/* $(PREFIX)/bin/

.PHONY: clean
clean: ## remove build output
	rm -rf $(BIN)
