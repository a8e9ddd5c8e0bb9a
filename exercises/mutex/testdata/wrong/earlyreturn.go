// Wrong: Withdraw returns ErrInsufficientFunds without unlocking, so the next call deadlocks.
// It unlocks by hand at the end, and the early return skips that line: the
// account stays locked for good, and every later call on it waits forever.
// Caught by: TestConcurrentWithdrawalsNeverOverdraw, TestFailedWithdrawLeavesTheAccountUsable
package mutex

import (
	"errors"
	"sync"
)

// ErrInsufficientFunds is returned by Withdraw when the balance is too low.
var ErrInsufficientFunds = errors.New("insufficient funds")

// An Account is a bank balance that is safe for concurrent use.
type Account struct {
	mu      sync.Mutex // guards balance
	balance int
}

// Deposit adds amount to the account.
func (a *Account) Deposit(amount int) {
	if amount < 0 {
		panic("mutex: negative amount")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.balance += amount
}

// Withdraw takes amount out of the account, or returns ErrInsufficientFunds.
func (a *Account) Withdraw(amount int) error {
	if amount < 0 {
		panic("mutex: negative amount")
	}
	a.mu.Lock()
	if a.balance < amount {
		return ErrInsufficientFunds // still holding a.mu
	}
	a.balance -= amount
	a.mu.Unlock()
	return nil
}

// Balance returns the amount in the account.
func (a *Account) Balance() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.balance
}
