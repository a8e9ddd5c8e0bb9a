package main

// The deadlocks this lesson detects with tryLockFor are tested here, in
// fake time (testing/synctest): the goroutines that wait poll with
// TryLock and sleep, which synctest can see, so a 100ms give-up happens at
// exactly 100ms. Code that takes a lock with plain Lock runs outside
// synctest, under hangcheck.Within, which fails a test that hangs after
// 5 s of real time: a goroutine blocked in Lock is invisible to synctest.
//
// The deadlocks that really hang (-hang) run in child processes, in
// hang_unix_test.go.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/concurrency-workbook/workbook/internal/hangcheck"
	"github.com/concurrency-workbook/workbook/internal/readme"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		runHelper() // runs the lesson's main; never returns
	}
	goleak.VerifyTestMain(m)
}

// Example runs the lesson with a zero timeout, so that each TryLock-based
// wait gives up at once, and 10 transfers each way. Every line is always
// the same.
func Example() {
	err := run(context.Background(), os.Stdout,
		[]string{"-timeout", "0", "-transfers", "10"})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// 1. Re-locking: a sync.Mutex is not re-entrant
	//   depositAll(10, 20, 30) locks once, adds with depositLocked: balance 60
	//   holding the lock, we ask for it again, as deposit inside depositAll would:
	//   not acquired after 0s: Lock would wait forever, for itself
	//
	// 2. Two locks taken in opposite orders
	//   A moves 10 from account 1 to 2, locking 1 then 2
	//   B moves 30 from account 2 to 1, locking 2 then 1
	//   A holds account 1 and waits for account 2: not acquired after 0s
	//   B holds account 2 and waits for account 1: not acquired after 0s
	//   a deadlock: each waits for a lock the other holds; both give up and unlock
	//   balances: account 1 = 100, account 2 = 100 (nothing moved)
	//
	// 3. The same transfers, each locking the lower account id first
	//   A locked account 1
	//   B wants account 1 first too: while A holds it, B holds nothing
	//   A locked account 2, moved 10, unlocks both
	//   B locked account 1, then account 2, moved 30
	//   balances: account 1 = 120, account 2 = 80
	//   10 transfers of 1 each way, at the same time: done, balances 120 and 80
	//
	// to see the deadlocks really hang: -hang relock, -hang order or -hang channel
}

// TestOutputMatchesREADME runs the lesson with its default flags in fake
// time, and checks that it prints the README's "Expected output", and that
// it waits exactly twice the 100ms timeout: once for the re-lock, once for
// the two opposite-order movers, which wait at the same time.
func TestOutputMatchesREADME(t *testing.T) {
	want, err := readme.ExpectedOutput("README.md")
	require.NoError(t, err)
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		begin := time.Now()
		require.NoError(t, run(t.Context(), &out, nil))
		assert.Equal(t, want, out.String())
		assert.Equal(t, 200*time.Millisecond, time.Since(begin),
			"two waits of -timeout 100ms")
	})
}

