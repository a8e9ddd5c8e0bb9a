//go:build !unix

package integrate

import "testing"

// mkfifo skips the test: it learns that a worker is under way from a
// named pipe, which needs a Unix system.
func mkfifo(t *testing.T, path string) string {
	t.Helper()
	t.Skip("needs a named pipe (Unix only) to know when a worker is under way")
	return path
}
