package reentrant

import "testing"

func TestFirst(t *testing.T) {}

func TestWithdraw(t *testing.T) {
	var a Account
	if a.Withdraw(1) {
		t.Error("Withdraw(1) from an empty account succeeded")
	}
}

func TestNeverRuns(t *testing.T) {}
