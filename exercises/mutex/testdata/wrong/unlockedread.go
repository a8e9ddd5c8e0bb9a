// Wrong: Balance reads without the lock ("it only reads"), racing with concurrent Deposits.
// Caught by: TestBalanceWhileDepositingIsRaceFree
package mutex

import (
	"errors"
	"sync"
)

// ErrInsufficientFunds is returned by Withdraw when the balance is too low.
var ErrInsufficientFunds = errors.New("insufficient funds")

// An Account is a bank balance that is safe for concurrent use.
type Account struct {
	mu      sync.Mutex // guards balance, but Balance forgets
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
	if a.balance < amount {
		return ErrInsufficientFunds
	}
	a.balance -= amount
	return nil
}

// Balance returns the amount in the account.
func (a *Account) Balance() int {
	return a.balance // no Lock: nothing orders this read after a write
}
