// The deadlock command shows the two ways goroutines deadlock on mutexes,
// and how to find them. A goroutine that locks a sync.Mutex it already
// holds waits for itself, forever: Go has no re-entrant lock. Two
// goroutines that take two locks in opposite orders wait for each other,
// forever. We force both, deterministically, and detect them with a
// TryLock that gives up after -timeout; then we fix the second by taking
// the locks in one global order, lower account id first.
//
// With -hang, the program deadlocks for real, with plain Lock (or, for
// -hang channel, a channel send) and hangs until it is killed: Ctrl-\
// (SIGQUIT) prints every goroutine's stack and shows where each is stuck.
//
// Usage:
//
//	go run ./lessons/deadlock [-timeout d] [-transfers n]
//	go run ./lessons/deadlock -hang relock|order|channel
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"sync"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "deadlock:", err)
		os.Exit(1)
	}
}

// run shows a re-locked mutex and two transfers that lock in opposite
// orders, each detected with a TryLock that gives up after -timeout, then
// the same transfers in lock order. With -hang it runs one deadlock for
// real instead, and never returns. It returns ctx.Err() if ctx is done
// between two parts. Every goroutine it starts has returned when it
// returns.
func run(ctx context.Context, w io.Writer, args []string) error {
	cfg, err := parseFlags(w, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the usage is printed; there is nothing else to do
	}
	if err != nil {
		return err
	}

	logger := log.New(w, "", 0)

	// With -hang we run one deadlock for real, and hang. Note that ctx
	// cannot help: Ctrl-C cancels it, and the deadlocked goroutines,
	// blocked in Lock or on a channel, never look at it.
	if cfg.hang != "" {
		hang(logger, cfg.hang) // never returns
	}

	// Otherwise we force each deadlock, detect it with a TryLock that
	// gives up after -timeout, and end with the lock order that cannot
	// deadlock.
	relock(ctx, logger, cfg.timeout)
	if err := ctx.Err(); err != nil {
		return err
	}
	logger.Println()
	detectOppositeOrders(ctx, logger, cfg.timeout)
	if err := ctx.Err(); err != nil {
		return err
	}
	logger.Println()
	lockOrder(logger, cfg.transfers)
	logger.Println()
	logger.Println("to see the deadlocks really hang: -hang relock," +
		" -hang order or -hang channel")
	return nil
}

// An account is a balance guarded by its own mutex. Its id sets the lock
// order: code that holds the locks of two accounts takes the one with the
// lower id first. The lesson's accounts may go below zero; the exercise
// adds the check.
type account struct {
	id      int
	mu      sync.Mutex // guards balance
	balance int
}

// deposit adds amount to the balance. It locks a.mu, so the caller must
// not hold it.
func (a *account) deposit(amount int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.depositLocked(amount)
}

// depositLocked adds amount to the balance. a.mu must be held.
func (a *account) depositLocked(amount int) {
	a.balance += amount
}

// depositAll adds all the amounts as one step: no other goroutine sees
// the balance with only some of them added. It locks a.mu once, and adds
// each amount with depositLocked, not deposit.
func (a *account) depositAll(amounts ...int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, x := range amounts {
		a.depositLocked(x)
	}
}

// depositAllRelocking is depositAll as Python's RLock would let us write
// it: it calls deposit, which locks a.mu again. A sync.Mutex is not
// re-entrant, so the first deposit waits for the lock that its own
// goroutine holds, forever. Only -hang relock calls it.
func (a *account) depositAllRelocking(amounts ...int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, x := range amounts {
		a.deposit(x) // deadlock: a.mu is held, by this very goroutine
	}
}

// value returns the balance.
func (a *account) value() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.balance
}

// relock shows the idiom that replaces re-entrant locks, then what
// locking again would do, detected with tryLockFor.
func relock(ctx context.Context, logger *log.Logger, timeout time.Duration) {
	logger.Println("1. Re-locking: a sync.Mutex is not re-entrant")

	// We deposit three amounts as one step, with the idiom that replaces
	// a re-entrant lock: the method locks, and the xxxLocked helper it
	// calls assumes the lock is held. Nothing locks twice.
	a := &account{id: 1}
	a.depositAll(10, 20, 30)
	logger.Printf("  depositAll(10, 20, 30) locks once, adds with"+
		" depositLocked: balance %d", a.value())

	// Had depositAll called deposit, deposit's Lock would wait for the lock
	// its own goroutine holds. We ask as that Lock would, but with
	// tryLockFor, which gives up. Note that a sync.Mutex has no owner: it
	// cannot tell "held by me" from "held by someone else".
	a.mu.Lock()
	logger.Println("  holding the lock, we ask for it again," +
		" as deposit inside depositAll would:")
	if tryLockFor(ctx, &a.mu, timeout) {
		a.mu.Unlock() // cannot happen: we hold a.mu
	}
	a.mu.Unlock()
	if ctx.Err() != nil {
		return // Ctrl-C: run returns ctx.Err()
	}
	logger.Printf("  not acquired after %v: Lock would wait forever,"+
		" for itself", timeout)
}

