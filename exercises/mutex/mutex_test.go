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
// blocked on a sync.Mutex is not durably blocked there. The two tests in
// which a lock that is never released would hang use hangcheck instead,
// which fails the test after a few seconds.

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestZeroValueIsAnEmptyAccount(t *testing.T) {
	var a Account
	assert.Equal(t, 0, a.Balance(), "balance of a new account")
	a.Deposit(30)
	a.Deposit(12)
	assert.Equal(t, 42, a.Balance(), "balance after depositing 30 and 12")
	require.NoError(t, a.Withdraw(40), "withdrawing 40 of 42")
	assert.Equal(t, 2, a.Balance(), "balance after withdrawing 40")
	require.NoError(t, a.Withdraw(2), "withdrawing the whole balance")
	require.NoError(t, a.Withdraw(0), "withdrawing nothing from nothing")
	assert.Equal(t, 0, a.Balance(), "balance after emptying the account")
}

func TestConcurrentDepositsAreNotLost(t *testing.T) {
	const goroutines, deposits = 100, 1000
	var a Account
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range deposits {
				a.Deposit(1)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, goroutines*deposits, a.Balance(),
		"%d goroutines deposited 1, %d times each", goroutines, deposits)
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
	assert.Zero(t, wrong.Load(), "reads that went down or past %d", total)
	assert.Equal(t, total, a.Balance(), "balance after all the deposits")
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
	a.Deposit(10)
	assert.PanicsWithValue(t, "mutex: negative amount", func() { a.Deposit(-1) },
		"Deposit(-1)")
	assert.PanicsWithValue(t, "mutex: negative amount", func() { _ = a.Withdraw(-1) },
		"Withdraw(-1)")
	assert.Equal(t, 10, a.Balance(), "balance after the rejected amounts")
}
