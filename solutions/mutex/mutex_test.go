package mutex

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/concurrency-workbook/workbook/internal/hangcheck"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// The tests use only the package's exported API, so that they test the
// stub and the solution alike. They run under the race detector (go run
// ./cmd/workbook check mutex adds -race), so a missing lock fails them even
// when no update happens to be lost. None uses synctest: a goroutine
// blocked on a sync.Mutex is not durably blocked there. Every call that a
// lock never released (or locked twice) would hang runs inside
// hangcheck.Within instead, which fails the test after a few seconds: a
// test left hanging would hold up every test after it, until go test
// gives up on the whole run.

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestZeroValueIsAnEmptyAccount(t *testing.T) {
	var a Account

	// We record what we see and check it once hangcheck is done: a test
	// must not fail from a goroutine it started.
	var balances [4]int
	var errs [3]error
	hangcheck.Within(t, "Balance, Deposit and Withdraw, called one at a time "+
		"(no other goroutine holds the lock: does a method lock again a "+
		"mutex it already holds, say by calling Balance?)", func() {
		balances[0] = a.Balance()
		a.Deposit(30)
		a.Deposit(12)
		balances[1] = a.Balance()
		errs[0] = a.Withdraw(40)
		balances[2] = a.Balance()
		errs[1] = a.Withdraw(2)
		errs[2] = a.Withdraw(0)
		balances[3] = a.Balance()
	})
	assert.Equal(t, 0, balances[0], "balance of a new account")
	assert.Equal(t, 42, balances[1], "balance after depositing 30 and 12")
	require.NoError(t, errs[0], "withdrawing 40 of 42")
	assert.Equal(t, 2, balances[2], "balance after withdrawing 40")
	require.NoError(t, errs[1], "withdrawing the whole balance")
	require.NoError(t, errs[2], "withdrawing nothing from nothing")
	assert.Equal(t, 0, balances[3], "balance after emptying the account")
}

func TestConcurrentDepositsAreNotLost(t *testing.T) {
	const goroutines, deposits = 100, 1000
	var a Account
	var balance int
	hangcheck.Within(t, "concurrent deposits", func() {
		var wg sync.WaitGroup
		for range goroutines {
			wg.Go(func() {
				for range deposits {
					a.Deposit(1)
				}
			})
		}
		wg.Wait()
		balance = a.Balance()
	})
	assert.Equal(t, goroutines*deposits, balance,
		"balance after %d goroutines deposited 1, %d times each, into an "+
			"empty account: every deposit that is missing was lost",
		goroutines, deposits)
}

func TestConcurrentWithdrawalsNeverOverdraw(t *testing.T) {
	const balance, goroutines, rounds = 50, 100, 20

	// In each round, goroutines withdraw 1 each from an account holding
	// balance, so exactly balance of them can succeed, whatever order they
	// run in. They wait at a start line, so that as many as possible
	// withdraw at the same moment. No test can force the interleaving that
	// breaks a Withdraw which checks and takes under separate locks, so we
	// give it many chances: one round under -race shows it about one time
	// in three.
	type outcome struct{ succeeded, refused, other, balance int }
	outcomes := make([]outcome, rounds)
	hangcheck.Within(t, "concurrent withdrawals", func() {
		for i := range rounds {
			var a Account
			a.Deposit(balance)
			var succeeded, refused, other atomic.Int64
			start := make(chan struct{})
			var wg sync.WaitGroup
			for range goroutines {
				wg.Go(func() {
					<-start
					switch err := a.Withdraw(1); {
					case err == nil:
						succeeded.Add(1)
					case errors.Is(err, ErrInsufficientFunds):
						refused.Add(1)
					default:
						other.Add(1)
					}
				})
			}
			close(start)
			wg.Wait()
			outcomes[i] = outcome{
				succeeded: int(succeeded.Load()),
				refused:   int(refused.Load()),
				other:     int(other.Load()),
				balance:   a.Balance(),
			}
		}
	})
	want := outcome{succeeded: balance, refused: goroutines - balance}
	for i, got := range outcomes {
		require.Equal(t, want, got, "round %d: %d withdrawals of 1 from %d: "+
			"want %d to succeed, %d to return ErrInsufficientFunds, "+
			"none another error, and a balance of 0",
			i+1, goroutines, balance, want.succeeded, want.refused)
	}
}

func TestBalanceWhileDepositingIsRaceFree(t *testing.T) {
	const depositors, deposits, readers, reads = 4, 1000, 4, 1000
	const total = depositors * deposits
	var a Account

	// Deposits only add, so each reader must see a balance that never
	// goes down and never passes the total.
	var wrong atomic.Int64 // reads that broke that rule
	var balance int
	hangcheck.Within(t, "Balance while others deposit", func() {
		var wg sync.WaitGroup
		for range depositors {
			wg.Go(func() {
				for range deposits {
					a.Deposit(1)
				}
			})
		}
		for range readers {
			wg.Go(func() {
				last := 0
				for range reads {
					b := a.Balance()
					if b < last || b > total {
						wrong.Add(1)
					}
					last = b
				}
			})
		}
		wg.Wait()
		balance = a.Balance()
	})
	assert.Zero(t, wrong.Load(), "reads of the balance that went down, or "+
		"past the %d deposited in all, while others only deposited", total)
	assert.Equal(t, total, balance, "balance after all the deposits")
}

func TestFailedWithdrawLeavesTheAccountUsable(t *testing.T) {
	var a Account
	a.Deposit(10)

	// We record what we see and check it once hangcheck is done: a test
	// must not fail from a goroutine it started.
	var refusal, lastWithdraw error
	var afterRefusal, afterDeposit int
	hangcheck.Within(t, "Balance and Deposit after a refused Withdraw", func() {
		refusal = a.Withdraw(11)
		afterRefusal = a.Balance()
		a.Deposit(5)
		afterDeposit = a.Balance()
		lastWithdraw = a.Withdraw(15)
	})
	require.ErrorIs(t, refusal, ErrInsufficientFunds, "withdrawing 11 of 10")
	assert.Equal(t, 10, afterRefusal, "balance after the refused withdrawal")
	assert.Equal(t, 15, afterDeposit, "balance after depositing 5 more")
	assert.NoError(t, lastWithdraw, "withdrawing the whole 15")
	assert.Equal(t, 0, a.Balance(), "balance after withdrawing everything")
}

func TestNegativeAmountsPanic(t *testing.T) {
	var a Account
	var depositPanic, withdrawPanic any
	var balance int
	hangcheck.Within(t, "Deposit(-1), Withdraw(-1), then Balance (a panic "+
		"leaves the function as a return does: did it skip an Unlock?)", func() {
		a.Deposit(10)
		depositPanic = panicValue(func() { a.Deposit(-1) })
		withdrawPanic = panicValue(func() { _ = a.Withdraw(-1) })
		balance = a.Balance()
	})
	assert.Equal(t, "mutex: negative amount", depositPanic,
		"what Deposit(-1) panicked with (nil: it did not panic)")
	assert.Equal(t, "mutex: negative amount", withdrawPanic,
		"what Withdraw(-1) panicked with (nil: it did not panic)")
	assert.Equal(t, 10, balance, "balance after depositing 10 and the "+
		"rejected amounts: a negative amount must change nothing")
}

// panicValue calls f and returns what f panicked with, or nil if it
// returned.
func panicValue(f func()) (v any) {
	defer func() { v = recover() }()
	f()
	return nil
}
