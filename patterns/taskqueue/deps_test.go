package taskqueue_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// module is the workbook's module path.
const module = "github.com/concurrency-workbook/workbook"

// natsSection is the part of the workbook allowed to depend on NATS: these
// directories and everything below them, tests included. A program that
// embeds the NATS server is about 25 MB and its first build takes more
// than a minute, so everything else must stay free of it.
var natsSection = []string{
	"patterns/taskqueue",
	"lessons/taskqueue",
	"exercises/taskqueue",
	"solutions/taskqueue",
	"integrate/cmd/cluster",
}

// natsPrefix begins the import path of every package of the NATS modules
// (nats-server, nats.go, nkeys, jwt, nuid).
const natsPrefix = "github.com/nats-io/"

// A listed package, as go list -json prints it.
type listed struct {
	ImportPath string
	Imports    []string
	Module     *struct{ Path string }
	Error      *struct{ Err string }
}

// TestNATSStaysInItsSection lists every package of the module with its
// tests, and every package they depend on, in one go list call, and
// fails for each package outside natsSection that depends on a NATS
// package, naming the chain of imports that leads there.
func TestNATSStaysInItsSection(t *testing.T) {
	out, err := exec.CommandContext(t.Context(), "go", "list", "-e", "-deps", "-test",
		"-json=ImportPath,Imports,Module,Error", module+"/...").Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		t.Fatalf("go list: %v\n%s", err, exit.Stderr)
	}
	require.NoError(t, err)
	pkgs, err := decodeListed(out)
	require.NoError(t, err)

	leaks, loadErrs := natsLeaks(pkgs)
	for _, e := range loadErrs {
		t.Logf("go list could not load all of a package, so its dependencies may be incomplete: %s", e)
	}
	for _, leak := range leaks {
		for i, p := range leak {
			leak[i] = strings.ReplaceAll(p, module+"/", "")
		}
		t.Errorf("%s depends on NATS, which only %s may use: %s",
			leak[0], strings.Join(natsSection, ", "), strings.Join(leak, " imports "))
	}
}

// decodeListed reads go list -json's stream of objects.
func decodeListed(out []byte) (map[string]listed, error) {
	pkgs := map[string]listed{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listed
		if err := dec.Decode(&p); err == io.EOF {
			return pkgs, nil
		} else if err != nil {
			return nil, fmt.Errorf("decoding go list's output: %w", err)
		}
		pkgs[p.ImportPath] = p
	}
}

// natsLeaks returns, for each package of the module outside natsSection
// that depends on a NATS package, the shortest chain of imports from it
// to one, in the order of the package paths; one chain per package, from
// the package itself or from one of its tests. It also
// returns the load errors go list reported for the module's packages.
func natsLeaks(pkgs map[string]listed) (leaks [][]string, loadErrs []string) {
	var roots []string
	for path, p := range pkgs {
		if p.Module == nil || p.Module.Path != module {
			continue
		}
		if p.Error != nil {
			loadErrs = append(loadErrs, p.Error.Err)
		}
		if !inNATSSection(path) {
			roots = append(roots, path)
		}
	}
	slices.Sort(roots)
	slices.Sort(loadErrs)
	// A package and its test variants ("p", "p [p.test]", "p.test",
	// "p_test [p.test]") are reported once, with the shortest chain,
	// the first of the sorted roots if several are as short.
	shortest := map[string]int{} // base package -> index in leaks
	for _, root := range roots {
		chain := pathTo(pkgs, root, func(p string) bool { return strings.HasPrefix(p, natsPrefix) })
		if chain == nil {
			continue
		}
		if i, ok := shortest[base(root)]; !ok {
			shortest[base(root)] = len(leaks)
			leaks = append(leaks, chain)
		} else if len(chain) < len(leaks[i]) {
			leaks[i] = chain
		}
	}
	return leaks, loadErrs
}

// base returns the package that go list's path stands for: path itself,
// or the package under test of a test variant ("p [p.test]"), an external
// test package ("p_test [p.test]") or a test binary ("p.test").
func base(path string) string {
	path, _, _ = strings.Cut(path, " ")
	path = strings.TrimSuffix(path, ".test")
	return strings.TrimSuffix(path, "_test")
}

