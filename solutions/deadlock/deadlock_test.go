package deadlock

import (
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/concurrency-workbook/workbook/internal/hangcheck"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// The tests run under the race detector (go run ./cmd/workbook check
// deadlock adds -race), so a missing lock fails them even when no money
// goes missing.
//
// A deadlock on a mutex is invisible to testing/synctest (a goroutine
// blocked in Lock is not durably blocked there), so every test that a
// deadlock could hang runs inside hangcheck.Within, which fails it after
// 5 s of real time instead.
//
// A deadlock that depends on luck would be caught once in a while. The
// tests that need one interleaving make it happen on every run, with any
// GOMAXPROCS: they lock an account's mu themselves, to hold the account
// still, start a Transfer or a Total in a goroutine, and read the goroutine
// dump (runtime.Stack, the same dump that SIGQUIT prints) until it shows
// that goroutine blocked in sync.Mutex.Lock. Only then do they let go.

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestNewAccount(t *testing.T) {
	var full, empty int
	hangcheck.Within(t, "Balance of a new account", func() {
		full, empty = NewAccount(1, 100).Balance(), NewAccount(2, 0).Balance()
	})
	assert.Equal(t, 100, full, "balance of a new account opened with 100")
	assert.Equal(t, 0, empty, "balance of a new account opened with 0")
	assert.PanicsWithValue(t, "deadlock: negative balance",
		func() { NewAccount(3, -1) }, "NewAccount(3, -1)")
}

func TestTransferMovesMoney(t *testing.T) {
	a, b := NewAccount(1, 100), NewAccount(2, 50)
	steps := []struct {
		from, to *Account
		amount   int
		wantErr  error
		wantA    int
		wantB    int
	}{
		{a, b, 30, nil, 70, 80},
		{b, a, 80, nil, 150, 0}, // the whole balance
		{b, a, 0, nil, 150, 0},  // nothing, from an empty account
		{b, a, 1, ErrInsufficientFunds, 150, 0},
		{a, b, 151, ErrInsufficientFunds, 150, 0},
		{a, b, 150, nil, 0, 150}, // after two refusals, both still usable
		{b, a, 25, nil, 25, 125},
	}
	type outcome struct {
		err  error
		a, b int
	}
	got := make([]outcome, len(steps))
	hangcheck.Within(t, "transfers one after another", func() {
		for i, s := range steps {
			err := Transfer(s.from, s.to, s.amount)
			got[i] = outcome{err, a.Balance(), b.Balance()}
		}
	})
	for i, s := range steps {
		dir := "a to b"
		if s.from == b {
			dir = "b to a"
		}
		want := outcome{s.wantErr, s.wantA, s.wantB}
		assert.Equal(t, want, got[i],
			"step %d: Transfer %d from %s: want error %v, balances a=%d b=%d",
			i+1, s.amount, dir, s.wantErr, s.wantA, s.wantB)
	}
}

func TestTransferToSelf(t *testing.T) {
	a := NewAccount(1, 100)
	amounts := []int{60, 100, 101, 0}
	want := []error{nil, nil, ErrInsufficientFunds, nil}
	got := make([]error, len(amounts))
	var balance, total int
	hangcheck.Within(t, "Transfer(a, a, ...): locking a twice waits forever",
		func() {
			for i, amount := range amounts {
				got[i] = Transfer(a, a, amount)
			}
			balance, total = a.Balance(), Total(a)
		})
	for i, amount := range amounts {
		assert.Equal(t, want[i], got[i],
			"Transfer(a, a, %d) with a balance of 100", amount)
	}
	assert.Equal(t, 100, balance, "balance after transfers to itself")
	assert.Equal(t, 100, total, "Total after transfers to itself")
}

func TestNegativeAmountPanics(t *testing.T) {
	a, b := NewAccount(1, 100), NewAccount(2, 100)

	// A panic leaves a function as a return does: one that left a lock
	// held would hang the next call, so every call is bounded.
	var panicAB, panicAA any
	var err error
	var balanceA, balanceB int
	hangcheck.Within(t, "Transfer(a, b, -1), Transfer(a, a, -1), then a "+
		"Transfer between a and b (did a panic skip an Unlock?)", func() {
		panicAB = panicValue(func() { _ = Transfer(a, b, -1) })
		panicAA = panicValue(func() { _ = Transfer(a, a, -1) })
		balanceA, balanceB = a.Balance(), b.Balance()
		err = Transfer(b, a, 40)
	})
	assert.Equal(t, "deadlock: negative amount", panicAB,
		"what Transfer(a, b, -1) panicked with (nil: it did not panic)")
	assert.Equal(t, "deadlock: negative amount", panicAA,
		"what Transfer(a, a, -1) panicked with (nil: it did not panic)")
	assert.Equal(t, []int{100, 100}, []int{balanceA, balanceB},
		"balances after the panics: nothing may have moved")
	require.NoError(t, err, "Transfer(b, a, 40) after the panics")
}

func TestSameIDPanics(t *testing.T) {
	// Two accounts with one id have no lock order between them: two
	// opposite transfers between them could deadlock.
	x, y := NewAccount(7, 100), NewAccount(7, 100)
	const want = "deadlock: two accounts with id 7"
	var transferPanic, totalPanic any
	var err error
	var balanceX, balanceY int
	hangcheck.Within(t, "Transfer and Total of two accounts with id 7, then "+
		"a Transfer from one of them (did a panic skip an Unlock?)", func() {
		transferPanic = panicValue(func() { _ = Transfer(x, y, 10) })
		totalPanic = panicValue(func() { _ = Total(x, y) })
		err = Transfer(x, NewAccount(8, 0), 10)
		balanceX, balanceY = x.Balance(), y.Balance()
	})
	assert.Equal(t, want, transferPanic, "what a Transfer between two "+
		"accounts with id 7 panicked with (nil: it did not panic)")
	assert.Equal(t, want, totalPanic, "what Total of two accounts with "+
		"id 7 panicked with (nil: it did not panic)")
	require.NoError(t, err, "Transfer from x to another account after the panics")
	assert.Equal(t, []int{90, 100}, []int{balanceX, balanceY},
		"balances of x and y: only the last transfer may have moved money")
}

func TestTotal(t *testing.T) {
	a, b, c := NewAccount(1, 100), NewAccount(2, 20), NewAccount(3, 3)
	tests := []struct {
		name     string
		accounts []*Account
		want     int
	}{
		{"no accounts", nil, 0},
		{"one account", []*Account{b}, 20},
		{"in id order", []*Account{a, b, c}, 123},
		{"in another order", []*Account{c, a, b}, 123},
		{"one account listed twice", []*Account{a, b, a}, 120},
		{"one account listed three times", []*Account{c, c, c}, 3},
	}
	got := make([]int, len(tests))
	args := make([][]*Account, len(tests)) // the slice each Total was given
	hangcheck.Within(t, "Total (an account listed twice must be locked once)",
		func() {
			for i, tt := range tests {
				args[i] = slices.Clone(tt.accounts)
				got[i] = Total(args[i]...)
			}
		})
	for i, tt := range tests {
		assert.Equal(t, tt.want, got[i], "Total, %s", tt.name)
		// Total(args...) hands Total the caller's own slice: sorting it in
		// place reorders the caller's accounts, and races with any other
		// goroutine that audits the same slice.
		assert.Equal(t, ids(tt.accounts), ids(args[i]), "Total, %s: the "+
			"ids in the slice the caller passed, after the call: Total must "+
			"sort a copy, not the caller's slice", tt.name)
	}
}

// ids returns the ids of accounts, in order, with -1 for a nil account.
func ids(accounts []*Account) []int {
	out := make([]int, len(accounts))
	for i, a := range accounts {
		out[i] = -1
		if a != nil {
			out[i] = a.id
		}
	}
	return out
}

// TestOppositeTransfersDoNotDeadlock forces the interleaving in which two
// transfers that each lock the account they take money from first
// deadlock: ab holds a and waits for b, while ba holds b and waits for a.
// Transfers that lock in id order get through it.
func TestOppositeTransfersDoNotDeadlock(t *testing.T) {
	a, b := NewAccount(1, 100), NewAccount(2, 100)
	var errAB, errBA error
	var problem string // what went wrong inside hangcheck, if anything
	hangcheck.Within(t, "two opposite transfers (locking from, then to, "+
		"deadlocks here)", func() {
		// We hold both accounts, so that each transfer stops at its first
		// Lock: ab waits for a (its from, and the lower id); ba waits for
		// b if it locks its from first, or for a if it locks in id order.
		a.mu.Lock()
		b.mu.Lock()
		ab := start(func() { errAB = Transfer(a, b, 10) })
		ba := start(func() { errBA = Transfer(b, a, 30) })
		if !waitBlocked(ab, ba) {
			problem = "a transfer returned while we held both accounts"
			a.mu.Unlock()
			b.mu.Unlock()
			<-ab.done
			<-ba.done
			return
		}

		// We let a go, and wait until a transfer holds it: ab, first in
		// line for a, or ba, if ba asked for a too. That transfer goes on
		// to ask for b, which we still hold, and blocks again. If ba
		// locked its from first, it has been waiting for b all along,
		// ahead of ab.
		before := lockWaits(goroutineDump(), ab, ba)
		a.mu.Unlock()
		if problem = waitHeld(&a.mu, before, ab, ba); problem == "" &&
			!waitBlocked(ab, ba) {
			problem = "a transfer returned while we held b"
		}
		if problem != "" {
			b.mu.Unlock()
			<-ab.done
			<-ba.done
			return
		}

		// We let b go. A mutex wakes its waiters in the order they came,
		// so if ba waits for b, ba gets it: it holds b and wants a, which
		// ab holds while it waits for b. That is the deadlock. In id
		// order, the holder of a gets b and finishes, then the other.
		b.mu.Unlock()
		<-ab.done
		<-ba.done
	})
	if problem != "" {
		t.Fatalf("%s: Transfer must hold the locks of both accounts", problem)
	}
	require.NoError(t, errAB, "Transfer(a, b, 10)")
	require.NoError(t, errBA, "Transfer(b, a, 30)")
	assert.Equal(t, []int{120, 80}, []int{a.Balance(), b.Balance()},
		"balances after a moved 10 to b and b moved 30 to a")
}

// TestTransferWaitsBeforeItMovesMoney holds the account a transfer pays
// into, and checks that, while the transfer waits for it, no money has
// left the other account: money that has left one account and not reached
// the other is money that Total cannot see.
func TestTransferWaitsBeforeItMovesMoney(t *testing.T) {
	tests := []struct {
		name         string
		fromID, toID int
	}{
		{"to a higher id", 1, 2},
		{"to a lower id", 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, to := NewAccount(tt.fromID, 100), NewAccount(tt.toID, 100)
			var err error
			blocked := false
			inFlight := -1 // from's balance while the transfer waited; -1: from was locked
			hangcheck.Within(t, "a transfer to an account we hold", func() {
				to.mu.Lock()
				tr := start(func() { err = Transfer(from, to, 30) })
				// Once the transfer waits for to, if it has left from
				// unlocked, we look at from's balance.
				if blocked = waitBlocked(tr); blocked && from.mu.TryLock() {
					inFlight = from.balance
					from.mu.Unlock()
				}
				to.mu.Unlock()
				<-tr.done
			})
			require.True(t, blocked, "Transfer returned while we held the "+
				"account it pays into: it must lock it")
			if inFlight != -1 {
				assert.Equal(t, 100, inFlight, "from's balance while the "+
					"transfer waited for to's lock: the money had left from, "+
					"and was in neither account. Take both locks before "+
					"moving anything.")
			}
			require.NoError(t, err, "Transfer(from, to, 30)")
			assert.Equal(t, []int{70, 130}, []int{from.Balance(), to.Balance()},
				"balances after the transfer")
		})
	}
}

