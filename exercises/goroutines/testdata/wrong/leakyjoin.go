// Wrong: JoinTimeout leaves a goroutine blocked forever on an unbuffered send after a timeout.
// Caught by: TestJoinTimeout
package goroutines

import "time"

type Thread struct {
	done chan struct{}
}

func Start(fn func()) *Thread {
	t := &Thread{done: make(chan struct{})}
	go func() {
		defer close(t.done)
		fn()
	}()
	return t
}

func (t *Thread) Join() {
	<-t.done
}

func (t *Thread) JoinTimeout(d time.Duration) bool {
	if !t.Alive() {
		return true
	}
	joined := make(chan bool) // wrong: unbuffered, and nobody may receive
	go func() {
		t.Join()
		joined <- true
	}()
	select {
	case ok := <-joined:
		return ok
	case <-time.After(d):
		return false
	}
}

func (t *Thread) Alive() bool {
	select {
	case <-t.done:
		return false
	default:
		return true
	}
}
