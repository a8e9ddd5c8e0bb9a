package exercise

import (
	"go/build"
	"go/build/constraint"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/concurrency-workbook/workbook/internal/stubs"
)

// ExtraBuilds returns the builds other than the default one that the
// exercise in dir has code of its own in, each as the environment
// variable that selects it: "GOEXPERIMENT=x" for each experiment x whose
// build tag (goexperiment.x) brings in a non-test file that the default
// build leaves out, here (this GOOS and GOARCH). The simd exercise's
// simd_amd64.go, "//go:build goexperiment.simd && amd64", makes it
// ["GOEXPERIMENT=simd"] on amd64, and nothing elsewhere, where that file
// is never built. An exercise's tests run once in the default build and
// once in each of these.
func ExtraBuilds(dir string) ([]string, error) {
	files, err := stubs.StubFiles(dir)
	if err != nil {
		return nil, err
	}
	var builds []string
	for _, f := range files {
		exps, err := experiments(filepath.Join(dir, f))
		if err != nil {
			return nil, err
		}
		for _, x := range exps {
			env := "GOEXPERIMENT=" + x
			if slices.Contains(builds, env) {
				continue
			}
			without, with := build.Default, build.Default
			without.ToolTags = slices.DeleteFunc(slices.Clone(build.Default.ToolTags),
				func(tag string) bool { return tag == "goexperiment."+x })
			with.ToolTags = append(slices.Clone(without.ToolTags), "goexperiment."+x)
			in, err := with.MatchFile(dir, f)
			if err != nil {
				return nil, err
			}
			out, err := without.MatchFile(dir, f)
			if err != nil {
				return nil, err
			}
			if in && !out {
				builds = append(builds, env)
			}
		}
	}
	slices.Sort(builds)
	return builds, nil
}

// experiments returns the experiments that the //go:build line of the Go
// file at path names (goexperiment.x gives x), in order.
func experiments(path string) ([]string, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var exps []string
	for line := range strings.Lines(string(src)) {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "package ") {
			break // constraints come before the package clause
		}
		if !constraint.IsGoBuild(line) {
			continue
		}
		expr, err := constraint.Parse(line)
		if err != nil {
			return nil, err
		}
		expr.Eval(func(tag string) bool {
			if x, ok := strings.CutPrefix(tag, "goexperiment."); ok && !slices.Contains(exps, x) {
				exps = append(exps, x)
			}
			return true
		})
	}
	return exps, nil
}
