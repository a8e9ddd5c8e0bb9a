package stubs

import (
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"testing"

	"github.com/concurrency-workbook/workbook/internal/catalog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var update = flag.Bool("update", false, "rewrite _pristine from the exercises' stubs")

// Maintainer is the environment variable that says the checkout is the
// workbook's own, not a student's: .ci/run sets it, and so should a
// maintainer who changes a stub.
const Maintainer = "WORKBOOK_MAINTAINER"

const root = "../.."

// TestCopiesMatchTheStubs checks that there is a shipped copy of every
// stub file of every exercise in the catalog, and nothing else. In the
// workbook's own checkout (WORKBOOK_MAINTAINER=1, as in CI) each copy must
// also be the committed stub, byte for byte; in a student's clone the
// stubs are the student's work, and a difference is theirs to make. With
// -update it rewrites the copies from exercises/.
func TestCopiesMatchTheStubs(t *testing.T) {
	if *update {
		// We read every stub before we touch _pristine: an exercise of
		// the catalog without its folder yet stops the update with the
		// shipped copies as they were, not half deleted.
		copies := map[string][]byte{} // path under _pristine -> contents
		for _, name := range catalog.Exercises() {
			dir := filepath.Join(root, "exercises", name)
			files, err := StubFiles(dir)
			require.NoError(t, err)
			for _, f := range files {
				data, err := os.ReadFile(filepath.Join(dir, f))
				require.NoError(t, err)
				copies[filepath.Join(name, f)] = data
			}
		}
		require.NoError(t, os.RemoveAll("_pristine"))
		for p, data := range copies {
			require.NoError(t, os.MkdirAll(filepath.Join("_pristine", filepath.Dir(p)), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join("_pristine", p), data, 0o644))
		}
		t.Log("rewrote _pristine; rebuild to embed it")
		return
	}

	// The embedded copy, not the directory on disk: that is what reset uses.
	var embedded, want []string
	require.NoError(t, fs.WalkDir(FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			embedded = append(embedded, p)
		}
		return err
	}))
	strict := os.Getenv(Maintainer) == "1"
	for _, name := range catalog.Exercises() {
		files := Files(FS(), name)
		require.NotEmpty(t, files, "no shipped copy of exercises/%s: run go test ./internal/stubs -update", name)
		for _, f := range files {
			want = append(want, path.Join(name, f))
		}
		changed, err := Changed(root, name, FS())
		require.NoError(t, err)
		if strict {
			assert.Empty(t, changed, "these differ from their shipped copies: run go test ./internal/stubs -update")
		} else if len(changed) > 0 {
			t.Logf("%v: your work, not compared (set %s=1 to compare)", changed, Maintainer)
		}
	}
	slices.Sort(want)
	assert.Equal(t, want, embedded, "files in _pristine: one directory per exercise in the catalog")
}

func write(t *testing.T, dir, rel, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
}

// A student's edit, a file they added and one they deleted: Changed names
// the first two, and Overlay puts every shipped file back and leaves the
// added one out.
func TestChangedAndOverlay(t *testing.T) {
	name := catalog.Exercises()[0]
	files := Files(FS(), name)
	require.NotEmpty(t, files)
	dir := t.TempDir()
	for _, f := range files {
		data, err := fs.ReadFile(FS(), path.Join(name, f))
		require.NoError(t, err)
		write(t, dir, "exercises/"+name+"/"+f, string(data))
		write(t, dir, Dir+"/"+name+"/"+f, string(data))
	}
	changed, err := Changed(dir, name, OnDisk(dir))
	require.NoError(t, err)
	assert.Empty(t, changed, "as shipped")

	write(t, dir, "exercises/"+name+"/"+files[0], "package "+name+"\n// mine\n")
	write(t, dir, "exercises/"+name+"/helper.go", "package "+name+"\n")
	write(t, dir, "exercises/"+name+"/helper_test.go", "package "+name+"\n")
	changed, err = Changed(dir, name, OnDisk(dir))
	require.NoError(t, err)
	assert.Equal(t, []string{"exercises/" + name + "/" + files[0], "exercises/" + name + "/helper.go"}, changed)

	data, err := Overlay(dir, name, map[string]string{"extra.go": "/elsewhere/extra.go"})
	require.NoError(t, err)
	var o struct{ Replace map[string]string }
	require.NoError(t, json.Unmarshal(data, &o))
	abs, err := filepath.Abs(dir)
	require.NoError(t, err)
	want := map[string]string{
		filepath.Join(abs, "exercises", name, "helper.go"): "",
		filepath.Join(abs, "exercises", name, "extra.go"):  "/elsewhere/extra.go",
	}
	for _, f := range files {
		want[filepath.Join(abs, "exercises", name, f)] = filepath.Join(abs, filepath.FromSlash(Dir), name, f)
	}
	assert.Equal(t, want, o.Replace)
}
