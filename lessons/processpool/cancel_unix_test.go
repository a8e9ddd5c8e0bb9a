//go:build unix

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"github.com/concurrency-workbook/workbook/internal/childcheck"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cancelled is what run returned in another goroutine.
type cancelled struct {
	err error
	out bytes.Buffer // written only by run, read after done
}

// TestCtrlCKillsRunningJobs gives the workers hours of busy work,
// cancels ctx (what Ctrl-C does) once a job is running, and checks that
// run returns ctx's error at once, with nothing doubled, and that every
// worker has been killed and reaped.
func TestCtrlCKillsRunningJobs(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "started")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	t.Setenv(startedEnv, fifo) // the workers inherit it

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var c cancelled
	var wg sync.WaitGroup
	wg.Go(func() {
		c.err = run(ctx, &c.out, []string{"-work", "1000000000000"})
	})
	// This open returns once a job has opened the FIFO: it is running.
	f, err := os.OpenFile(fifo, os.O_RDONLY, 0)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	cancel()
	wg.Wait()

	assert.ErrorIs(t, c.err, context.Canceled)
	assert.Contains(t, c.out.String(), "2 workers ready")
	assert.NotContains(t, c.out.String(), " doubled to ")
	childcheck.None(t)
}
