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

test: lint race simd exercises cross ## the project's test command: lint, race tests, the SIMD build, exercise verification, cross-builds
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

# The packages with code of their own in the SIMD build (GOEXPERIMENT=simd,
# files tagged goexperiment.simd && amd64): their vector code is compiled
# and tested only there. The exercises' SIMD builds are verified by make
# exercises. The SIMD build stays opt-in: the default build, which every
# other target runs, is not changed by it.
SIMD_PKGS = ./lessons/simd ./solutions/simd ./integrate ./integrate/cmd/integrate ./integrate/internal/...

simd: ## vet, staticcheck and go test -race the SIMD build (GOEXPERIMENT=simd), on amd64
	@if [ "$$($(GO) env GOARCH)" != amd64 ]; then \
		echo "make simd: skipped: simd/archsimd exists only on amd64, and this is $$($(GO) env GOARCH)"; exit 0; fi; \
	set -e; export GOEXPERIMENT=simd; \
	echo "GOEXPERIMENT=simd go vet $(SIMD_PKGS)"; $(GO) vet $(SIMD_PKGS); \
	echo "GOEXPERIMENT=simd staticcheck $(SIMD_PKGS)"; $(STATICCHECK) $(SIMD_PKGS); \
	echo "GOEXPERIMENT=simd go test -race $(SIMD_PKGS)"; $(GO) test -race $(SIMD_PKGS); \
	echo "make simd: tested on this CPU as: $$($(GO) run ./lessons/simd -n 1 | sed -n 's/^build: *//p')"

exercises: ## verify every exercise: stub fails, solution passes, wrong variants rejected
	$(GO) run ./internal/cmd/verifyexercises

cross: ## build and vet for macOS and Windows as well (students use all three)
	GOOS=darwin GOARCH=arm64 $(GO) build $(BUILD)
	GOOS=darwin GOARCH=arm64 $(GO) vet $(ALL)
	GOOS=windows GOARCH=amd64 $(GO) build $(BUILD)
	GOOS=windows GOARCH=amd64 $(GO) vet $(ALL)

# make stress runs the race tests over and over on a machine kept busy, as
# a CI runner or a classroom is: RUNS runs of -count COUNT with -shuffle=on
# beside a CPU hog (two busy goroutines in another process), then one with
# -cpu 1. P narrows the packages (default: all but the stubs).
stress: ## the race tests under load: RUNS=3 runs of -count=COUNT (10) -shuffle=on beside a CPU hog, then -cpu 1 (hours; P=pkgs to narrow)
	@dir=$$(mktemp -d) && $(GO) build -o $$dir/hog ./internal/cmd/hog || exit 1; \
	$$dir/hog -n 2 >/dev/null 2>&1 & hog=$$!; \
	trap 'kill $$hog 2>/dev/null; wait $$hog; rm -r '"$$dir" EXIT; trap 'exit 130' INT TERM; \
	pkgs="$(or $(P),$(PKGS))"; \
	for i in $$(seq $(or $(RUNS),3)); do \
		echo "make stress: run $$i of $(or $(RUNS),3), -count=$(or $(COUNT),10) -shuffle=on, beside a CPU hog"; \
		$(GO) test -race -timeout 2h -count=$(or $(COUNT),10) -shuffle=on $$pkgs || exit 1; \
	done; \
	echo "make stress: -cpu 1, beside a CPU hog"; \
	$(GO) test -race -timeout 2h -count=$(or $(COUNT),10) -shuffle=on -cpu 1 $$pkgs || exit 1; \
	echo "make stress: all runs passed"

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

generate: ## regenerate the lesson tables from the catalog, the stubs reset restores, and integrate's kernels
	$(GO) test ./internal/catalog -run TestGeneratedTablesAreCurrent -update
	$(GO) test ./internal/stubs -run TestCopiesMatchTheStubs -update
	$(GO) generate ./integrate

.PHONY: help test lint race simd exercises cross stress bench report lesson check generate