// TestTotalHoldsEveryLockAtOnce holds the account with the highest id,
// and checks that Total, waiting for it, already holds all the others:
// it takes every lock, in id order, before it reads any balance.
func TestTotalHoldsEveryLockAtOnce(t *testing.T) {
	a, b, c := NewAccount(1, 100), NewAccount(2, 20), NewAccount(3, 3)
	var total int
	blocked := false
	var unlocked []int // ids of accounts Total had not locked while it waited
	hangcheck.Within(t, "Total of accounts one of which we hold", func() {
		c.mu.Lock()
		tot := start(func() { total = Total(c, a, b) })
		if blocked = waitBlocked(tot); blocked {
			for _, x := range []*Account{a, b} {
				if x.mu.TryLock() {
					unlocked = append(unlocked, x.id)
					x.mu.Unlock()
				}
			}
		}
		c.mu.Unlock()
		<-tot.done
	})
	require.True(t, blocked, "Total returned while we held one of its "+
		"accounts: it must lock every account")
	assert.Empty(t, unlocked, "accounts Total had not locked while it waited "+
		"for account 3: it must lock all of them, lowest id first, and "+
		"hold them all while it adds")
	assert.Equal(t, 123, total, "Total(c, a, b)")
}

// TestManyOppositeTransfers runs transfers in both directions between
// three accounts from many goroutines, with transfers to self, audits and
// balance reads mixed in. Whatever the interleaving, no money appears or disappears, no
// balance goes below zero, every audit sees the whole sum, and nothing
// deadlocks.
func TestManyOppositeTransfers(t *testing.T) {
	const goroutines, rounds, auditors, opening = 8, 500, 2, 1000
	accounts := []*Account{
		NewAccount(1, opening), NewAccount(2, opening), NewAccount(3, opening),
	}
	const want = 3 * opening
	var otherErrors, badTotals, negative atomic.Int64
	hangcheck.Within(t, "many concurrent transfers in both directions",
		func() {
			var wg sync.WaitGroup
			for g := range goroutines {
				wg.Go(func() {
					for i := range rounds {
						k := (g/2 + i) % 3
						from, to := accounts[k], accounts[(k+1)%3]
						switch {
						case i%10 == 9:
							to = from
						case g%2 == 1:
							from, to = to, from
						}
						err := Transfer(from, to, 1+i%50)
						if err != nil && !errors.Is(err, ErrInsufficientFunds) {
							otherErrors.Add(1)
						}
					}
				})
			}
			for range auditors {
				wg.Go(func() {
					for range rounds {
						if Total(accounts[2], accounts[0], accounts[1]) != want {
							badTotals.Add(1)
						}
					}
				})
			}
			// Balance, read while transfers write: under the race
			// detector, a Balance that does not lock is a data race.
			wg.Go(func() {
				for i := range rounds {
					if accounts[i%3].Balance() < 0 {
						negative.Add(1)
					}
				}
			})
			wg.Wait()
		})
	assert.Zero(t, otherErrors.Load(), "errors other than ErrInsufficientFunds")
	assert.Zero(t, badTotals.Load(), "audits that did not see %d", want)
	assert.Zero(t, negative.Load(), "balances read below zero during the transfers")
	sum := 0
	for _, a := range accounts {
		assert.GreaterOrEqual(t, a.Balance(), 0, "balance of account %d", a.id)
		sum += a.Balance()
	}
	assert.Equal(t, want, sum, "sum of the balances after the transfers")
}

