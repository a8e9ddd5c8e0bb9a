//go:build !unix

package exercise

import "os/exec"

// ownGroup does nothing where there are no process groups: cancelling
// kills the go command, as exec.CommandContext does.
func ownGroup(cmd *exec.Cmd) {}

// stopTests cannot ask the test binary for its stacks without SIGQUIT;
// go test's -timeout ends a hung run instead.
func stopTests(cmd *exec.Cmd) {}

func killGroup(cmd *exec.Cmd) {}

func stopGrandchildren(cmd *exec.Cmd) bool { return false }
