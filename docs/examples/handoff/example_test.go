// Package handoff_test is the example docs/concepts.md quotes: a plain
// variable handed from one goroutine to another, made safe by the memory
// model's rule for close.
package handoff_test

import (
	"fmt"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Example writes msg in one goroutine and reads it in another. The write
// comes before close(done) in its goroutine, the close synchronizes before
// the receive that returns because of it, and the receive comes before the
// read: so the read sees the write, and -race is silent. Without the
// channel there is no such chain, and the read is a data race.
func Example() {
	var msg string
	done := make(chan struct{})
	go func() {
		msg = "hello from the other goroutine"
		close(done)
	}()
	<-done
	fmt.Println(msg)
	// Output: hello from the other goroutine
}
