// Wrong: Deposit checks for a negative amount after it has locked, and unlocks by hand at its end: the panic skips the Unlock, and the account stays locked.
// A panic leaves a function the way an early return does, running only
// its deferred calls. The next call on the account waits forever.
// Caught by: TestNegativeAmountsPanic
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
	a.mu.Lock()
	if amount < 0 {
		panic("mutex: negative amount") // still holding a.mu
	}
	a.balance += amount
	a.mu.Unlock()
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
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.balance
}