// panicValue calls f and returns what f panicked with, or nil if it
// returned.
func panicValue(f func()) (v any) {
	defer func() { v = recover() }()
	f()
	return nil
}

// A call is a function running in a goroutine of its own, which the tests
// can find in the goroutine dump.
type call struct {
	goid int           // the goroutine's id, as the dump shows it
	done chan struct{} // closed when the function has returned
}

// start runs fn in a new goroutine and returns at once. The caller joins
// it by receiving from done.
func start(fn func()) *call {
	c := &call{done: make(chan struct{})}
	ids := make(chan int)
	go func() {
		defer close(c.done)
		ids <- goroutineID()
		fn()
	}()
	c.goid = <-ids
	return c
}

// waitBlocked waits until every one of calls is blocked in
// sync.Mutex.Lock, and reports true; or, if one of them returns first,
// reports false.
func waitBlocked(calls ...*call) bool {
	for {
		dump := goroutineDump()
		blocked := 0
		for _, c := range calls {
			select {
			case <-c.done: // returned: it will never block
				return false
			default: // still running, or blocked
			}
			if _, ok := lockWait(dump, c.goid); ok {
				blocked++
			}
		}
		if blocked == len(calls) {
			return true
		}
		runtime.Gosched() // let them run on, even with GOMAXPROCS=1
	}
}

