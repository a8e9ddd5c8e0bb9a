// Wrong: value receivers: each call locks and updates a copy of the Account, so deposits vanish.
// The copy comes with its own mutex and balance, and is dropped when the
// call returns. go vet's copylocks check reports this; go test runs only a
// few vet checks, and not that one.
// Caught by: TestZeroValueIsAnEmptyAccount, TestConcurrentDepositsAreNotLost, TestConcurrentWithdrawalsNeverOverdraw
package mutex

import (
	"errors"
	"sync"
)

// ErrInsufficientFunds is returned by Withdraw when the balance is too low.
var ErrInsufficientFunds = errors.New("insufficient funds")

// An Account is a bank balance.
type Account struct {
	mu      sync.Mutex // guards balance, in the copy each call gets
	balance int
}

// Deposit adds amount to a copy of the account.
func (a Account) Deposit(amount int) {
	if amount < 0 {
		panic("mutex: negative amount")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.balance += amount
}

// Withdraw takes amount out of a copy of the account, or returns
// ErrInsufficientFunds.
func (a Account) Withdraw(amount int) error {
	if amount < 0 {
		panic("mutex: negative amount")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.balance < amount {
		return ErrInsufficientFunds
	}
	a.balance -= amount
	return nil
}

// Balance returns the amount in a copy of the account.
func (a Account) Balance() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.balance
}