// tryLockFor locks mu if it can within d, asking with TryLock every
// millisecond, and reports whether it did. It gives up when d has passed
// or ctx is done. It detects a lock that stays held; it prevents nothing:
// the goroutine that holds mu is still stuck, and so is anyone who calls
// mu.Lock.
func tryLockFor(ctx context.Context, mu *sync.Mutex, d time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !mu.TryLock() {
		select {
		case <-ctx.Done(): // d has passed, or Ctrl-C
			return false
		case <-tick.C: // ask again
		}
	}
	return true
}

// A mover is one of the two goroutines of the opposite-order demos: it
// moves amount from one account to another, locking from first.
type mover struct {
	name     string
	from, to *account
	amount   int
}

// oppositeOrders makes the movers lock their accounts in opposite orders,
// in the one interleaving that deadlocks: each locks its from account, and
// neither asks for its to account until both hold their first lock. Each
// then asks for its second lock with second, which reports whether it got
// it; if it did, the mover moves its amount. Neither unlocks until both
// have had their answer. It returns once both movers have, with each
// one's answer. With a second that waits forever, it never returns.
func oppositeOrders(movers [2]mover, second func(mover) bool) (got [2]bool) {
	holds := [2]chan struct{}{make(chan struct{}), make(chan struct{})}
	asked := [2]chan struct{}{make(chan struct{}), make(chan struct{})}
	var wg sync.WaitGroup
	for i, m := range movers {
		other := 1 - i
		wg.Go(func() {
			// We lock from and say so, then wait until the other mover
			// holds its own first lock: the lock we want next.
			m.from.mu.Lock()
			defer m.from.mu.Unlock()
			close(holds[i])
			<-holds[other]

			if got[i] = second(m); got[i] {
				m.from.balance -= m.amount
				m.to.balance += m.amount
				m.to.mu.Unlock()
			}

			// We keep our first lock until the other mover has had its
			// answer too, so that both see the deadlock, every time.
			close(asked[i])
			<-asked[other]
		})
	}
	wg.Wait()
	return got
}

// detectOppositeOrders runs the classic deadlock, A holds lock 1 and
// wants lock 2 while B holds lock 2 and wants lock 1, and detects it with
// tryLockFor.
func detectOppositeOrders(ctx context.Context, logger *log.Logger,
	timeout time.Duration) {
	logger.Println("2. Two locks taken in opposite orders")
	one := &account{id: 1, balance: 100}
	two := &account{id: 2, balance: 100}
	movers := [2]mover{{"A", one, two, 10}, {"B", two, one, 30}}
	for _, m := range movers {
		logger.Printf("  %s moves %d from account %d to %d,"+
			" locking %d then %d",
			m.name, m.amount, m.from.id, m.to.id, m.from.id, m.to.id)
	}

	// Each mover asks for its second lock with tryLockFor. Both hold the
	// lock the other asks for, and keep it until both have their answer,
	// so both give up after timeout. We print after both have returned,
	// so the lines come in the same order every time.
	got := oppositeOrders(movers, func(m mover) bool {
		return tryLockFor(ctx, &m.to.mu, timeout)
	})
	if ctx.Err() != nil {
		return // Ctrl-C: run returns ctx.Err()
	}
	for i, m := range movers {
		if got[i] {
			logger.Printf("  %s got both locks and moved %d",
				m.name, m.amount) // cannot happen: the other holds it
			continue
		}
		logger.Printf("  %s holds account %d and waits for account %d:"+
			" not acquired after %v", m.name, m.from.id, m.to.id, timeout)
	}
	logger.Println("  a deadlock: each waits for a lock the other holds;" +
		" both give up and unlock")
	logger.Printf("  balances: account 1 = %d, account 2 = %d"+
		" (nothing moved)", one.value(), two.value())
}

