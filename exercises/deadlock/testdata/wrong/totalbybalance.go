// Wrong: Total adds up Balance() of each account: every read is locked, but never two at once, so it can count money in flight, or count it twice.
// Caught by: TestTotalHoldsEveryLockAtOnce
package deadlock

import (
	"errors"
	"fmt"
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
	first, second := inLockOrder(from, to)
	first.mu.Lock()
	defer first.mu.Unlock()
	second.mu.Lock()
	defer second.mu.Unlock()
	if from.balance < amount {
		return ErrInsufficientFunds
	}
	from.balance -= amount
	to.balance += amount
	return nil
}

// Total returns the sum of the balances.
func Total(accounts ...*Account) int {
	seen := map[*Account]bool{}
	total := 0
	for _, a := range accounts {
		if !seen[a] {
			seen[a] = true
			total += a.Balance() // wrong: a's lock only, and only for this read
		}
	}
	for i, a := range accounts {
		for _, b := range accounts[:i] {
			if a != b && a.id == b.id {
				panic(fmt.Sprintf("deadlock: two accounts with id %d", a.id))
			}
		}
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
