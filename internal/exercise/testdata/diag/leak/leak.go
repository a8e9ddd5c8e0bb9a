package leak

// Start starts a worker that waits for work nobody sends.
func Start() {
	ch := make(chan int)
	go func() {
		<-ch
	}()
}
