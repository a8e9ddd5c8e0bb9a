// Package panictest checks that a panic error has the workbook's one
// panic-error shape, described in docs/concepts.md ("A panic turned into an
// error"): a struct holding the panic's Value and Stack, an Error method
// that reads "<pkg>: panic: <value>", and an Unwrap method that returns
// Value when it is an error and nil otherwise, so that errors.Is and
// errors.As reach through it. patterns/futures, patterns/concurrently and
// the workerpool lesson each have such a PanicError, and each checks it
// with [CheckShape].
package panictest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// CheckShape checks the panic errors that newErr makes against the shape,
// for four panic values: a string, an error, an error that wraps another,
// and an int. For each, it checks that the message is pkg + ": panic: "
// and the value; that errors.Unwrap returns the value when it is an error
// and nil otherwise, so that errors.Is finds the error inside; and that
// errors.As finds, in wrap(err), the very panic error newErr made.
//
// E is the package's *PanicError. newErr returns a new one holding value
// and any stack; written as a composite literal, it has the compiler check
// the field names Value and Stack. wrap wraps an error as the package
// does before its caller sees it (a CallError, a "job 2: %w"), so that
// the check covers that wrapper's Unwrap too.
//
// CheckShape reports each failure with the panic it was made from, and
// goes on to the next check.
func CheckShape[E error](t testing.TB, pkg string, newErr func(value any) E, wrap func(error) error) {
	t.Helper()
	errBoom := errors.New("boom")
	wrapped := fmt.Errorf("loading: %w", errBoom)
	cases := []struct {
		panic     string // the call that panicked, for failure messages
		value     any
		wantMsg   string // after "<pkg>: panic: "
		wantInner error  // what Unwrap returns
	}{
		{`panic("boom")`, "boom", "boom", nil},
		{`panic(errBoom)`, errBoom, "boom", errBoom},
		{`panic(fmt.Errorf("loading: %w", errBoom))`, wrapped, "loading: boom", wrapped},
		{`panic(42)`, 42, "42", nil},
	}
	for _, c := range cases {
		err := newErr(c.value)
		assert.Equal(t, pkg+": panic: "+c.wantMsg, err.Error(),
			"after %s: the message", c.panic)
		assert.Equal(t, c.wantInner, errors.Unwrap(err),
			"after %s: what Unwrap returns", c.panic)
		assert.Equal(t, c.wantInner != nil, errors.Is(err, errBoom),
			"after %s: errors.Is(err, errBoom)", c.panic)
		var pe E
		if assert.ErrorAs(t, wrap(err), &pe,
			"after %s: errors.As through the package's wrapper", c.panic) {
			assert.Same(t, err, pe,
				"after %s: errors.As found another panic error", c.panic)
		}
	}
}
