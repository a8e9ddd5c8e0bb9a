// Package mutex is a bank account that many goroutines can use at once.
package mutex

import (
	"errors"
	"sync"
)

// ErrInsufficientFunds is returned by Withdraw when the balance is too low.
var ErrInsufficientFunds = errors.New("insufficient funds")

// An Account is a bank balance that is safe for concurrent use. The zero
// value is an empty account. An Account must not be copied after first use.
//
// Each method holds the account's lock for the whole of its read or
// update, so the lock's Unlock in one call synchronizes before the Lock of
// the next (see https://go.dev/ref/mem): every call sees the effect of
// every call that returned before it started, and no update is ever lost.
type Account struct {
	mu      sync.Mutex // guards balance
	balance int
}

// Deposit adds amount to the account. It panics if amount is negative,
// without changing the balance.
func (a *Account) Deposit(amount int) {
	mustNotBeNegative(amount)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.balance += amount
}

// Withdraw takes amount out of the account, or returns ErrInsufficientFunds
// and leaves the balance unchanged. Checking and taking happen as one step:
// no other call can change the balance in between, so two withdrawals can
// never both spend the same money and the balance never goes below zero.
// It panics if amount is negative, without changing the balance.
func (a *Account) Withdraw(amount int) error {
	mustNotBeNegative(amount)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.balance < amount {
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

// mustNotBeNegative panics if amount is negative: a negative deposit would
// be a withdrawal that skips the balance check, and a negative withdrawal a
// deposit, so either is a mistake in the caller, not a condition to handle.
func mustNotBeNegative(amount int) {
	if amount < 0 {
		panic("mutex: negative amount")
	}
}
