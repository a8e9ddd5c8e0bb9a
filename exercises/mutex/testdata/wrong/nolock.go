// Wrong: no mutex at all: concurrent Deposits race on the balance and lose increments.
// The race detector reports the race even in a run that loses nothing.
// Caught by: TestConcurrentDepositsAreNotLost, TestConcurrentWithdrawalsNeverOverdraw, TestBalanceWhileDepositingIsRaceFree
package mutex

import "errors"

// ErrInsufficientFunds is returned by Withdraw when the balance is too low.
var ErrInsufficientFunds = errors.New("insufficient funds")

// An Account is a bank balance. Nothing guards it.
type Account struct {
	balance int
}

// Deposit adds amount to the account.
func (a *Account) Deposit(amount int) {
	if amount < 0 {
		panic("mutex: negative amount")
	}
	a.balance += amount // read, add, write: another goroutine can interleave
}

// Withdraw takes amount out of the account, or returns ErrInsufficientFunds.
func (a *Account) Withdraw(amount int) error {
	if amount < 0 {
		panic("mutex: negative amount")
	}
	if a.balance < amount {
		return ErrInsufficientFunds
	}
	a.balance -= amount
	return nil
}

// Balance returns the amount in the account.
func (a *Account) Balance() int {
	return a.balance
}
