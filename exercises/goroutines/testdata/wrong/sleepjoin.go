// Wrong: JoinTimeout sleeps d and then looks, so it waits all of d even when fn returned early.
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
	time.Sleep(d) // wrong: should stop waiting as soon as fn returns
	return !t.Alive()
}

func (t *Thread) Alive() bool {
	select {
	case <-t.done:
		return false
	default:
		return true
	}
}
