# The contributor contract: every target here is what CI and reviewers run.
# `make help` lists them. Linters are pinned in tools/go.mod and run with
# `go tool`, so the product's go.mod lists only what the product imports.
GO        ?= go
BIN       := bin/supportmatrix
GCL       := .tools/node_modules/.bin/gitlab-ci-local
# gitlab-ci-local's release: its one definition is localci.Version.
GCL_VER   := $(shell sed -n 's/^const Version = "\([0-9.]*\)"$$/\1/p' pkg/localci/find.go)
FUZZTIME  ?= 300000x
TOOL      := $(GO) tool -modfile=tools/go.mod

# A -race binary sleeps for the race runtime's atexit_sleep_ms (1000 ms by
# default, a ThreadSanitizer flag: go.dev/doc/articles/race_detector#Options)
# before it exits, whatever its tests did: one idle second per test package,
# about 13 s of the wall time of `go test -race -short ./...` on 2 cores
# (go.dev/issue/20364). A race is reported when it happens and fails the test
# it happened in; the sleep only gives goroutines still running after the
# last test one more second to race, so the race targets skip it. A GORACE of
# your own comes after, and its options win.
RACE_ENV  := GORACE="atexit_sleep_ms=0 $(GORACE)"

# GoReleaser, pinned in the tools module like the linters.
GORELEASER := $(TOOL) goreleaser

# What `supportmatrix --version` prints (internal/buildinfo); .goreleaser.yaml
# sets the same three for releases. Empty values fall back to what the Go
# toolchain recorded in the binary.
BUILDINFO := gitlab.com/supportmatrix/supportmatrix/internal/buildinfo
VERSION   ?= $(shell git describe --tags --dirty 2>/dev/null)
COMMIT    ?= $(shell git rev-parse HEAD 2>/dev/null)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)
DATE      ?= $(shell git log -1 --format=%cI 2>/dev/null)
LDFLAGS   := -X $(BUILDINFO).version=$(VERSION) -X $(BUILDINFO).commit=$(COMMIT) -X $(BUILDINFO).date=$(DATE)

.PHONY: help all build test test-short run lint lint-go lint-shell tidy fmt bench fuzz fuzz-short update-golden regenerate verify tools clean refresh-versions snapshot

all: build

help: ## list the targets and what they do
	@awk 'BEGIN { FS = ":.*## " } /^[a-z][a-z-]*:.*## / { printf "  %-16s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

build: ## build bin/supportmatrix, static, stamped with version, commit and date
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/supportmatrix

snapshot: ## check .goreleaser.yaml and build the release (binaries, archives, checksums) into dist/, offline
	$(GORELEASER) check
	$(GORELEASER) release --snapshot --clean --skip=publish

