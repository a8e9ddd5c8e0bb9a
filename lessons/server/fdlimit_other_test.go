//go:build !unix

package main

// fdLimit cannot tell here: the benchmark tries, and fails if it runs out.
func fdLimit() (uint64, bool) { return 0, false }
