package leaks

// Start starts a goroutine that sends a result nobody receives.
func Start() {
	ch := make(chan int)
	go func() {
		ch <- 1
	}()
}
