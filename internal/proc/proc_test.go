package proc

import (
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		stat string
		want Stat
		ok   bool
	}{
		{"123 (sleep) S 99 123 99 0", Stat{Name: "sleep", State: 'S', PPID: 99, PGRP: 123}, true},
		{"124 (a (weird) name) Z 7 1 1", Stat{Name: "a (weird) name", State: 'Z', PPID: 7, PGRP: 1}, true},
		{"125 (x) ) R 8 0", Stat{Name: "x) ", State: 'R', PPID: 8}, true},
		{"9 (go) S 1 9 9 0 -1 4194560 100 0 0 0 150 50 7 3 20 0", Stat{Name: "go", State: 'S', PPID: 1, PGRP: 9, CPU: 210 * ClockTick}, true},
		{"garbage", Stat{}, false},
		{"1 (x) RR 2", Stat{}, false},
		{"1 (x) R notanumber", Stat{}, false},
	} {
		got, ok := Parse([]byte(tc.stat))
		require.Equal(t, tc.ok, ok, tc.stat)
		assert.Equal(t, tc.want, got, tc.stat)
	}
}

// All finds this process, with its parent, and its CPU time grows while
// it works.
func TestAllFindsThisProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		_, err := All()
		require.ErrorIs(t, err, ErrUnsupported)
		return
	}
	self := func() Stat {
		all, err := All()
		require.NoError(t, err)
		for _, s := range all {
			if s.PID == os.Getpid() {
				return s
			}
		}
		t.Fatal("this process is not in /proc")
		return Stat{}
	}
	before := self()
	assert.Equal(t, os.Getppid(), before.PPID)
	x := 0
	for start := time.Now(); time.Since(start) < 100*time.Millisecond; { // a bound on a busy loop, not a wait
		x++
	}
	assert.Greater(t, self().CPU, before.CPU, "CPU time after %d iterations of a busy loop", x)
}