// inLockOrder returns a and b in the order their locks must be taken:
// lower id first.
func inLockOrder(a, b *account) (first, second *account) {
	if b.id < a.id {
		return b, a
	}
	return a, b
}

// transfer moves amount from one account to another while it holds both
// locks, taken in lock order, lower id first. Any two transfers then ask
// for their common account's lock first, whatever their directions, so
// neither can hold a lock that the other is waiting for while it waits
// itself: transfers never deadlock.
//
// A transfer from an account to itself changes nothing, and returns before
// it locks anything: it would otherwise lock the same mutex twice.
func transfer(from, to *account, amount int) {
	if from == to {
		return
	}
	first, second := inLockOrder(from, to)
	first.mu.Lock()
	defer first.mu.Unlock()
	second.mu.Lock()
	defer second.mu.Unlock()
	from.balance -= amount
	to.balance += amount
}

// lockOrder replays the interleaving that deadlocked, with both movers
// now locking the lower id first, then runs n transfers each way at the
// same time.
func lockOrder(logger *log.Logger, n int) {
	logger.Println("3. The same transfers, each locking the lower" +
		" account id first")
	one := &account{id: 1, balance: 100}
	two := &account{id: 2, balance: 100}

	// A takes account 1, its lower id, and waits until B has asked for its
	// first lock. B's first lock is now account 1 too, so B waits for A
	// while holding nothing, and A can take account 2 and finish. We
	// print A's line before A unlocks, and B's after it has locked, so
	// the lines come in this order every time.
	aHolds := make(chan struct{}) // closed once A holds account 1
	bAsks := make(chan struct{})  // closed just before B asks for it
	var wg sync.WaitGroup
	wg.Go(func() {
		one.mu.Lock()
		defer one.mu.Unlock()
		logger.Println("  A locked account 1")
		close(aHolds)
		<-bAsks
		two.mu.Lock()
		defer two.mu.Unlock()
		one.balance -= 10
		two.balance += 10
		logger.Println("  A locked account 2, moved 10, unlocks both")
	})
	wg.Go(func() {
		<-aHolds
		logger.Println("  B wants account 1 first too:" +
			" while A holds it, B holds nothing")
		close(bAsks)
		transfer(two, one, 30)
		logger.Println("  B locked account 1, then account 2, moved 30")
	})
	wg.Wait()
	logger.Printf("  balances: account 1 = %d, account 2 = %d",
		one.value(), two.value())

	// Now the two directions run at the same time, n transfers of 1 each
	// way, in whatever interleavings the scheduler picks. With the locks
	// taken in order, no interleaving deadlocks; without it, some would.
	for _, dir := range [2][2]*account{{one, two}, {two, one}} {
		wg.Go(func() {
			for range n {
				transfer(dir[0], dir[1], 1)
			}
		})
	}
	wg.Wait()
	logger.Printf("  %d transfers of 1 each way, at the same time: done,"+
		" balances %d and %d", n, one.value(), two.value())
}

// hang runs the deadlock named by mode for real. It never returns, and
// neither does any goroutine it starts: they wait for each other, and ctx
// cannot reach them. Only killing the process ends them.
func hang(logger *log.Logger, mode string) {
	logger.Println("this hangs: Ctrl-C cannot stop it;" +
		" Ctrl-\\ prints every goroutine and quits")
	switch mode {
	case "relock":
		// We call the depositAll that Python's RLock would allow.
		logger.Println("depositAll, written to call deposit," +
			" locks the mutex it holds")
		a := &account{id: 1}
		a.depositAllRelocking(10, 20, 30)

	case "order":
		// The same interleaving as the detecting demo, with plain Lock.
		one := &account{id: 1, balance: 100}
		two := &account{id: 2, balance: 100}
		movers := [2]mover{{"A", one, two, 10}, {"B", two, one, 30}}
		oppositeOrders(movers, func(m mover) bool {
			logger.Printf("%s holds account %d and waits for account %d,"+
				" with Lock", m.name, m.from.id, m.to.id)
			m.to.mu.Lock()
			return true
		})

	case "channel":
		// A worker sends its result on an unbuffered channel, which
		// blocks until someone receives; we wait for the worker to
		// return before we receive. Each waits for the other.
		logger.Println("a worker sends on an unbuffered channel;" +
			" we wait for the worker before we receive")
		results := make(chan int)
		var wg sync.WaitGroup
		wg.Go(func() {
			results <- 42
		})
		wg.Wait()
		logger.Println(<-results) // never reached
	}
	panic("deadlock: -hang " + mode + " returned") // cannot happen
}
