// Package mutex is a bank account that many goroutines can use at once.
package mutex

import "errors"

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
	// TODO: the balance, and the sync.Mutex that guards it, in a named
	// field (never embedded) with a comment saying what it guards.
}

// Deposit adds amount to the account. It panics if amount is negative,
// without changing the balance.
func (a *Account) Deposit(amount int) {
	// TODO: panic("mutex: negative amount") if amount is negative; then,
	// holding the lock, add amount to the balance.
}

// Withdraw takes amount out of the account, or returns ErrInsufficientFunds
// and leaves the balance unchanged. Checking and taking happen as one step:
// no other call can change the balance in between, so two withdrawals can
// never both spend the same money and the balance never goes below zero.
// It panics if amount is negative, without changing the balance.
func (a *Account) Withdraw(amount int) error {
	// TODO: panic("mutex: negative amount") if amount is negative; then,
	// holding the lock for the check and the update together, take amount
	// out of the balance or return ErrInsufficientFunds.
	return nil
}

// Balance returns the amount in the account.
func (a *Account) Balance() int {
	// TODO: read the balance while holding the lock.
	return 0
}
