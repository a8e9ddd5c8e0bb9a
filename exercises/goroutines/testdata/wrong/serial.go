// Wrong: Start runs fn itself before returning, so five 3s threads take 15s.
// Caught by: TestStartReturnsAtOnce, TestThreadsRunAtTheSameTime
package goroutines

import "time"

type Thread struct {
	done chan struct{}
}

func Start(fn func()) *Thread {
	t := &Thread{done: make(chan struct{})}
	fn() // wrong: this waits for fn; it should run in a new goroutine
	close(t.done)
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
