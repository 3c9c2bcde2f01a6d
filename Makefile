# The contributor contract: every target here is what CI and reviewers run.
GO        ?= go
BIN       := bin/supportmatrix
GCL       := .tools/node_modules/.bin/gitlab-ci-local
GCL_VER   := 4.70.1
FUZZTIME  ?= 30s

.PHONY: all build test run lint fmt bench fuzz update-golden verify tools clean refresh-versions

all: build

build: ## build bin/supportmatrix
	$(GO) build -o $(BIN) ./cmd/supportmatrix

test: lint ## everything CI checks: lint, unit and end-to-end tests, the project's own matrix
	$(GO) test -count=1 ./...
	$(GO) run ./cmd/supportmatrix validate --matrix matrix/matrix.yaml
	@for f in examples/*/matrix.yaml; do t=$$(dirname $$f)/templates; \
		if [ -d $$t ]; then $(GO) run ./cmd/supportmatrix validate --matrix $$f --templates $$t || exit 1; \
		else $(GO) run ./cmd/supportmatrix validate --matrix $$f || exit 1; fi; done

run: build ## the main job on the embedded defaults: the project's matrix, then the local example through gitlab-ci-local
	$(BIN) validate
	$(BIN) plan
	$(BIN) versions
	@if command -v node >/dev/null 2>&1; then \
		$(BIN) run --local --matrix examples/local/matrix.yaml --templates examples/local/templates --out out/local; \
	else \
		echo "run: node is not installed: skipping the local run of examples/local through gitlab-ci-local"; \
	fi

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
		if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

fmt: ## format the code
	gofmt -w $$(git ls-files '*.go')

bench: ## benchmarks: loading, generating, collecting
	$(GO) test -run '^$$' -bench . -benchmem ./...

fuzz: ## fuzz the matrix loader
	$(GO) test ./pkg/matrix -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME)

# The packages whose tests compare with golden files (they take -update).
GOLDEN_PKGS = $(shell $(GO) list -f '{{.ImportPath}} {{join .TestImports " "}} {{join .XTestImports " "}}' ./... | grep internal/golden | cut -d' ' -f1)

update-golden: ## refresh every golden file from the code; read the diff like code
	$(GO) test $(GOLDEN_PKGS) -update

verify: ## regenerate everything and fail on any difference
	$(GO) run examples/large/gen.go > examples/large/matrix.yaml
	$(GO) test $(GOLDEN_PKGS) -update >/dev/null
	$(GO) run ./cmd/supportmatrix render --results matrix/results.json --out matrix/SUPPORT.md
	git diff --exit-code

refresh-versions: ## refresh the embedded Kubernetes calendar and vendor lifecycles from endoflife.date (needs a network)
	$(GO) run ./cmd/supportmatrix versions --refresh --catalog pkg/kube/catalog.json --lifecycles pkg/kube/lifecycles.json

tools: $(GCL) ## install gitlab-ci-local into .tools (git-ignored)

$(GCL):
	npm install --prefix .tools --no-audit --no-fund gitlab-ci-local@$(GCL_VER)

clean:
	rm -rf bin out
