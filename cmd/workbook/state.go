package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
)

// stateDir is where the command keeps what it remembers between runs,
// relative to the workbook's root. It is in .gitignore.
const stateDir = ".workbook"

// A progressFile is what the command remembers: the last test result of
// each exercise, keyed by a hash of the files it was tested with, and how
// many hints of each exercise the student has seen. Deleting it loses
// nothing but time: results are re-tested and hints start again.
type progressFile struct {
	Results map[string]cachedResult `json:"results"` // by exercise name
	Hints   map[string]int          `json:"hints"`   // hints shown, by exercise name
}

// A cachedResult is the outcome of testing an exercise whose files hashed
// to Hash.
type cachedResult struct {
	Hash    string `json:"hash"`
	Passed  bool   `json:"passed"`
	Race    bool   `json:"race"`    // the tests ran under the race detector
	Verdict string `json:"verdict"` // shortVerdict of the result
}

// loadProgress reads the progress file under root. A missing or unreadable
// file is an empty one: the cache is only an optimisation.
func loadProgress(root string) *progressFile {
	p := &progressFile{}
	if data, err := os.ReadFile(filepath.Join(root, stateDir, "progress.json")); err == nil {
		_ = json.Unmarshal(data, p) // a corrupt cache is an empty one
	}
	if p.Results == nil {
		p.Results = make(map[string]cachedResult)
	}
	if p.Hints == nil {
		p.Hints = make(map[string]int)
	}
	return p
}

// save writes p under root, atomically: it writes a temporary file and
// renames it, so that two workbook commands running at once (watch in one
// terminal, hint in another) never leave half a file. The last writer wins.
func (p *progressFile) save(root string) error {
	dir := filepath.Join(root, stateDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "progress-*.json")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(append(data, '\n'))
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, "progress.json"))
}

// exerciseHash hashes what an exercise's test result depends on and a
// student may change: every file under exercises/<name> (names and
// contents), the module's go.mod and go.sum, and the Go version. A result
// cached under the same hash is still true.
func exerciseHash(root, name string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	dir := fromSlash(root, "exercises/"+name)
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	files = append(files, filepath.Join(root, "go.mod"), filepath.Join(root, "go.sum"))
	slices.Sort(files[:len(files)-2]) // WalkDir's order is lexical already; keep it explicit
	for _, f := range files {
		if err := hashFile(h, root, f); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// hashFile writes f's path relative to root and its contents to h. A
// missing file (go.sum in a module without dependencies) hashes as absent.
func hashFile(h io.Writer, root, f string) error {
	rel, _ := filepath.Rel(root, f)
	data, err := os.ReadFile(f)
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(h, "%s absent\n", filepath.ToSlash(rel))
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(h, "%s %d\n", filepath.ToSlash(rel), len(data))
	h.Write(data)
	return nil
}
