package catalog

import (
	"flag"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/concurrency-workbook/workbook/internal/readme"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

var update = flag.Bool("update", false, "rewrite the generated tables in README.md and lessons/README.md")

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// root is the module root, two levels above this package.
const root = "../.."

func TestNamesAreUniqueAndSectionsKnown(t *testing.T) {
	var sections []string
	for _, s := range Sections() {
		sections = append(sections, s.Name)
	}
	seen := map[string]bool{}
	for _, l := range Lessons() {
		assert.False(t, seen[l.Name], "lesson %q listed twice", l.Name)
		seen[l.Name] = true
		assert.Contains(t, sections, l.Section, "lesson %q: unknown section", l.Name)
		assert.Regexp(t, `^[a-z]+$`, l.Name, "lesson names are bare concepts")
		assert.NotEmpty(t, l.Title, l.Name)
		assert.NotEmpty(t, l.Python, l.Name)
	}
	// Sections appear in reading order: once a section ends, it does not
	// come back.
	var order []string
	for _, l := range Lessons() {
		if len(order) == 0 || order[len(order)-1] != l.Section {
			assert.NotContains(t, order, l.Section, "lessons of section %q are not together", l.Section)
			order = append(order, l.Section)
		}
	}
	for i := 1; i < len(order); i++ {
		assert.Less(t, slices.Index(sections, order[i-1]), slices.Index(sections, order[i]),
			"section %q comes before %q in Sections but not in Lessons", order[i], order[i-1])
	}
}

func TestEveryLessonHasItsFiles(t *testing.T) {
	for _, l := range Lessons() {
		for _, f := range []string{"main.go", "main_test.go", "README.md"} {
			assert.FileExists(t, filepath.Join(root, "lessons", l.Name, f))
		}
		if l.Exercise != "" {
			for _, top := range []string{"exercises", "solutions"} {
				assert.DirExists(t, filepath.Join(root, top, l.Exercise))
				assert.FileExists(t, filepath.Join(root, top, l.Exercise, "README.md"))
			}
		}
	}
}

func TestEveryDirectoryIsInTheCatalog(t *testing.T) {
	for top, names := range map[string][]string{
		"lessons":   LessonNames(),
		"exercises": Exercises(),
		"solutions": Exercises(),
	} {
		entries, err := os.ReadDir(filepath.Join(root, top))
		require.NoError(t, err)
		for _, e := range entries {
			if e.IsDir() {
				assert.Contains(t, names, e.Name(), "%s/%s is not in the catalog", top, e.Name())
			}
		}
	}
}

// Every exercise's package is named after its directory, as Go expects,
// but for a directory named after a keyword: no package can be called
// select, so exercises/select holds package query (its README says why).
// The solution stands for both: verifyexercises checks that the stub's
// package has the same name, and the student's file is not read here.
func TestPackagesAreNamedForTheirDirectories(t *testing.T) {
	keywords := map[string]string{"select": "query"}
	for _, name := range Exercises() {
		want := name
		if token.IsKeyword(name) {
			want = keywords[name]
			require.NotEmpty(t, want, "exercise %q is a Go keyword: name its package in keywords", name)
		}
		path := filepath.Join(root, "solutions", name, name+".go")
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.PackageClauseOnly)
		if assert.NoError(t, err) {
			assert.Equal(t, want, f.Name.Name, "solutions/%s: the package is not named after its directory", name)
		}
	}
}

// Each lesson's README points to the next lesson in reading order and to
// its own exercise, so following the READMEs is following the catalog.
func TestREADMEsFollowTheCatalog(t *testing.T) {
	ls := Lessons()
	for i, l := range ls {
		b, err := os.ReadFile(filepath.Join(root, "lessons", l.Name, "README.md"))
		if !assert.NoError(t, err) {
			continue
		}
		doc := string(b)
		next, _ := readme.Section(doc, "Next")
		if assert.NotEmpty(t, next, "%s/README.md has no Next section", l.Name) && i+1 < len(ls) {
			assert.Contains(t, next, ls[i+1].Name, "%s/README.md: Next should name %q", l.Name, ls[i+1].Name)
		}
		if l.Exercise != "" {
			ex, _ := readme.Section(doc, "Exercise")
			assert.Contains(t, ex, "workbook check "+l.Exercise, "%s/README.md: Exercise should give the check command", l.Name)
		}
	}
}

func TestGeneratedTablesAreCurrent(t *testing.T) {
	for _, dir := range []string{"", "lessons"} {
		path := filepath.Join(root, dir, "README.md")
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		want, ok := Splice(string(b), Markdown(dir))
		require.True(t, ok, "%s lacks the catalog markers", path)
		if *update {
			require.NoError(t, os.WriteFile(path, []byte(want), 0o644))
			continue
		}
		assert.Equal(t, want, string(b), "%s is out of date: run go test ./internal/catalog -update", path)
	}
}

func TestMarkdownLinksResolve(t *testing.T) {
	link := regexp.MustCompile(`\]\(([^)]+)\)`)
	for _, dir := range []string{"", "lessons"} {
		for _, m := range link.FindAllStringSubmatch(Markdown(dir), -1) {
			assert.DirExists(t, filepath.Join(root, dir, m[1]), "link %s in %s/README.md", m[1], dir)
		}
	}
}

func TestFindSuggestsTheClosestName(t *testing.T) {
	_, err := FindLesson("mutx")
	var u *UnknownError
	require.ErrorAs(t, err, &u)
	assert.Equal(t, "mutex", u.Closest)
	assert.Equal(t, `unknown lesson "mutx"; did you mean "mutex"?`, err.Error())

	_, err = FindExercise("gorutines")
	require.ErrorAs(t, err, &u)
	assert.Equal(t, "goroutines", u.Closest)

	_, err = FindLesson("zzzzzzzzzz")
	require.ErrorAs(t, err, &u)
	assert.Empty(t, u.Closest, "no suggestion for a name nothing resembles")
	assert.True(t, strings.HasPrefix(err.Error(), `unknown lesson "zzzzzzzzzz"`))

	l, err := FindLesson("race")
	require.NoError(t, err)
	assert.Equal(t, "race", l.Exercise)
}

// `go build ./lessons/<name>` leaves a binary called <name> in the root;
// .gitignore keeps every one of them out of commits.
func TestGitignoreCoversLessonBinaries(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, ".gitignore"))
	require.NoError(t, err)
	lines := strings.Split(string(b), "\n")
	for _, name := range LessonNames() {
		assert.Contains(t, lines, "/"+name, ".gitignore lacks /%s", name)
	}
}
