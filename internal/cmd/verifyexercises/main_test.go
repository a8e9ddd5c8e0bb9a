package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/concurrency-workbook/workbook/internal/catalog"
	"github.com/concurrency-workbook/workbook/internal/stubs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestUnknownExerciseIsAnError(t *testing.T) {
	var out bytes.Buffer
	err := run(t.Context(), &out, "../../..", []string{"mutx"}, false)
	var u *catalog.UnknownError
	require.ErrorAs(t, err, &u)
	assert.Equal(t, "mutex", u.Closest)
	assert.Empty(t, out.String(), "nothing is verified when a name is wrong")
}

func TestSameDirs(t *testing.T) {
	root := t.TempDir()
	mk := func(path string) { require.NoError(t, os.MkdirAll(filepath.Join(root, path), 0o755)) }
	mk("exercises/a")
	mk("solutions/a")
	require.NoError(t, sameDirs(root, []string{"a"}))

	assert.ErrorContains(t, sameDirs(root, []string{"a", "b"}),
		`the catalog names exercise "b", but exercises/b does not exist`)

	mk("solutions/stray")
	assert.ErrorContains(t, sameDirs(root, []string{"a"}), "solutions/stray is not in the catalog")
}

// A student's edited exercise is left out of what make lint judges, as a
// package and as files; the others, and everything in the workbook's own
// checkout, are kept.
func TestFilterMineDropsTheStudentsExercises(t *testing.T) {
	t.Setenv(maintainer, "") // as on a student's clone, whatever CI sets
	root := t.TempDir()
	names := catalog.Exercises()
	for _, name := range names {
		for _, f := range stubs.Files(stubs.FS(), name) {
			data, err := fs.ReadFile(stubs.FS(), name+"/"+f)
			require.NoError(t, err)
			for _, p := range []string{filepath.Join(root, "exercises", name, f), filepath.Join(root, stubs.Dir, name, f)} {
				require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
				require.NoError(t, os.WriteFile(p, data, 0o644))
			}
		}
	}
	mine, other := names[0], names[1]
	first := stubs.Files(stubs.FS(), mine)[0]
	f := filepath.Join(root, "exercises", mine, first)
	require.NoError(t, os.WriteFile(f, []byte("package "+mine+"\n// my work\n"), 0o644))

	in := strings.Join([]string{
		modulePath + "/exercises/" + mine,
		"exercises/" + mine + "/" + first,
		modulePath + "/exercises/" + other,
		"exercises/" + other + "/" + other + ".go",
		modulePath + "/solutions/" + mine,
	}, "\n") + "\n"
	var out bytes.Buffer
	require.NoError(t, filterMine(strings.NewReader(in), &out, root))
	assert.Equal(t, strings.Join([]string{
		modulePath + "/exercises/" + other,
		"exercises/" + other + "/" + other + ".go",
		modulePath + "/solutions/" + mine,
	}, "\n")+"\n", out.String())

	t.Setenv(maintainer, "1")
	out.Reset()
	require.NoError(t, filterMine(strings.NewReader(in), &out, root))
	assert.Equal(t, in, out.String(), "in the workbook's own checkout nothing is dropped")
}
