// Wrong: Transfer(a, a, ...) locks a's mutex as "first" and again as "second", and waits forever for itself.
// The lock order is right, but nothing checks for a transfer to self, or
// for two accounts with one id, whose order is then undefined.
// Caught by: TestTransferToSelf, TestSameIDPanics
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
	first, second := from, to
	if to.id < from.id {
		first, second = to, from
	}
	first.mu.Lock()
	defer first.mu.Unlock()
	second.mu.Lock() // wrong: when from == to, this is the mutex we hold
	defer second.mu.Unlock()
	if from.balance < amount {
		return ErrInsufficientFunds
	}
	from.balance -= amount
	to.balance += amount
	return nil
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