// inNATSSection reports whether the package go list calls path (which may
// be a test variant, "p [p.test]", an external test package, "p_test
// [p.test]", or a test binary, "p.test") belongs to natsSection.
func inNATSSection(path string) bool {
	rel, ok := strings.CutPrefix(base(path), module+"/")
	if !ok {
		return false
	}
	for _, dir := range natsSection {
		if rel == dir || strings.HasPrefix(rel, dir+"/") {
			return true
		}
	}
	return false
}

// pathTo returns the shortest chain of imports from root to a package
// that match accepts, or nil if there is none: a breadth-first search.
func pathTo(pkgs map[string]listed, root string, match func(string) bool) []string {
	from := map[string]string{root: ""}
	queue := []string{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if match(p) {
			var chain []string
			for ; p != ""; p = from[p] {
				chain = append(chain, p)
			}
			slices.Reverse(chain)
			return chain
		}
		for _, imp := range pkgs[p].Imports {
			if _, seen := from[imp]; !seen {
				from[imp] = p
				queue = append(queue, imp)
			}
		}
	}
	return nil
}

// The check itself is checked on a made-up module: a lesson that imports
// the task queue, whose package imports nats.go, is caught with the
// chain, and so is a lesson whose test does; the section's own packages
// and their tests are not.
func TestNATSLeaksFindsTheChain(t *testing.T) {
	m := func(s string) string { return module + "/" + s }
	ours := &struct{ Path string }{module}
	pkgs := map[string]listed{}
	for _, p := range []listed{
		{ImportPath: m("lessons/mutex"), Imports: []string{"fmt", "sync"}, Module: ours},
		{ImportPath: m("lessons/queue"), Imports: []string{"fmt", m("patterns/taskqueue")}, Module: ours},
		{ImportPath: m("lessons/queue.test"), Imports: []string{m("lessons/queue [" + m("lessons/queue.test") + "]")}, Module: ours},
		{ImportPath: m("lessons/queue [" + m("lessons/queue.test") + "]"), Imports: []string{m("patterns/taskqueue")}, Module: ours},
		{ImportPath: m("lessons/tq"), Imports: []string{"fmt"}, Module: ours},
		{ImportPath: m("lessons/tq.test"), Imports: []string{m("lessons/tq [" + m("lessons/tq.test") + "]")}, Module: ours},
		{ImportPath: m("lessons/tq [" + m("lessons/tq.test") + "]"), Imports: []string{m("patterns/taskqueue")}, Module: ours},
		{ImportPath: m("patterns/taskqueue"), Imports: []string{"github.com/nats-io/nats.go"}, Module: ours},
		{ImportPath: m("patterns/taskqueue_test [" + m("patterns/taskqueue.test") + "]"), Imports: []string{m("patterns/taskqueue")}, Module: ours},
		{ImportPath: m("patterns/taskqueuex"), Imports: []string{"github.com/nats-io/nuid"}, Module: ours},
		{ImportPath: m("integrate/cmd/cluster/worker"), Imports: []string{"github.com/nats-io/nats.go"}, Module: ours},
		{ImportPath: "github.com/nats-io/nats.go", Imports: []string{"github.com/nats-io/nuid"}},
		{ImportPath: "github.com/nats-io/nuid"},
		{ImportPath: "fmt"},
		{ImportPath: "sync"},
	} {
		pkgs[p.ImportPath] = p
	}
	leaks, loadErrs := natsLeaks(pkgs)
	assert.Empty(t, loadErrs)
	assert.Equal(t, [][]string{
		{m("lessons/queue"), m("patterns/taskqueue"), "github.com/nats-io/nats.go"}, // once, not for each test variant
		{m("lessons/tq [" + m("lessons/tq.test") + "]"), m("patterns/taskqueue"), "github.com/nats-io/nats.go"},
		{m("patterns/taskqueuex"), "github.com/nats-io/nuid"}, // a name that only begins like the section's
	}, leaks)
}