// waitHeld waits until one of calls holds mu, and reports "". Each of
// calls was blocked in Lock with the stack that before gives. It reports
// what went wrong instead if one of them returns, or if, while mu is
// free, one of them is blocked in another Lock: it took mu and let go of
// it before it had its second lock. When its own TryLock wins mu, it
// looks, unlocks at once, and tries again.
func waitHeld(mu *sync.Mutex, before map[*call]string, calls ...*call) string {
	for mu.TryLock() {
		dump := goroutineDump() // while we hold mu: nobody else does
		mu.Unlock()
		for _, c := range calls {
			select {
			case <-c.done: // returned: it did not wait for both locks
				return "a transfer returned while we held one of its accounts"
			default: // still running, or blocked
			}
			if stack, ok := lockWait(dump, c.goid); ok && stack != before[c] {
				return "a transfer let go of the lock of one account " +
					"before it had the other's: it locked one account at a time"
			}
		}
		runtime.Gosched()
	}
	return ""
}

// lockWaits returns the stack of each of calls that dump shows blocked in
// sync.Mutex.Lock.
func lockWaits(dump string, calls ...*call) map[*call]string {
	stacks := map[*call]string{}
	for _, c := range calls {
		if stack, ok := lockWait(dump, c.goid); ok {
			stacks[c] = stack
		}
	}
	return stacks
}

