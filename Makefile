# The Go concurrency workbook. `make help` lists the targets.

SHELL := /bin/bash
GO    ?= go

# Every race-enabled binary otherwise sleeps 1 s at exit to flush reports.
export GORACE := atexit_sleep_ms=0

# staticcheck, pinned; `go run pkg@version` builds it once into the build
# cache and leaves go.mod alone.
STATICCHECK := $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

# Everything but the exercise stubs, which fail their tests by design.
PKGS = $$($(GO) list ./... | grep -v '/exercises/')

# drop_mine drops, from a list of packages or files, the exercises that
# hold a student's work (stub files not as shipped). make test never judges
# a student's files: it verifies the shipped copies in internal/stubs
# instead, and leaves these out of gofmt, vet, staticcheck and the cross
# builds. In the workbook's own checkout (WORKBOOK_MAINTAINER=1, as .ci/run
# sets) nothing is dropped, and internal/stubs fails if a stub differs from
# its shipped copy.
drop_mine = $(GO) run ./internal/cmd/verifyexercises -drop-mine
ALL = $$($(GO) list ./... | $(drop_mine))
# The packages with non-test files: go build refuses the others by name.
BUILD = $$($(GO) list -f '{{if .GoFiles}}{{.ImportPath}}{{end}}' ./... | $(drop_mine))
STUBS = $$($(GO) list ./exercises/... | $(drop_mine))

.DEFAULT_GOAL := help

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

test: lint race exercises cross ## the project's test command: lint, race tests, exercise verification, cross-builds
	@echo "make test: all checks passed"

lint: ## gofmt, go mod tidy, go vet and staticcheck (pinned)
	@out=$$(gofmt -l . 2>&1 | $(drop_mine)); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) mod tidy -diff
	$(GO) vet $(ALL)
	$(STATICCHECK) $(PKGS)
	@# Stubs keep fields their TODOs will use: only the unused check is off.
	$(STATICCHECK) -checks inherit,-U1000 $(STUBS)

race: ## go test -race on everything but the exercise stubs
	$(GO) test -race $(PKGS)

exercises: ## verify every exercise: stub fails, solution passes, wrong variants rejected
	$(GO) run ./internal/cmd/verifyexercises

cross: ## build and vet for macOS and Windows as well (students use all three)
	GOOS=darwin GOARCH=arm64 $(GO) build $(BUILD)
	GOOS=darwin GOARCH=arm64 $(GO) vet $(ALL)
	GOOS=windows GOARCH=amd64 $(GO) build $(BUILD)
	GOOS=windows GOARCH=amd64 $(GO) vet $(ALL)

bench: ## run every benchmark once (B=regexp to narrow, COUNT=n to repeat)
	$(GO) test -run '^$$' -bench '$(or $(B),.)' -count $(or $(COUNT),1) $(PKGS)

lesson: ## run a lesson: make lesson L=mutex
	@test -n "$(L)" || { echo "usage: make lesson L=<name>"; exit 2; }
	$(GO) run ./cmd/workbook run $(L)

check: ## check your exercise: make check EX=mutex
	@test -n "$(EX)" || { echo "usage: make check EX=<name>"; exit 2; }
	$(GO) run ./cmd/workbook check $(EX)

report: ## regenerate docs/benchmarks.md from fresh benchmark runs (minutes; use a quiet machine)
	$(GO) run ./internal/cmd/benchreport

generate: ## regenerate the lesson tables from the catalog, and the stubs reset restores
	$(GO) test ./internal/catalog -run TestGeneratedTablesAreCurrent -update
	$(GO) test ./internal/stubs -run TestCopiesMatchTheStubs -update

.PHONY: help test lint race exercises cross bench report lesson check generate
