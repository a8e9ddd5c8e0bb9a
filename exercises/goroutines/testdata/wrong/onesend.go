// Wrong: the goroutine sends one value on done instead of closing it, so a second Join hangs.
// Caught by: TestAlive, TestJoinFromManyGoroutines
package goroutines

import "time"

type Thread struct {
	done chan struct{} // receives one value when fn returns
}

func Start(fn func()) *Thread {
	t := &Thread{done: make(chan struct{}, 1)}
	go func() {
		fn()
		t.done <- struct{}{} // wrong: wakes one receiver, once
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
	select {
	case <-t.done:
		return false
	default:
		return true
	}
}