test: lint snapshot ## everything CI checks: lint, the release snapshot, the fast tests with the race detector, then every test (gitlab-ci-local, Chromium, large inputs) without it, every matrix validated
	$(RACE_ENV) $(GO) test -race -short -count=1 -timeout 30m ./...
	$(GO) test -count=1 -timeout 30m ./...
	$(GO) run ./cmd/supportmatrix validate --matrix matrix/matrix.yaml
	@for f in examples/*/matrix.yaml; do t=$$(dirname $$f)/templates; \
		if [ -d $$t ]; then $(GO) run ./cmd/supportmatrix validate --matrix $$f --templates $$t || exit 1; \
		else $(GO) run ./cmd/supportmatrix validate --matrix $$f || exit 1; fi; done

test-short: ## the fast loop: race-checked tests without gitlab-ci-local, Chromium or large inputs
	$(RACE_ENV) $(GO) test -race -short ./...

run: build ## the main job on the embedded defaults: the project's matrix, then the local example through gitlab-ci-local
	$(BIN) validate
	$(BIN) plan
	$(BIN) versions
	@if command -v node >/dev/null 2>&1; then \
		$(BIN) run --local --matrix examples/local/matrix.yaml --templates examples/local/templates --out out/local; \
	else \
		echo "run: node is not installed: skipping the local run of examples/local through gitlab-ci-local"; \
	fi

lint: tidy lint-go lint-shell ## every static check: go mod tidy, gofmt, go vet, staticcheck, golangci-lint, shellcheck

tidy: ## fail when go.mod or go.sum (product or tools) is not what go mod tidy makes
	$(GO) mod tidy -diff
	cd tools && $(GO) mod tidy -diff

lint-go: ## gofmt, go vet, staticcheck and golangci-lint (.golangci.yml)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
		if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(TOOL) staticcheck ./...
	$(TOOL) golangci-lint run ./...

lint-shell: ## shellcheck the JUnit shell library and every script of every template
	shellcheck --shell=sh jobs/lib/junit.sh
	$(GO) run ./jobs/internal/shlint jobs examples/local/templates

fmt: ## format the code
	gofmt -w $$(git ls-files '*.go')

bench: ## benchmarks: loading, generating (8,000 and 80,000 cells, with CPU per op; 8,000 from the matrix file, with and without --plan), plan vs validate, collecting, the run history (size, read, write), rendering from 1 vs 30 runs
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Every parser of outside input and its fuzzer, as "package Fuzzer" pairs:
# go test runs one -fuzz target per invocation, so fuzz loops over them.
# FUZZTIME is a count of executions (Nx), not a duration: with a duration,
# Go before 1.27 can fail a fuzzer that found nothing with "context deadline
# exceeded" when a loaded machine keeps a worker busy as the time runs out
# (go.dev/issue/75804; CI failed so once). A count has no deadline to race.
FUZZERS = \
	./pkg/matrix:FuzzParse \
	./pkg/results:FuzzParse \
	./pkg/results:FuzzParseRun \
	./pkg/collect:FuzzParseManifest \
	./pkg/collect:FuzzParseJUnit \
	./pkg/docs:FuzzParsePage \
	./pkg/localci:FuzzScanEvents

fuzz: ## fuzz every parser (matrix, results and its run lines, manifest, JUnit, docs pages, gitlab-ci-local output) for FUZZTIME executions each (300000x)
	@for pf in $(FUZZERS); do p=$${pf%%:*}; f=$${pf#*:}; \
		echo "== $$p $$f ($(FUZZTIME))"; \
		$(GO) test $$p -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) || exit 1; done

fuzz-short: ## what CI runs: every fuzzer for 20000 executions (a few seconds each)
	$(MAKE) --no-print-directory fuzz FUZZTIME=20000x

# The packages whose tests compare with golden files (they take -update).
GOLDEN_PKGS = $(shell $(GO) list -f '{{.ImportPath}} {{join .TestImports " "}} {{join .XTestImports " "}}' ./... | grep internal/golden | cut -d' ' -f1)

update-golden: ## refresh every golden file from the code; read the diff like code
	$(GO) test $(GOLDEN_PKGS) -update

regenerate: ## regenerate every generated file in place (goldens, the large example, the project's table)
	$(GO) run examples/large/gen.go > examples/large/matrix.yaml
	$(GO) test $(GOLDEN_PKGS) -update >/dev/null
	$(GO) run ./cmd/supportmatrix render --results matrix/results.json --out matrix/SUPPORT.md

# verify works on a fresh clone of HEAD in a temporary directory, so it never
# touches the working tree and judges what is committed: a changed file or a
# file that regenerating creates and git does not track fails it.
verify: ## regenerate everything in a clone of HEAD and fail on any changed or untracked file
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
		if [ -n "$$(git status --porcelain)" ]; then echo "verify: uncommitted changes are not verified (it checks HEAD):"; git status --short; fi && \
		git clone -q --no-hardlinks "$$PWD" "$$tmp/tree" && \
		if [ -z "$${SUPPORTMATRIX_GITLAB_CI_LOCAL:-}" ] && [ -x $(GCL) ]; then export SUPPORTMATRIX_GITLAB_CI_LOCAL="$$PWD/$(GCL)"; fi && \
		$(MAKE) -C "$$tmp/tree" --no-print-directory regenerate && \
		out=$$(git -C "$$tmp/tree" status --porcelain) && \
		if [ -n "$$out" ]; then echo "verify: regenerating changes the tree:"; echo "$$out"; git -C "$$tmp/tree" --no-pager diff --stat; exit 1; fi && \
		echo "verify: HEAD regenerates to itself"

refresh-versions: ## refresh the embedded Kubernetes calendar and vendor lifecycles from endoflife.date (needs a network)
	$(GO) run ./cmd/supportmatrix versions --refresh --catalog pkg/kube/catalog.json --lifecycles pkg/kube/lifecycles.json

tools: $(GCL) ## install gitlab-ci-local into .tools (git-ignored)

$(GCL):
	@test -n "$(GCL_VER)" || { echo "make: no const Version in pkg/localci/find.go"; exit 1; }
	npm install --prefix .tools --no-audit --no-fund gitlab-ci-local@$(GCL_VER)

clean: ## remove build, run and release outputs
	rm -rf bin out dist
