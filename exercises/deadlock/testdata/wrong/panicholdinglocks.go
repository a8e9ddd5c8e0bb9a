// Wrong: Transfer checks for a negative amount only once it holds the locks, and unlocks by hand: the panic skips the Unlocks, and the accounts stay locked.
// A panic leaves a function the way a return does, running only its
// deferred calls; an Unlock written out at the end never runs, and the
// next call that needs either account waits forever.
// Caught by: TestNegativeAmountPanics
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
	if from == to {
		from.mu.Lock()
		if amount < 0 {
			panic("deadlock: negative amount") // still holding from.mu
		}
		enough := from.balance >= amount
		from.mu.Unlock()
		if !enough {
			return ErrInsufficientFunds
		}
		return nil
	}
	first, second := inLockOrder(from, to)
	first.mu.Lock()
	second.mu.Lock()
	if amount < 0 {
		panic("deadlock: negative amount") // still holding both locks
	}
	if from.balance < amount {
		second.mu.Unlock()
		first.mu.Unlock()
		return ErrInsufficientFunds
	}
	from.balance -= amount
	to.balance += amount
	second.mu.Unlock()
	first.mu.Unlock()
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

// inLockOrder returns a and b in the order their locks must be taken:
// lower id first. It panics if they have the same id.
func inLockOrder(a, b *Account) (first, second *Account) {
	switch {
	case a.id < b.id:
		return a, b
	case b.id < a.id:
		return b, a
	}
	panic(fmt.Sprintf("deadlock: two accounts with id %d", a.id))
}
