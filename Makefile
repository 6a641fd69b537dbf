# Ordo's developer commands. `make help` lists them.
SHELL := /usr/bin/env bash
GO ?= go

.PHONY: help run test test-short lint build tools ui-tools bench reliability fuzz sdk openapi-snapshot vendor-apiref

# Test-only servers, installed from the Go module proxy into .bin/.
VERSITYGW_VERSION := v1.8.0
MAILPIT_VERSION := v1.33.1
# MinIO is AGPL: the tests run it as a separate program, Ordo never links it.
MINIO_VERSION := v0.0.0-20260212201848-7aac2a2c5b7c
# The module proxy only: GOPROXY's trailing ",direct" would try git hosts
# that a CI machine cannot reach when a module is missing.
TOOLS_GOPROXY = $(shell $(GO) env GOPROXY | sed 's/,direct$$//')

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

run: ## run Ordo in embedded mode on http://localhost:3000
	$(GO) run ./cmd/ordo

build: ## build the ordo binary
	CGO_ENABLED=0 $(GO) build -trimpath -o ordo ./cmd/ordo

# oapi-codegen is pinned as a tool dependency in go.mod (go get -tool).
sdk: ## regenerate pkg/ordoclient (OpenAPI document and Go client) from the code
	$(GO) generate ./pkg/ordoclient

openapi-snapshot: ## accept the current OpenAPI document as the released v1 (additive changes only: docs/api-versioning.md)
	$(GO) test -count=1 -run 'TestOpenAPIBreaking$$' ./internal/web -update

# The API reference's Redoc bundle is vendored, pinned by version and sha256.
vendor-apiref: ## re-fetch the pinned Redoc bundle from npm and check its sha256
	./scripts/vendor-apiref.sh

lint: ## gofmt and go vet
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

tools: .bin/versitygw .bin/minio .bin/mailpit ui-tools ## install the servers and browser checkers that tests run (S3 twice, SMTP, axe-core, Lighthouse)

.bin/versitygw:
	GOPROXY="$(TOOLS_GOPROXY)" GOBIN=$(CURDIR)/.bin CGO_ENABLED=0 $(GO) install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION)

# The second S3 server (TestS3Servers); about 4 minutes to build.
.bin/minio:
	GOPROXY="$(TOOLS_GOPROXY)" GOBIN=$(CURDIR)/.bin CGO_ENABLED=0 $(GO) install github.com/minio/minio@$(MINIO_VERSION)

.bin/mailpit:
	GOPROXY="$(TOOLS_GOPROXY)" GOBIN=$(CURDIR)/.bin CGO_ENABLED=0 $(GO) install github.com/axllent/mailpit@$(MAILPIT_VERSION)

# The UI checks' npm packages (axe-core, Lighthouse), pinned by
# tools/uicheck/package-lock.json, installed into .bin/npm. The stamp is
# named for the lock file's hash, so a changed lock reinstalls. No install
# scripts run: nothing here downloads a browser (the tests use Debian's).
UICHECK_STAMP := .bin/npm/.installed-$(shell sha256sum tools/uicheck/package-lock.json | cut -c1-16)

ui-tools: $(UICHECK_STAMP) ## install the npm packages of the UI checks (axe-core, Lighthouse)

$(UICHECK_STAMP): tools/uicheck/package.json tools/uicheck/package-lock.json
	rm -rf .bin/npm && mkdir -p .bin/npm
	cp tools/uicheck/package.json tools/uicheck/package-lock.json .bin/npm/
	cd .bin/npm && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

# Lighthouse scores page speed from timings, so it runs on its own after
# the other tests, not next to another package's tests on the same cores.
test: lint tools ## lint, then every test with -race, on SQLite and PostgreSQL
	$(GO) test -race -count=1 -timeout 30m -skip '^TestLighthouse$$' ./...
	$(GO) test -count=1 -timeout 20m -run '^TestLighthouse$$' ./cmd/ordo
	$(MAKE) --no-print-directory fuzz FUZZTIME=5000x

# The developer's loop: -short leaves out the suites that run the ordo
# binary or a browser (testkit.SkipShort); `make test` and CI run
# everything.
test-short: ## the fast loop: every test but the process-level suites
	$(GO) test -short -count=1 ./...

# Every fuzz target, found by name in the test files (go test fuzzes one
# target per run). Seed corpora: <package>/testdata/fuzz/<FuzzName>/.
# FUZZTIME is a duration (10s) or a number of inputs (5000x). `make test`
# gives a number: with a duration, Go 1.26's fuzzing coordinator can fail
# a target with a bare "context deadline exceeded" and no failing input as
# the time runs out (golang/go#75804, fixed in Go 1.27).
FUZZTIME ?= 10s
fuzz: ## run each fuzz target for FUZZTIME (default 10s)
	@set -e; for dir in $$(grep -rl --include='*_test.go' '^func Fuzz' cmd internal | xargs -n1 dirname | sort -u); do \
	  for name in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go | cut -c6- | sort -u); do \
	    echo "fuzz $$name ./$$dir ($(FUZZTIME))"; \
	    $(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) ./$$dir; \
	  done; \
	done

# `make bench BENCH_FLAGS="-orders 200000 -d 3s"` for a shorter run.
BENCH_FLAGS ?= -engine all
bench: ## seed 1M orders in a fresh database, measure Ordo against bare baselines, update BENCH.md
	$(GO) run ./cmd/ordo bench $(BENCH_FLAGS) -json bench.json -md BENCH.md

# The long form of the reliability suite (its short form runs in `make
# test`): 20 worker kills per job kind, longer outages, figures appended to
# reliability-report.md for RELIABILITY.md.
reliability: tools ## run the reliability suite in its long form
	ORDO_RELIABILITY=long ORDO_RELIABILITY_REPORT=$(CURDIR)/reliability-report.md \
	  $(GO) test -count=1 -timeout 60m -run 'TestReliability' -v ./cmd/ordo/
