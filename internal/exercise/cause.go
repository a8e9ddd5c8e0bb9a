package exercise

import (
	"fmt"
	"strings"
)

// hangCause says in one sentence what most likely keeps the first of the
// stuck goroutines waiting, from what it is blocked in and where.
func hangCause(stuck []Goroutine) string {
	if len(stuck) == 0 {
		return "No goroutine was stuck in your code: the test itself waited for something your code never did (a result, a close, a call back)."
	}
	g := stuck[0]
	where := fmt.Sprintf("%s (line %d)", g.At.Func, g.At.Line)
	switch state := g.State; {
	case isLockState(state):
		if len(g.Calls) >= 2 && g.Calls[1].Func != g.At.Func {
			outer := g.Calls[1]
			return fmt.Sprintf("%s (line %d) calls %s, which waits for a lock at line %d; if %s already holds that lock, this goroutine waits for itself: Go's mutexes are not re-entrant (Python's RLock is), so call a helper that expects the lock to be held instead.",
				outer.Func, outer.Line, g.At.Func, g.At.Line, outer.Func)
		}
		return fmt.Sprintf("%s waits for a lock that is never unlocked: a return or a panic between Lock and Unlock skipped the Unlock (write defer mu.Unlock() right after mu.Lock()), or the goroutine holding it waits for a lock this one holds (take locks in one fixed order).", where)
	case strings.HasSuffix(state, "(nil chan)"):
		return fmt.Sprintf("%s uses a nil channel, which blocks for ever: make the channel with make(chan T) before using it.", where)
	case state == "chan send":
		return fmt.Sprintf("%s sends on a channel that nobody will receive from: the receiver returned early or was cancelled, or the channel is unbuffered and nobody reads it; send in a select with a <-ctx.Done() case.", where)
	case state == "chan receive":
		return fmt.Sprintf("%s receives from a channel that nobody will send on or close: a sender returned early without sending, or the channel is never closed after the last send.", where)
	case state == "select (no cases)":
		return fmt.Sprintf("%s is in an empty select {}, which blocks for ever.", where)
	case state == "select":
		return fmt.Sprintf("%s waits in a select in which no case can ever go ahead: is a <-ctx.Done() case missing, or does nobody send on or close these channels?", where)
	case strings.HasPrefix(state, "sync.WaitGroup.Wait"):
		return fmt.Sprintf("%s waits for a WaitGroup whose count never gets back to zero: a Done is missing (on an early return or an error path?), or Add counted more goroutines than were started.", where)
	case strings.HasPrefix(state, "sync.Cond.Wait"):
		return fmt.Sprintf("%s waits on a sync.Cond that nobody signals: a Signal or Broadcast is missing after the state it waits for changes.", where)
	case state == "sleep":
		return fmt.Sprintf("%s is sleeping: a wait with time.Sleep cannot be cancelled; wait in a select on a timer and <-ctx.Done().", where)
	case state == "running" || state == "runnable" || state == "":
		return fmt.Sprintf("%s keeps running: a loop that never ends (a busy wait, or a condition that never becomes true)?", where)
	case state == "IO wait" || state == "syscall":
		return fmt.Sprintf("%s waits for input or output: a pipe that is never closed, or a child process that never ends?", where)
	}
	return fmt.Sprintf("%s is blocked (%s) and nothing wakes it.", where, g.State)
}

func isLockState(state string) bool {
	return strings.HasPrefix(state, "sync.Mutex.Lock") || strings.HasPrefix(state, "sync.RWMutex.") || state == "semacquire"
}

// leakCause says in one sentence why a goroutine is likely still running.
func leakCause(g Goroutine) string {
	what := "A goroutine"
	if !g.Created.IsZero() {
		what = fmt.Sprintf("The goroutine started at line %d (%s)", g.Created.Line, g.Created.Func)
	}
	switch state := g.State; {
	case state == "chan send":
		return what + " is still trying to send, and nobody will receive: give it a way out (a buffered channel with room for every send, or a select with <-ctx.Done()), and wait for it before returning."
	case state == "chan receive":
		return what + " is still waiting to receive: close the channel (or cancel) when there is no more work, and wait for it before returning."
	case state == "select":
		return what + " is still waiting in a select: give it a case that ends it (<-ctx.Done() or a closed channel), and wait for it before returning."
	case isLockState(state):
		return what + " is still waiting for a lock that is never unlocked."
	case state == "sleep":
		return what + " is still sleeping: a sleeping goroutine cannot be stopped; wait on a timer and <-ctx.Done() instead, and wait for it before returning."
	}
	return what + " was still running after the test: every goroutine needs a signal to stop and someone who waits until it has."
}
