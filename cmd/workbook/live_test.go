package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/concurrency-workbook/workbook/internal/exercise"
	"github.com/stretchr/testify/assert"
)

// On a terminal the line is rewritten in place and cleared at the end.
func TestLiveLineOnATerminal(t *testing.T) {
	var buf bytes.Buffer
	l := &liveLine{w: &buf, tty: true, said: map[string]bool{}}
	l.show(exercise.Progress{Building: true})
	l.show(exercise.Progress{Test: "TestA", For: 4*time.Second + 300*time.Millisecond, Passed: 3})
	l.clear()
	assert.Equal(t, "\r\x1b[Kbuilding the tests..."+
		"\r\x1b[Krunning TestA, 4s (3 passed, 0 failed)"+
		"\r\x1b[K", buf.String())
}

// Piped, it says once, in a plain line, that a test is taking a while.
func TestLiveLinePiped(t *testing.T) {
	var buf bytes.Buffer
	l := newLiveLine(&buf)
	l.show(exercise.Progress{Building: true})
	l.show(exercise.Progress{Test: "TestA", For: time.Second})
	l.show(exercise.Progress{Test: "TestA", For: 2 * time.Second})
	l.show(exercise.Progress{Test: "TestA", For: 3 * time.Second})
	l.show(exercise.Progress{Test: "TestB", For: 2500 * time.Millisecond})
	l.clear()
	assert.Equal(t, "TestA is still running after 2s...\nTestB is still running after 2s...\n", buf.String())
}
