// Package deadlock moves money between bank accounts, from any number of
// goroutines at once, without ever deadlocking. Each account has its own
// lock, and every function that holds more than one account's lock takes
// them in one global order, by account id, lower first; no function locks
// an account whose lock it already holds.
package deadlock

import (
	"errors"
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
	// TODO: panic("deadlock: negative balance") if balance is negative;
	// otherwise return a new Account with this id and balance.
	return nil
}

// Balance returns the amount in the account.
func (a *Account) Balance() int {
	// TODO: read the balance while holding a.mu.
	return 0
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
	// TODO: panic("deadlock: negative amount") for a negative amount.
	//
	// TODO: a transfer to self: lock the account once, and only check the
	// funds. (Locking it a second time would wait forever.)
	//
	// TODO: lock both accounts, the lower id first, and hold both locks
	// while you check the funds and move the money. For two different
	// accounts with the same id, panic with
	// fmt.Sprintf("deadlock: two accounts with id %d", id).
	// Read and write the balance fields directly: Balance would lock
	// again a mutex you hold.
	return nil
}

// Total returns the sum of the balances of accounts as they all stood at
// one moment: it holds every account's lock at once, taken in order of id,
// while it adds, so it never counts money that a transfer has taken out of
// one account and not yet put into the other. An account listed more than
// once is counted once; Total of no accounts is 0. Total panics if two
// different accounts have the same id.
func Total(accounts ...*Account) int {
	// TODO: sort a copy of accounts by id (slices.SortFunc), drop the
	// repeats of an account (they are now side by side), panic as Transfer
	// does if two different accounts share an id, then lock them all in
	// that order, add up the balances, and unlock them all.
	return 0
}
