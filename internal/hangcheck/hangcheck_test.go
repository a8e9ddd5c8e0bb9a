package hangcheck

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recorder is a testing.TB that records Fatalf instead of ending the
// goroutine, so that a test can look at what Within reported.
type recorder struct {
	testing.TB
	fatal string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
}

func TestWithinReturnsWhenFnDoes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{TB: t}
		begin := time.Now()
		ran := false
		Within(rec, "a quick call", func() {
			time.Sleep(time.Second)
			ran = true
		})
		assert.True(t, ran, "Within returned before fn did")
		assert.Equal(t, time.Second, time.Since(begin), "Within waits exactly as long as fn")
		assert.Empty(t, rec.fatal)
	})
}

// In a synctest bubble the timer is fake, so the hang is reported at
// exactly Bound without waiting for real.
func TestWithinReportsAHang(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{TB: t}
		stuck := make(chan struct{})
		begin := time.Now()
		Within(rec, "the second Lock", func() { <-stuck })
		assert.Equal(t, Bound, time.Since(begin))
		require.Contains(t, rec.fatal, "the second Lock did not return within 5s")
		close(stuck) // let fn's goroutine end, so the bubble can finish
	})
}

// The report includes the stack of the goroutine Within started, so that
// a reader (or the workbook's check) sees where the call is stuck.
func TestWithinReportsWhereTheCallIsStuck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{TB: t}
		stuck := make(chan struct{})
		Within(rec, "the receive", func() { <-stuck })
		require.Contains(t, rec.fatal, "Where the call is stuck:\ngoroutine ")
		assert.Contains(t, rec.fatal, "[chan receive (durable), synctest bubble")
		assert.Contains(t, rec.fatal, "hangcheck.TestWithinReportsWhereTheCallIsStuck.")
		close(stuck)
	})
}
