package exercise

import (
	"bytes"
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/concurrency-workbook/workbook/internal/stubs"
)

// A BlockWay is how BlocksForever makes a function block.
type BlockWay int

const (
	BlockSelect BlockWay = iota // an empty select {}: a channel-style hang
	BlockLock                   // a mutex locked twice and never unlocked, which synctest cannot see
)

func (w BlockWay) String() string {
	return [...]string{"select {}", "a never-released lock"}[w]
}

// blockMutex is the mutex BlockLock locks, declared in a file of its own
// (blockFile) that the overlay adds to the package.
const (
	blockMutex = "zzBlockForever"
	blockFile  = "zz_block_forever.go"
)

// MaxHangTest is how long a student's check may take, from the start of
// the tests, to stop a stub that blocks for ever and say where: the
// grader's idle bound (Grading) and the time to dump the stacks, with
// room for a loaded machine. The build comes on top.
const MaxHangTest = 7 * time.Second

// BlocksForever returns the Go file src with the body of every exported
// function and method replaced by one that blocks for ever, as the worst
// wrong answer would: an empty select, or a lock taken twice. Imports left
// unused are kept as blank imports. For BlockLock the package also needs
// BlockLockFile.
func BlocksForever(src []byte, way BlockWay) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "stub.go", src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	body := "{\n\tselect {}\n}"
	if way == BlockLock {
		body = "{\n\t" + blockMutex + ".Lock()\n\t" + blockMutex + ".Lock()\n\tpanic(\"unreachable\")\n}"
	}
	type span struct{ from, to int }
	var bodies []span
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Name.IsExported() && fn.Body != nil {
			bodies = append(bodies, span{fset.Position(fn.Body.Lbrace).Offset, fset.Position(fn.Body.Rbrace).Offset + 1})
		}
	}
	var out bytes.Buffer
	last := 0
	for _, b := range bodies {
		out.Write(src[last:b.from])
		out.WriteString(body)
		last = b.to
	}
	out.Write(src[last:])
	return blankUnusedImports(out.Bytes())
}

// BlockLockFile returns the file that declares BlockLock's mutex in
// package pkg.
func BlockLockFile(pkg string) []byte {
	return fmt.Appendf(nil, "package %s\n\nimport \"sync\"\n\n// %s is locked and never unlocked by BlocksForever.\nvar %s sync.Mutex\n", pkg, blockMutex, blockMutex)
}

// blankUnusedImports turns every import that src no longer uses into a
// blank import, so that the file still compiles.
func blankUnusedImports(src []byte) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "stub.go", src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	used := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok {
				used[id.Name] = true
			}
		}
		return true
	})
	type edit struct {
		at   int
		text string
	}
	var edits []edit
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		name := path.Base(p)
		if imp.Name != nil {
			name = imp.Name.Name
		}
		if name == "_" || name == "." || used[name] {
			continue
		}
		if imp.Name != nil {
			// Renamed: replace the name with _.
			edits = append(edits, edit{fset.Position(imp.Name.Pos()).Offset, "_\x00" + imp.Name.Name})
			continue
		}
		edits = append(edits, edit{fset.Position(imp.Path.Pos()).Offset, "_ "})
	}
	slices.SortFunc(edits, func(a, b edit) int { return b.at - a.at })
	for _, e := range edits {
		if text, old, ok := strings.Cut(e.text, "\x00"); ok {
			src = slices.Concat(src[:e.at], []byte(text), src[e.at+len(old):])
			continue
		}
		src = slices.Concat(src[:e.at], []byte(e.text), src[e.at:])
	}
	return src, nil
}

// verifyBlocking lays over the shipped stub a version whose every exported
// function blocks for ever (way), runs the tests as a student's check
// does, and checks that they fail with a hang that names the test, the
// stub's file:line and a cause, soon after the tests start.
func verifyBlocking(ctx context.Context, root, name, tmp string, way BlockWay) (Check, error) {
	c := Check{What: fmt.Sprintf("a stub that blocks for ever (%s) gets a hang verdict within %v of the tests' start", way, MaxHangTest)}
	dir := filepath.Join(tmp, fmt.Sprintf("block%d", way))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return c, err
	}
	replace := map[string]string{}
	pkg := ""
	for _, f := range stubs.Files(stubs.OnDisk(root), name) {
		src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(stubs.Dir), name, f))
		if err != nil {
			return c, err
		}
		blocked, err := BlocksForever(src, way)
		if err != nil {
			return c, fmt.Errorf("%s: %w", f, err)
		}
		if pkg == "" {
			if pf, err := parser.ParseFile(token.NewFileSet(), f, src, parser.PackageClauseOnly); err == nil {
				pkg = pf.Name.Name
			}
		}
		p := filepath.Join(dir, f)
		if err := os.WriteFile(p, blocked, 0o644); err != nil {
			return c, err
		}
		replace[f] = p
	}
	if way == BlockLock {
		p := filepath.Join(dir, blockFile)
		if err := os.WriteFile(p, BlockLockFile(pkg), 0o644); err != nil {
			return c, err
		}
		replace[blockFile] = p
	}
	data, err := stubs.Overlay(root, name, replace)
	if err != nil {
		return c, err
	}
	overlay := filepath.Join(tmp, fmt.Sprintf("block%d.json", way))
	if err := os.WriteFile(overlay, data, 0o644); err != nil {
		return c, err
	}
	opt := Grading(true)
	opt.Overlay = overlay
	start := time.Now()
	r, err := Test(ctx, root, path.Join("exercises", name), opt)
	if err != nil {
		return c, err
	}
	total := time.Since(start)
	tests := r.Ended.Sub(r.Started)
	d := Diagnose(r)
	c.Detail = fmt.Sprintf("the tests took %v to end (%v with the build)", tests.Round(100*time.Millisecond), total.Round(100*time.Millisecond))
	switch {
	case !r.Built:
		c.Detail = "it does not compile:\n" + firstLines(r.Output, 10)
	case r.Passed:
		c.Detail = "the tests pass it"
	case len(d.Hangs) == 0:
		c.Detail = "no hang found in:\n" + firstLines(r.Output, 30)
	case d.Hangs[0].Test == "" || len(d.Hangs[0].Stuck) == 0 || d.Hangs[0].Cause == "":
		c.Detail = fmt.Sprintf("the hang's verdict does not name the test, the stub's line and a cause: %+v", d.Hangs[0])
	case tests > MaxHangTest:
		c.Detail = "too slow: " + c.Detail + "; are the exercise's tests bounded?"
	default:
		c.OK = true
	}
	return c, nil
}
