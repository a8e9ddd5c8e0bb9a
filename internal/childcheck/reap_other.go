//go:build !unix

package childcheck

// Reap does nothing where child processes cannot be listed (see Children).
func Reap() []Proc { return nil }
