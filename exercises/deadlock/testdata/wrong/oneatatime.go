// Wrong: Transfer takes the money out under from's lock, then puts it in under to's lock: no deadlock and no data race, but in between the money is in neither account.
// Total, which holds every lock at once, can then count 30 less than
// there is; the test holds to's lock and finds from already debited.
// Caught by: TestTransferWaitsBeforeItMovesMoney
package deadlock

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// ErrInsufficientFunds is returned by Transfer when the account to take
// the money from holds less than the amount.
var ErrInsufficientFunds = errors.New("insufficient funds")

// An Account is a bank balance that is safe for concurrent use.
type Account struct {
	id      int        // sets the lock order: lower id first
	mu      sync.Mutex // guards balance
	balance int
}

// NewAccount returns an account with the given id and opening balance.
func NewAccount(id int, balance int) *Account {
	if balance < 0 {
		panic("deadlock: negative balance")
	}
	return &Account{id: id, balance: balance}
}

// Balance returns the amount in the account.
func (a *Account) Balance() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.balance
}

// Transfer moves amount from one account to the other.
func Transfer(from, to *Account, amount int) error {
	if amount < 0 {
		panic("deadlock: negative amount")
	}
	if from != to && from.id == to.id {
		panic(fmt.Sprintf("deadlock: two accounts with id %d", from.id))
	}
	if err := from.withdraw(amount); err != nil || from == to {
		if err == nil {
			from.deposit(amount)
		}
		return err
	}
	to.deposit(amount) // wrong: until here, the money is in neither account
	return nil
}

// withdraw takes amount out of a, under a's lock only.
func (a *Account) withdraw(amount int) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.balance < amount {
		return ErrInsufficientFunds
	}
	a.balance -= amount
	return nil
}

// deposit adds amount to a, under a's lock only.
func (a *Account) deposit(amount int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.balance += amount
}

// Total returns the sum of the balances, as they stood at one moment.
func Total(accounts ...*Account) int {
	sorted := slices.Clone(accounts)
	slices.SortFunc(sorted, func(a, b *Account) int {
		return cmp.Compare(a.id, b.id)
	})
	sorted = slices.Compact(sorted)
	for i := 1; i < len(sorted); i++ {
		if sorted[i].id == sorted[i-1].id {
			panic(fmt.Sprintf("deadlock: two accounts with id %d", sorted[i].id))
		}
	}
	for _, a := range sorted {
		a.mu.Lock()
		defer a.mu.Unlock()
	}
	total := 0
	for _, a := range sorted {
		total += a.balance
	}
	return total
}
