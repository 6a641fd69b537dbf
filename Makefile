# Ordo's developer commands. `make help` lists them.
SHELL := /usr/bin/env bash
GO ?= go

.PHONY: help run test lint build

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

test: lint ## lint, then every test with -race, on SQLite and PostgreSQL
	$(GO) test -race -count=1 -timeout 30m ./...
