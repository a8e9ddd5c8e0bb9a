package deadlock

// Join waits for a value that nobody sends.
func Join() int {
	ch := make(chan int)
	go func() {}()
	return <-ch
}