// TestTryLockFor checks that tryLockFor gets a free mutex at once, gives
// up on a held one after exactly d, notices an unlock at its next poll,
// and stops when ctx is done. A mutex held by the very goroutine that
// calls tryLockFor is the re-lock: it is not re-entrant, so tryLockFor
// gives up on it like on any other held mutex.
func TestTryLockFor(t *testing.T) {
	tests := []struct {
		name      string
		d         time.Duration
		holdBy    string        // "", "me" or "other": who holds mu
		unlockAt  time.Duration // when the other goroutine unlocks; 0: never
		cancelAt  time.Duration // when ctx is cancelled; 0: never
		want      bool
		wantAfter time.Duration
	}{
		{"free", time.Second, "", 0, 0, true, 0},
		{"free, zero d", 0, "", 0, 0, true, 0},
		{"held by me", 100 * time.Millisecond, "me", 0, 0,
			false, 100 * time.Millisecond},
		{"held by me, zero d", 0, "me", 0, 0, false, 0},
		{"held by another", 3 * time.Second, "other", 0, 0, false, 3 * time.Second},
		{"unlocked between polls", time.Second, "other",
			50*time.Millisecond + time.Millisecond/2, 0, true, 51 * time.Millisecond},
		{"unlocked too late", 10 * time.Millisecond, "other",
			20 * time.Millisecond, 0, false, 10 * time.Millisecond},
		{"cancelled", time.Second, "other", 0, 30 * time.Millisecond,
			false, 30 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				if tt.cancelAt > 0 {
					time.AfterFunc(tt.cancelAt, cancel)
				}
				var mu sync.Mutex
				release := make(chan struct{}) // closed to make the holder unlock
				done := make(chan struct{})    // closed once the holder has returned
				switch tt.holdBy {
				case "me":
					mu.Lock()
					close(done)
				case "other":
					held := make(chan struct{})
					go func() {
						defer close(done)
						mu.Lock()
						close(held)
						if tt.unlockAt > 0 {
							time.Sleep(tt.unlockAt)
						} else {
							<-release
						}
						mu.Unlock()
					}()
					<-held
				default:
					close(done)
				}

				begin := time.Now()
				got := tryLockFor(ctx, &mu, tt.d)
				assert.Equal(t, tt.want, got, "tryLockFor(%v)", tt.d)
				assert.Equal(t, tt.wantAfter, time.Since(begin),
					"tryLockFor(%v) returned after", tt.d)
				if got {
					assert.False(t, mu.TryLock(), "tryLockFor reported the lock "+
						"but does not hold it")
					mu.Unlock()
				}
				close(release)
				<-done
				if tt.holdBy == "me" {
					mu.Unlock() // our own lock, which tryLockFor must not have taken
				}
			})
		})
	}
}

// TestRelockIsDetected runs the lesson's re-lock part in fake time: the
// second lock is never granted, and the lesson gives up after exactly
// -timeout, leaving the mutex unlocked and the balance right.
func TestRelockIsDetected(t *testing.T) {
	timeouts := []time.Duration{0, time.Millisecond, 100 * time.Millisecond}
	for _, timeout := range timeouts {
		t.Run(timeout.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var out bytes.Buffer
				begin := time.Now()
				relock(t.Context(), log.New(&out, "", 0), timeout)
				assert.Equal(t, timeout, time.Since(begin), "gave up after")
				assert.Contains(t, out.String(), "balance 60\n")
				assert.Contains(t, out.String(), fmt.Sprintf(
					"not acquired after %v: Lock would wait forever", timeout))
			})
		})
	}
}

// TestDepositAllIsOneStep checks the xxxLocked idiom: depositAll takes
// the lock once (it does not deadlock), and no reader ever sees the
// balance with only some of its amounts added.
func TestDepositAllIsOneStep(t *testing.T) {
	const calls, amounts = 200, 5
	a := &account{id: 1}
	var partial atomic.Int64 // reads that saw a balance between two amounts
	hangcheck.Within(t, "depositAll while others read", func() {
		var wg sync.WaitGroup
		wg.Go(func() {
			for range calls {
				a.depositAll(1, 1, 1, 1, 1)
			}
		})
		for range 2 {
			wg.Go(func() {
				for range calls {
					if a.value()%amounts != 0 {
						partial.Add(1)
					}
				}
			})
		}
		wg.Wait()
	})
	assert.Zero(t, partial.Load(), "reads that saw only some of the amounts")
	assert.Equal(t, calls*amounts, a.value(), "balance after the deposits")
}

