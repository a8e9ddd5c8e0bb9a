// Wrong: Alive reads a plain bool that the goroutine writes: a data race.
// Caught by: TestAliveIsSafeConcurrently, TestJoinMakesWritesVisible
package goroutines

import "time"

type Thread struct {
	done    chan struct{}
	running bool // wrong: written by the goroutine, read by Alive, unsynchronized
}

func Start(fn func()) *Thread {
	t := &Thread{done: make(chan struct{}), running: true}
	go func() {
		fn()
		t.running = false
		close(t.done)
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
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-t.done:
		return true
	case <-timer.C:
		return false
	}
}

func (t *Thread) Alive() bool {
	return t.running
}
