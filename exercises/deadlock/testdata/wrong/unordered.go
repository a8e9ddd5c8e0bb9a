// Wrong: Transfer locks from, then to: two opposite transfers can each hold one lock and wait forever for the other.
// Caught by: TestOppositeTransfersDoNotDeadlock
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
	if from == to {
		from.mu.Lock()
		defer from.mu.Unlock()
		if from.balance < amount {
			return ErrInsufficientFunds
		}
		return nil
	}
	if from.id == to.id {
		panic(fmt.Sprintf("deadlock: two accounts with id %d", from.id))
	}
	from.mu.Lock() // wrong: the direction of the transfer sets the order
	defer from.mu.Unlock()
	to.mu.Lock()
	defer to.mu.Unlock()
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
