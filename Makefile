# Ordo's developer commands. `make help` lists them.
SHELL := /usr/bin/env bash
GO ?= go

.PHONY: help run test lint build tools

# Test-only servers, installed from the Go module proxy into .bin/.
VERSITYGW_VERSION := v1.8.0
MAILPIT_VERSION := v1.33.1

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

run: ## run Ordo in embedded mode on http://localhost:3000
	$(GO) run ./cmd/ordo

build: ## build the ordo binary
	CGO_ENABLED=0 $(GO) build -trimpath -o ordo ./cmd/ordo

lint: ## gofmt and go vet
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

tools: .bin/versitygw .bin/mailpit ## install the servers that tests run (S3, SMTP)

.bin/versitygw:
	GOBIN=$(CURDIR)/.bin CGO_ENABLED=0 $(GO) install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION)

.bin/mailpit:
	GOBIN=$(CURDIR)/.bin CGO_ENABLED=0 $(GO) install github.com/axllent/mailpit@$(MAILPIT_VERSION)

test: lint tools ## lint, then every test with -race, on SQLite and PostgreSQL
	$(GO) test -race -count=1 -timeout 30m ./...
