// Package docs_test checks the workbook's Markdown: every relative link in
// the repository leads to a file or directory that exists (and, for a
// #fragment into a Markdown file, to a heading that exists), the
// Python-to-Go table links only lessons the catalog lists and links every
// one of them, and every Go code block in docs/*.md is either marked as
// pseudo-code or is a verified copy of a real file.
//
// The code-block convention, also stated in docs/README.md:
//
//   - A ```go block whose first line is exactly "// pseudo-code" is
//     illustration: it is not compiled, and the page says where the real
//     code is.
//   - A ```go block whose first line is "// file: <path>" (a path from the
//     module root) quotes that file: the rest of the block must appear in
//     it verbatim, as whole consecutive lines. Put such files in a package
//     whose tests run them (docs/examples/<name>/, with an Example and its
//     // Output:), so that the quoted code is compiled and tested.
package docs_test

import (
	"bufio"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/concurrency-workbook/workbook/internal/catalog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The markers that open a Go code block in docs/*.md.
const (
	pseudoMarker = "// pseudo-code"
	fileMarker   = "// file: "
)

// TestRelativeLinksResolve checks every relative link in every Markdown
// file of the repository, one subtest per file.
func TestRelativeLinksResolve(t *testing.T) {
	root := moduleRoot(t)
	files := markdownFiles(t, root)
	require.NotEmpty(t, files)
	headings := map[string][]string{} // anchors of each Markdown file, by path
	anchors := func(path string) ([]string, error) {
		if a, ok := headings[path]; ok {
			return a, nil
		}
		doc, err := parseFile(path)
		if err != nil {
			return nil, err
		}
		headings[path] = doc.anchors
		return doc.anchors, nil
	}
	for _, path := range files {
		rel, err := filepath.Rel(root, path)
		require.NoError(t, err)
		t.Run(filepath.ToSlash(rel), func(t *testing.T) {
			doc, err := parseFile(path)
			require.NoError(t, err)
			for _, l := range doc.links {
				if problem := checkLink(root, path, l.target, anchors); problem != "" {
					t.Errorf("line %d: link %q: %s", l.line, l.target, problem)
				}
			}
		})
	}
}

// TestPythonToGoLinksEveryLesson checks that docs/python-to-go.md links to
// lessons by catalog names only, and to every lesson of the catalog.
func TestPythonToGoLinksEveryLesson(t *testing.T) {
	doc, err := parseFile("python-to-go.md")
	require.NoError(t, err)
	lessonLink := regexp.MustCompile(`^\.\./lessons/([^/#]+)/?(#.*)?$`)
	linked := map[string]bool{}
	for _, l := range doc.links {
		if m := lessonLink.FindStringSubmatch(l.target); m != nil {
			_, ok := catalog.Lookup(m[1])
			assert.True(t, ok, "line %d: %q links lesson %q, which the catalog does not list",
				l.line, l.target, m[1])
			linked[m[1]] = true
		}
	}
	for _, name := range catalog.LessonNames() {
		assert.True(t, linked[name], "python-to-go.md does not link lesson %q (../lessons/%s/)", name, name)
	}
}

// TestGoCodeBlocksArePseudoOrQuoted checks the code-block convention in
// every page of docs/, one subtest per page.
func TestGoCodeBlocksArePseudoOrQuoted(t *testing.T) {
	root := moduleRoot(t)
	pages, err := filepath.Glob("*.md")
	require.NoError(t, err)
	require.NotEmpty(t, pages)
	for _, page := range pages {
		t.Run(page, func(t *testing.T) {
			doc, err := parseFile(page)
			require.NoError(t, err)
			for _, b := range doc.blocks {
				if b.lang != "go" {
					continue
				}
				if problem := checkGoBlock(root, b); problem != "" {
					t.Errorf("line %d: go code block: %s", b.line, problem)
				}
			}
		})
	}
}

// TestCheckersRejectWhatTheyMust feeds the checkers known-bad input, so
// that a checker that accepts everything fails here.
func TestCheckersRejectWhatTheyMust(t *testing.T) {
	root := moduleRoot(t)
	page := filepath.Join(root, "docs", "README.md")
	anchors := func(path string) ([]string, error) {
		doc, err := parseFile(path)
		if err != nil {
			return nil, err
		}
		return doc.anchors, nil
	}
	for _, bad := range []string{
		"../lessons/no-such-lesson/",
		"python-to-go.md#no-such-heading",
		"#no-such-heading",
		"no-such-file.md",
	} {
		assert.NotEmpty(t, checkLink(root, page, bad, anchors), "link %q was accepted", bad)
	}
	for _, good := range []string{
		"../lessons/mutex/",
		"contributing.md#the-catalog",
		"https://go.dev/ref/mem",
		"mailto:someone@example.com",
	} {
		assert.Empty(t, checkLink(root, page, good, anchors), "link %q was rejected", good)
	}

	for _, tc := range []struct {
		body string
		ok   bool
	}{
		{pseudoMarker + "\nmu.Lock()\n", true},
		{"mu.Lock()\n", false},
		{"// pseudocode\nmu.Lock()\n", false},
		{fileMarker + "docs/docs_test.go\nfunc TestMain(m *testing.M) { goleak.VerifyTestMain(m) }\n", true},
		{fileMarker + "docs/docs_test.go\nfunc TestMain(m *testing.M) { goleak.VerifyNone(m) }\n", false},
		{fileMarker + "docs/no-such-file.go\npackage docs\n", false},
		{fileMarker + "docs/docs_test.go\n", false},
	} {
		got := checkGoBlock(root, block{lang: "go", body: tc.body})
		assert.Equal(t, tc.ok, got == "", "block %q: problem %q", tc.body, got)
	}
}

func TestAnchor(t *testing.T) {
	for _, tc := range []struct{ heading, want string }{
		{"The Python notes this workbook answers", "the-python-notes-this-workbook-answers"},
		{"`go run ./cmd/workbook`: where am I?", "go-run-cmdworkbook-where-am-i"},
		{"threading.Thread", "threadingthread"},
		{"Data races vs race conditions", "data-races-vs-race-conditions"},
		{"`queue` and `sched`", "queue-and-sched"},
		{"[concurrently](x/) and more", "concurrently-and-more"},
		{"snake_case - kept", "snake_case---kept"},
		{"Größe", "größe"},
	} {
		assert.Equal(t, tc.want, anchor(tc.heading), "heading %q", tc.heading)
	}
}

// checkLink returns what is wrong with the link target written in the
// Markdown file from, or "" if nothing is.
func checkLink(root, from, target string, anchors func(string) ([]string, error)) string {
	if isExternal(target) {
		return ""
	}
	path, fragment, _ := strings.Cut(target, "#")
	path, _, _ = strings.Cut(path, "?")
	path, err := url.PathUnescape(path)
	if err != nil {
		return fmt.Sprintf("bad escape: %v", err)
	}
	var dest string
	switch {
	case path == "":
		dest = from
	case strings.HasPrefix(path, "/"): // GitHub resolves these from the repository root
		dest = filepath.Join(root, filepath.FromSlash(path))
	default:
		dest = filepath.Join(filepath.Dir(from), filepath.FromSlash(path))
	}
	info, err := os.Stat(dest)
	if err != nil {
		return fmt.Sprintf("%s does not exist", relTo(root, dest))
	}
	if fragment == "" {
		return ""
	}
	if info.IsDir() { // GitHub shows the directory's README
		dest = filepath.Join(dest, "README.md")
	}
	if !strings.EqualFold(filepath.Ext(dest), ".md") {
		return "" // a fragment into code (#L10) or another format: not checked
	}
	list, err := anchors(dest)
	if err != nil {
		return err.Error()
	}
	if !slices.Contains(list, strings.ToLower(fragment)) {
		return fmt.Sprintf("%s has no heading with anchor #%s", relTo(root, dest), fragment)
	}
	return ""
}

// checkGoBlock returns what is wrong with a ```go block, or "".
func checkGoBlock(root string, b block) string {
	first, rest, _ := strings.Cut(b.body, "\n")
	first = strings.TrimRight(first, " \t")
	switch {
	case first == pseudoMarker:
		return ""
	case strings.HasPrefix(first, fileMarker):
		name := strings.TrimSpace(strings.TrimPrefix(first, fileMarker))
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
		if err != nil {
			return fmt.Sprintf("quotes %s, which cannot be read: %v", name, err)
		}
		quote := strings.TrimRight(rest, "\n")
		if quote == "" {
			return fmt.Sprintf("quotes %s but holds no code", name)
		}
		if !containsLines(string(data), quote) {
			return fmt.Sprintf("is not a verbatim excerpt of %s (whole consecutive lines)", name)
		}
		return ""
	default:
		return fmt.Sprintf("first line %q: start with %q (illustration) or %q<path> (a quoted, tested file)",
			first, pseudoMarker, fileMarker)
	}
}

// containsLines reports whether quote's lines appear in text as whole
// consecutive lines.
func containsLines(text, quote string) bool {
	return strings.Contains("\n"+text+"\n", "\n"+quote+"\n")
}

func isExternal(target string) bool {
	return regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`).MatchString(target)
}

func relTo(root, path string) string {
	if rel, err := filepath.Rel(root, path); err == nil {
		return filepath.ToSlash(rel)
	}
	return path
}

// moduleRoot walks up from the test's directory to the go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, dir, parent, "no go.mod above the test's directory")
		dir = parent
	}
}

// markdownFiles lists the repository's Markdown files, leaving out Git's
// directory, the workbook command's cache, testdata (fixtures, not pages)
// and the workbook command's pristine copies of the exercise stubs.
func markdownFiles(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			rel := filepath.ToSlash(relTo(root, path))
			switch {
			case d.Name() == ".git", d.Name() == "testdata", rel == ".workbook", rel == "internal/stubs/_pristine":
				return filepath.SkipDir
			}
			return nil
		}
		if strings.EqualFold(filepath.Ext(path), ".md") {
			files = append(files, path)
		}
		return nil
	})
	require.NoError(t, err)
	return files
}

// A link is a link target and the line it is on.
type link struct {
	line   int
	target string
}

// A block is a fenced code block: its info string's first word and its
// lines.
type block struct {
	line int
	lang string
	body string
}

// A document is what the checks need from a Markdown file.
type document struct {
	links   []link
	anchors []string // GitHub's anchors of its headings, in order
	blocks  []block
}

var (
	fenceLine   = regexp.MustCompile("^ {0,3}(`{3,}|~{3,})\\s*([^`\\s]*)")
	atxHeading  = regexp.MustCompile(`^ {0,3}#{1,6}(?:\s+(.*?))?\s*$`)
	setextUnder = regexp.MustCompile(`^ {0,3}(=+|-+)\s*$`)
	// An inline link or image: [text](target) or [text](<target> "title").
	inlineLink = regexp.MustCompile(`\]\(\s*(<[^>]*>|[^)\s]*)(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)`)
	// A reference definition: [label]: target "title".
	refDef = regexp.MustCompile(`^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)`)
)

// parseFile reads a Markdown file: the links outside code, the headings'
// anchors and the fenced code blocks.
func parseFile(path string) (document, error) {
	f, err := os.Open(path)
	if err != nil {
		return document{}, err
	}
	defer f.Close()
	var (
		doc      document
		seen     = map[string]int{} // anchors so far, for GitHub's -1, -2 suffixes
		fence    string             // the open fence's marker, or ""
		cur      block
		body     strings.Builder
		prevText string // the previous line, if it could be a setext heading's text
	)
	addHeading := func(text string) {
		a := anchor(text)
		if n := seen[a]; n > 0 {
			seen[a]++
			a = fmt.Sprintf("%s-%d", a, n)
		} else {
			seen[a] = 1
		}
		doc.anchors = append(doc.anchors, a)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if fence != "" {
			if m := fenceLine.FindStringSubmatch(line); m != nil && m[1][0] == fence[0] &&
				len(m[1]) >= len(fence) && strings.TrimSpace(line) == m[1] {
				cur.body = body.String()
				doc.blocks = append(doc.blocks, cur)
				fence = ""
				continue
			}
			body.WriteString(line)
			body.WriteByte('\n')
			continue
		}
		if m := fenceLine.FindStringSubmatch(line); m != nil {
			fence = m[1]
			cur = block{line: n, lang: strings.ToLower(m[2])}
			body.Reset()
			prevText = ""
			continue
		}
		if m := atxHeading.FindStringSubmatch(line); m != nil {
			addHeading(strings.TrimRight(m[1], "# "))
			prevText = ""
		} else if setextUnder.MatchString(line) && prevText != "" {
			addHeading(prevText)
			prevText = ""
		} else if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "|") &&
			!strings.HasPrefix(t, "- ") && !strings.HasPrefix(t, "* ") && !strings.HasPrefix(t, ">") {
			prevText = t
		} else {
			prevText = ""
		}
		text := stripCodeSpans(line)
		for _, m := range inlineLink.FindAllStringSubmatch(text, -1) {
			doc.links = append(doc.links, link{n, strings.Trim(m[1], "<>")})
		}
		if m := refDef.FindStringSubmatch(text); m != nil {
			doc.links = append(doc.links, link{n, strings.Trim(m[1], "<>")})
		}
	}
	if err := sc.Err(); err != nil {
		return document{}, err
	}
	if fence != "" {
		return document{}, fmt.Errorf("%s: the code block opened on line %d is never closed", path, cur.line)
	}
	return doc, nil
}

// stripCodeSpans blanks out inline code spans (a run of backticks, the
// code, and a run of as many backticks), where brackets and parentheses
// are code, not links.
func stripCodeSpans(line string) string {
	b := []byte(line)
	for i := 0; i < len(b); {
		if b[i] != '`' {
			i++
			continue
		}
		n := 0
		for i+n < len(b) && b[i+n] == '`' {
			n++
		}
		run := strings.Repeat("`", n)
		// The span ends at the next run of exactly n backticks.
		end := -1
		for j := i + n; j < len(b); {
			k := strings.Index(string(b[j:]), run)
			if k < 0 {
				break
			}
			k += j
			if k+n < len(b) && b[k+n] == '`' {
				j = k + n
				for j < len(b) && b[j] == '`' {
					j++
				}
				continue
			}
			end = k
			break
		}
		if end < 0 {
			i += n // an unmatched run is literal backticks
			continue
		}
		for j := i; j < end+n; j++ {
			b[j] = ' '
		}
		i = end + n
	}
	return string(b)
}

var (
	markdownLink = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
	htmlTag      = regexp.MustCompile(`<[^>]+>`)
)

// anchor is the fragment GitHub gives a heading: its text as rendered
// (links become their text, tags go), lowercased, with every character
// that is not a letter, a digit, a space, '-' or '_' dropped, and each
// space turned into '-'.
func anchor(heading string) string {
	text := markdownLink.ReplaceAllString(heading, "$1")
	text = htmlTag.ReplaceAllString(text, "")
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(text)) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-', r == '_', unicode.IsLetter(r), unicode.IsNumber(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}
