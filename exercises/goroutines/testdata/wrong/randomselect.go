// Wrong: no check of done before the select, so JoinTimeout(0) after fn returned is false half the time.
// Caught by: TestJoinTimeoutAfterReturn
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
	timer := time.NewTimer(d)
	defer timer.Stop()
	select { // wrong: with both cases ready, select picks at random
	case <-t.done:
		return true
	case <-timer.C:
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
