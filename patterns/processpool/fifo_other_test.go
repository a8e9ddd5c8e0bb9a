//go:build !unix

package processpool_test

import "testing"

// mkfifo skips the test: the tests that wait for a worker to be running
// a job synchronise on a named pipe, which needs a Unix system.
func mkfifo(t *testing.T, path string) string {
	t.Helper()
	t.Skip("needs a named pipe (Unix only) to know when a worker is running a job")
	return path
}
