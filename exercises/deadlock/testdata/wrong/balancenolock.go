// Wrong: Balance reads the balance without the lock: Transfer writes it under the account's lock, and nothing orders the read after that write.
// A data race: the race detector reports it as soon as a balance is read
// while a transfer runs.
// Caught by: TestManyOppositeTransfers
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

// An Account is a bank balance that is safe for concurrent use. Make one
// with NewAccount; the zero value is not meant to be used. Its id sets the
// order in which Transfer and Total take the locks of several accounts, so
// the accounts used together must have different ids. An Account must not
// be copied after first use.
type Account struct {
	// The tests lock mu themselves, to hold an account still while a
	// Transfer or a Total waits for it: keep these three fields as they
	// are.
	id      int        // sets the lock order: lower id first
	mu      sync.Mutex // guards balance
	balance int
}

// NewAccount returns an account with the given id and opening balance. It
// panics if balance is negative.
func NewAccount(id int, balance int) *Account {
	if balance < 0 {
		panic("deadlock: negative balance")
	}
	return &Account{id: id, balance: balance}
}

// Balance returns the amount in the account.
func (a *Account) Balance() int {
	return a.balance // no lock: races with Transfer's writes
}

// Transfer moves amount from one account to the other as one step: both
// balances change together, and no other Transfer, Balance or Total sees
// one changed without the other. If from holds less than amount, neither
// balance changes and Transfer returns ErrInsufficientFunds; both accounts
// stay usable.
//
// Transfer never deadlocks, whatever other transfers and totals run at the
// same time, in whatever directions: it holds both accounts' locks while it
// checks and moves the money, and takes them in order of id, lower first,
// like every function in this package.
//
// A transfer from an account to itself moves nothing: it returns
// ErrInsufficientFunds if the account holds less than amount, and nil
// otherwise. It locks the account once.
//
// Transfer panics if amount is negative, or if from and to are two
// different accounts with the same id (the order of their locks would be
// undefined), in either case before it changes anything.
func Transfer(from, to *Account, amount int) error {
	if amount < 0 {
		panic("deadlock: negative amount")
	}

	// A sync.Mutex is not re-entrant: locking from and then to, when they
	// are one account, would wait forever for ourselves. So we lock it
	// once and only check.
	if from == to {
		from.mu.Lock()
		defer from.mu.Unlock()
		if from.balance < amount {
			return ErrInsufficientFunds
		}
		return nil
	}

	// Two transfers between the same accounts, in opposite directions,
	// both ask for the lower id's lock first. Whichever gets it goes on to
	// the second lock, which the other cannot be holding: it holds
	// nothing, and waits. So no two transfers can each hold a lock the
	// other wants.
	first, second := inLockOrder(from, to)
	first.mu.Lock()
	defer first.mu.Unlock()
	second.mu.Lock()
	defer second.mu.Unlock()

	// We read the balances directly: from.Balance() would lock from.mu
	// again, which we hold.
	if from.balance < amount {
		return ErrInsufficientFunds
	}
	from.balance -= amount
	to.balance += amount
	return nil
}

// Total returns the sum of the balances of accounts as they all stood at
// one moment: it holds every account's lock at once, taken in order of id,
// while it adds, so it never counts money that a transfer has taken out of
// one account and not yet put into the other. An account listed more than
// once is counted once; Total of no accounts is 0. Total panics if two
// different accounts have the same id.
func Total(accounts ...*Account) int {
	sorted := slices.Clone(accounts)
	slices.SortFunc(sorted, func(a, b *Account) int {
		return cmp.Compare(a.id, b.id)
	})
	// After sorting by id, the copies of one account are next to each
	// other (only they share an id), and Compact drops all but one: we must
	// not lock an account twice.
	sorted = slices.Compact(sorted)
	for i := 1; i < len(sorted); i++ {
		if sorted[i].id == sorted[i-1].id {
			panic(fmt.Sprintf("deadlock: two accounts with id %d", sorted[i].id))
		}
	}

	for _, a := range sorted {
		a.mu.Lock()
		defer a.mu.Unlock() // all of them, when Total returns
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