// TestOppositeOrdersAlwaysDeadlock runs the opposite-order movers in fake
// time, many times: every time, each holds its first lock and gives up on
// its second after exactly the timeout (they wait at the same time), and
// neither moves any money. Afterwards both locks are free again.
func TestOppositeOrdersAlwaysDeadlock(t *testing.T) {
	for _, timeout := range []time.Duration{0, time.Millisecond, time.Second} {
		t.Run(timeout.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				for round := range 20 {
					one := &account{id: 1, balance: 100}
					two := &account{id: 2, balance: 100}
					movers := [2]mover{{"A", one, two, 10}, {"B", two, one, 30}}
					begin := time.Now()
					got := oppositeOrders(movers, func(m mover) bool {
						return tryLockFor(t.Context(), &m.to.mu, timeout)
					})
					require.Equal(t, [2]bool{false, false}, got,
						"round %d: did a mover get its second lock?", round)
					require.Equal(t, timeout, time.Since(begin),
						"round %d: both gave up after", round)
					require.True(t, one.mu.TryLock(), "account 1 left locked")
					require.True(t, two.mu.TryLock(), "account 2 left locked")
					require.Equal(t, []int{100, 100}, []int{one.balance, two.balance},
						"round %d: balances", round)
				}
			})
		})
	}
}

// TestDetectOppositeOrdersOutput checks the lines the lesson prints for
// the opposite orders, and that they take exactly one timeout.
func TestDetectOppositeOrdersOutput(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		begin := time.Now()
		detectOppositeOrders(t.Context(), log.New(&out, "", 0), 250*time.Millisecond)
		assert.Equal(t, 250*time.Millisecond, time.Since(begin))
		assert.Contains(t, out.String(),
			"  A holds account 1 and waits for account 2: not acquired after 250ms\n"+
				"  B holds account 2 and waits for account 1: not acquired after 250ms\n")
		assert.Contains(t, out.String(), "(nothing moved)")
	})
}

// TestLockOrderReplay replays, with the locks in id order, the
// interleaving that deadlocks, many times: it always completes, with the
// same lines in the same order.
func TestLockOrderReplay(t *testing.T) {
	want := "3. The same transfers, each locking the lower account id first\n" +
		"  A locked account 1\n" +
		"  B wants account 1 first too: while A holds it, B holds nothing\n" +
		"  A locked account 2, moved 10, unlocks both\n" +
		"  B locked account 1, then account 2, moved 30\n" +
		"  balances: account 1 = 120, account 2 = 80\n" +
		"  100 transfers of 1 each way, at the same time: done, balances 120 and 80\n"
	outs := make([]string, 50)
	hangcheck.Within(t, "the lock-order replay", func() {
		for i := range outs {
			var out bytes.Buffer
			lockOrder(log.New(&out, "", 0), 100)
			outs[i] = out.String()
		}
	})
	for i, got := range outs {
		require.Equal(t, want, got, "run %d", i+1)
	}
}

// TestTransfersInLockOrderNeverDeadlock runs transfers in every direction
// between three accounts, and from an account to itself, from many
// goroutines. With the locks taken in id order, no interleaving
// deadlocks, and no money appears or disappears.
func TestTransfersInLockOrderNeverDeadlock(t *testing.T) {
	const goroutines, transfers = 8, 2000
	accounts := []*account{
		{id: 1, balance: 100}, {id: 2, balance: 100}, {id: 3, balance: 100},
	}
	hangcheck.Within(t, "transfers in every direction", func() {
		var wg sync.WaitGroup
		for range goroutines {
			wg.Go(func() {
				for range transfers {
					from := accounts[rand.IntN(len(accounts))]
					to := accounts[rand.IntN(len(accounts))]
					transfer(from, to, rand.IntN(10))
				}
			})
		}
		wg.Wait()
	})
	total := 0
	for _, a := range accounts {
		total += a.value()
	}
	assert.Equal(t, 300, total, "money in the three accounts")
}

// TestTransferToSelf checks that a transfer from an account to itself
// returns, and changes nothing.
func TestTransferToSelf(t *testing.T) {
	a := &account{id: 1, balance: 100}
	hangcheck.Within(t, "transfer(a, a, 10)", func() {
		transfer(a, a, 10)
	})
	assert.Equal(t, 100, a.value())
}