// lockWait returns the stack of goroutine goid, without its header line,
// if dump shows it blocked in sync.Mutex.Lock. Two waits on different
// mutexes have different stacks: the calls' lines or arguments differ.
func lockWait(dump string, goid int) (string, bool) {
	header := fmt.Sprintf("\ngoroutine %d [sync.Mutex.Lock", goid)
	_, rest, ok := strings.Cut(dump, header)
	if !ok {
		return "", false
	}
	_, stack, _ := strings.Cut(rest, "\n")   // drop the rest of the header
	stack, _, _ = strings.Cut(stack, "\n\n") // up to the next goroutine
	return unsure.ReplaceAllString(stack, "?"), true
}

// unsure matches the argument values that a dump marks with "?": values
// the runtime is not sure of, which can differ between two dumps of a
// goroutine waiting on the same mutex. One that was woken, lost the mutex
// to our TryLock and went back to wait shows other ones (1 in 150 runs
// on a loaded machine, 2026-12-06), so lockWait leaves them out.
var unsure = regexp.MustCompile(`0x[0-9a-f]+\?`)

// goroutineDump returns the stacks of all goroutines, each headed by a
// line such as "goroutine 42 [sync.Mutex.Lock]:", with a newline in front
// of the first one too.
func goroutineDump() string {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return "\n" + string(buf[:n])
		}
		buf = make([]byte, 2*len(buf))
	}
}

// goroutineID returns the id of the calling goroutine. Go gives programs
// no goroutine ids, on purpose; the first line of the goroutine's own
// stack trace, "goroutine 42 [running]:", has it, and the tests need it
// only to find the goroutine in goroutineDump.
func goroutineID() int {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	fields := strings.Fields(string(buf))
	id, err := strconv.Atoi(fields[1])
	if err != nil {
		panic("deadlock_test: cannot read a goroutine id from " + string(buf))
	}
	return id
}
