package panictest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recorder is a testing.TB that records Errorf instead of failing the
// test, so that a test can look at what CheckShape reported.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

// goodError has the shape.
type goodError struct {
	Value any
	Stack []byte
}

func (e *goodError) Error() string { return fmt.Sprintf("good: panic: %v", e.Value) }

func (e *goodError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// noPkgError's message does not name its package.
type noPkgError struct{ goodError }

func (e *noPkgError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// noUnwrapError hides an error value from errors.Is and errors.As.
type noUnwrapError struct{ Value any }

func (e *noUnwrapError) Error() string { return fmt.Sprintf("good: panic: %v", e.Value) }

// alwaysUnwrapError makes an error of a value that is not one.
type alwaysUnwrapError struct{ goodError }

func (e *alwaysUnwrapError) Error() string { return e.goodError.Error() }

func (e *alwaysUnwrapError) Unwrap() error {
	if err, ok := e.Value.(error); ok {
		return err
	}
	return fmt.Errorf("%v", e.Value)
}

// copyWrapper unwraps to a copy of the panic error it wraps.
type copyWrapper struct{ err *goodError }

func (w *copyWrapper) Error() string { return "x: " + w.err.Error() }

func (w *copyWrapper) Unwrap() error {
	c := *w.err
	return &c
}

func newGood(v any) *goodError { return &goodError{Value: v, Stack: []byte("stack")} }

func wrapW(err error) error { return fmt.Errorf("job 2: %w", err) }

func TestCheckShapePassesTheShape(t *testing.T) {
	rec := &recorder{TB: t}
	CheckShape(rec, "good", newGood, wrapW)
	assert.Empty(t, rec.errors)
}

// TestCheckShapeCatchesEachFlaw breaks the shape one way at a time; each
// must be reported, with the check that caught it.
func TestCheckShapeCatchesEachFlaw(t *testing.T) {
	tests := []struct {
		name  string
		check func(t testing.TB)
		want  string // in the first report
	}{
		{"message without the package", func(t testing.TB) {
			CheckShape(t, "good", func(v any) *noPkgError {
				return &noPkgError{goodError{Value: v}}
			}, wrapW)
		}, `after panic("boom"): the message`},
		{"another package's name", func(t testing.TB) {
			CheckShape(t, "other", newGood, wrapW)
		}, `after panic("boom"): the message`},
		{"no Unwrap", func(t testing.TB) {
			CheckShape(t, "good", func(v any) *noUnwrapError {
				return &noUnwrapError{Value: v}
			}, wrapW)
		}, "after panic(errBoom): what Unwrap returns"},
		{"Unwrap of a value that is not an error", func(t testing.TB) {
			CheckShape(t, "good", func(v any) *alwaysUnwrapError {
				return &alwaysUnwrapError{goodError{Value: v}}
			}, wrapW)
		}, `after panic("boom"): what Unwrap returns`},
		{"a wrapper without Unwrap", func(t testing.TB) {
			CheckShape(t, "good", newGood, func(err error) error {
				return fmt.Errorf("job 2: %v", err)
			})
		}, `after panic("boom"): errors.As through the package's wrapper`},
		{"a wrapper that unwraps to a copy", func(t testing.TB) {
			CheckShape(t, "good", newGood, func(err error) error {
				var pe *goodError
				errors.As(err, &pe)
				return &copyWrapper{pe}
			})
		}, `after panic("boom"): errors.As found another panic error`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{TB: t}
			tt.check(rec)
			if assert.NotEmpty(t, rec.errors, "CheckShape reported nothing") {
				assert.Contains(t, rec.errors[0], tt.want)
			}
		})
	}
}