// TestInLockOrder checks that the lower id always comes first.
func TestInLockOrder(t *testing.T) {
	one, two := &account{id: 1}, &account{id: 2}
	for _, pair := range [][2]*account{{one, two}, {two, one}} {
		first, second := inLockOrder(pair[0], pair[1])
		assert.Equal(t, []int{1, 2}, []int{first.id, second.id},
			"inLockOrder(%d, %d)", pair[0].id, pair[1].id)
	}
}

// TestRunStopsWhenCancelled cancels ctx (as Ctrl-C does) while the lesson
// waits: run returns ctx.Err() at that very moment, without printing the
// rest. Before it starts, a cancelled ctx stops it after the first part.
func TestRunStopsWhenCancelled(t *testing.T) {
	tests := []struct {
		name     string
		cancelAt time.Duration
		wantLast string // the last line printed
	}{
		{"before the start", 0,
			"  holding the lock, we ask for it again, as deposit inside depositAll would:"},
		{"during the re-lock", 50 * time.Millisecond,
			"  holding the lock, we ask for it again, as deposit inside depositAll would:"},
		{"during the opposite orders", 150 * time.Millisecond,
			"  B moves 30 from account 2 to 1, locking 2 then 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				if tt.cancelAt == 0 {
					cancel()
				} else {
					time.AfterFunc(tt.cancelAt, cancel)
				}
				var out bytes.Buffer
				begin := time.Now()
				err := run(ctx, &out, nil)
				require.ErrorIs(t, err, context.Canceled)
				assert.Equal(t, tt.cancelAt, time.Since(begin), "run returned after")
				lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
				assert.Equal(t, tt.wantLast, lines[len(lines)-1], "last line")
			})
		})
	}
}

// TestBadFlags checks that run rejects bad flags with an error that names
// the flag and the bad value, before it prints or starts anything.
func TestBadFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"-timeout", "-1ms"}, "-timeout must not be negative, got -1ms"},
		{[]string{"-timeout", "100"}, `invalid value "100" for flag -timeout`},
		{[]string{"-transfers", "-1"}, "-transfers must be from 0 to 10000000, got -1"},
		{[]string{"-transfers", "10000001"},
			"-transfers must be from 0 to 10000000, got 10000001"},
		{[]string{"-transfers", "many"}, `invalid value "many" for flag -transfers`},
		{[]string{"-hang", "forever"},
			`-hang must be relock, order or channel, got "forever"`},
		{[]string{"-hang", "Relock"},
			`-hang must be relock, order or channel, got "Relock"`},
		{[]string{"-locks", "2"}, "flag provided but not defined: -locks"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out bytes.Buffer
			err := run(t.Context(), &out, tt.args)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Empty(t, out.String(), "run printed before rejecting its flags")
		})
	}
}

// TestParseFlags checks the defaults and the limits that are accepted.
func TestParseFlags(t *testing.T) {
	tests := []struct {
		args []string
		want config
	}{
		{nil, config{timeout: 100 * time.Millisecond, transfers: 1000}},
		{[]string{"-timeout", "0", "-transfers", "0"}, config{}},
		{[]string{"-transfers", "10000000"},
			config{timeout: 100 * time.Millisecond, transfers: 10_000_000}},
		{[]string{"-hang", "relock"},
			config{timeout: 100 * time.Millisecond, transfers: 1000, hang: "relock"}},
		{[]string{"-hang", "order"},
			config{timeout: 100 * time.Millisecond, transfers: 1000, hang: "order"}},
		{[]string{"-hang", "channel"},
			config{timeout: 100 * time.Millisecond, transfers: 1000, hang: "channel"}},
	}
	for _, tt := range tests {
		cfg, err := parseFlags(io.Discard, tt.args)
		require.NoError(t, err, "%v", tt.args)
		assert.Equal(t, tt.want, cfg, "%v", tt.args)
	}
}

// TestHelp checks that -h prints the flags and is not an error.
func TestHelp(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, []string{"-h"}))
	for _, name := range []string{"-timeout", "-transfers", "-hang"} {
		assert.Contains(t, out.String(), name)
	}
}
