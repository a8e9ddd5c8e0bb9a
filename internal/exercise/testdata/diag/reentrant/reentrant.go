package reentrant

import "sync"

// An Account locks in Withdraw and again in Balance, which Withdraw calls.
type Account struct {
	mu      sync.Mutex // guards balance
	balance int
}

func (a *Account) Withdraw(n int) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.Balance() < n {
		return false
	}
	a.balance -= n
	return true
}

func (a *Account) Balance() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.balance
}
