// Wrong: Withdraw holds the lock and calls Balance, which locks again: a sync.Mutex is not re-entrant, so Withdraw waits for itself.
// Python's threading.RLock lets the thread that holds it take it again; a
// Go sync.Mutex does not know who holds it, and Lock waits until it is
// free, which it never will be. Every Withdraw hangs.
// Caught by: TestZeroValueIsAnEmptyAccount, TestConcurrentWithdrawalsNeverOverdraw, TestFailedWithdrawLeavesTheAccountUsable
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
	defer a.mu.Unlock()
	if a.Balance() < amount { // Balance locks a.mu, which we hold
		return ErrInsufficientFunds
	}
	a.balance -= amount
	return nil
}

// Balance returns the amount in the account.
func (a *Account) Balance() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.balance
}
