// Package readme reads the fixed sections of the workbook's READMEs, so
// that a lesson's tests can check its README against what the lesson does
// (its "Expected output" against what run prints), and the catalog's tests
// can check each README's "Next" and "Exercise" sections.
package readme

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"unicode"
)

// Section returns the body of the section of doc headed "## heading": the
// text after the heading line, up to the next "## " heading or the end. It
// reports false if doc has no such heading.
func Section(doc, heading string) (string, bool) {
	for rest := "\n" + doc; ; {
		_, after, ok := strings.Cut(rest, "\n## ")
		if !ok {
			return "", false
		}
		line, body, _ := strings.Cut(after, "\n")
		if strings.TrimSpace(line) == heading {
			body, _, _ = strings.Cut(body, "\n## ")
			return body, true
		}
		rest = "\n" + body
	}
}

// CodeBlock returns the content of the first fenced code block (``` ... ```)
// in s, with its final newline. It reports false if s has no closed block.
func CodeBlock(s string) (string, bool) {
	_, after, ok := strings.Cut("\n"+s, "\n```")
	if !ok {
		return "", false
	}
	_, after, ok = strings.Cut(after, "\n") // skip the info string
	if !ok {
		return "", false
	}
	if strings.HasPrefix(after, "```") {
		return "", true // an empty block
	}
	block, _, ok := strings.Cut(after, "\n```")
	if !ok {
		return "", false
	}
	return block + "\n", true
}

// ExpectedOutput reads the README at path and returns the first code block
// of its "Expected output" section.
func ExpectedOutput(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	sec, ok := Section(string(b), "Expected output")
	if !ok {
		return "", fmt.Errorf(`%s has no "## Expected output" section`, path)
	}
	block, ok := CodeBlock(sec)
	if !ok {
		return "", fmt.Errorf(`%s: the "Expected output" section has no closed code block`, path)
	}
	return block, nil
}

// Lines splits s into lines, without their newlines. A final newline does
// not make an empty last line.
func Lines(s string) []string {
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// Canonical returns a copy of lines in which each run of neighbouring
// lines that differ only in their digits ("worker 2: start", "worker 5:
// start") is sorted. Concurrent goroutines print such lines in any order;
// comparing the canonical forms of two outputs checks everything else,
// line for line and in place.
func Canonical(lines []string) []string {
	out := slices.Clone(lines)
	shape := func(s string) string {
		return strings.Map(func(r rune) rune {
			if unicode.IsDigit(r) {
				return -1
			}
			return r
		}, s)
	}
	for i := 0; i < len(out); {
		j := i + 1
		for j < len(out) && shape(out[j]) == shape(out[i]) {
			j++
		}
		slices.Sort(out[i:j])
		i = j
	}
	return out
}
