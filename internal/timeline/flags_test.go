package timeline

import (
	"bytes"
	"cmp"
	"flag"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parse registers Flags on a new FlagSet and parses args.
func parse(args ...string) (Flags, error) {
	var f Flags
	fs := flag.NewFlagSet("lesson", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f.Register(fs)
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	return f, f.Check()
}

// TestFlagsParse checks the values each flag sets.
func TestFlagsParse(t *testing.T) {
	f, err := parse()
	require.NoError(t, err)
	assert.Equal(t, Flags{}, f)

	f, err = parse("-timeline", "-ascii", "-width", "100", "-trace", "t.out")
	require.NoError(t, err)
	assert.Equal(t, Flags{Timeline: true, ASCII: true, Width: 100, Trace: "t.out"}, f)
}

// TestFlagsBadValues checks that a bad value is an error naming the flag.
func TestFlagsBadValues(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"-width", "39"}, "-width must be from 40 to 1000, got 39"},
		{[]string{"-width", "-1"}, "-width must be from 40 to 1000, got -1"},
		{[]string{"-width", "1001"}, "-width must be from 40 to 1000, got 1001"},
		{[]string{"-width", "wide"}, `invalid value "wide" for flag -width`},
		{[]string{"-timeline=maybe"}, `invalid boolean value "maybe" for -timeline`},
		{[]string{"-trace"}, "flag needs an argument: -trace"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, err := parse(tt.args...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

// TestStartWithBadFlagsStartsNothing checks that Start rejects a bad
// width or a trace file it cannot create, naming the flag.
func TestStartWithBadFlagsStartsNothing(t *testing.T) {
	_, obs, err := (&Flags{Timeline: true, Width: 10}).Start(t.Context(), "lesson")
	require.EqualError(t, err, "-width must be from 40 to 1000, got 10")
	assert.Nil(t, obs)

	path := filepath.Join(t.TempDir(), "no such dir", "t.out")
	_, obs, err = (&Flags{Trace: path}).Start(t.Context(), "lesson")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "-trace "+path+": ")
	assert.Contains(t, err.Error(), "no such file or directory")
	assert.Nil(t, obs)

	dir := t.TempDir() // a directory is not a file to write
	_, _, err = (&Flags{Trace: dir}).Start(t.Context(), "lesson")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is a directory")
}

// TestNoFlagsNoObserver checks that with neither -timeline nor -trace,
// Start returns a nil Observer whose methods do nothing.
func TestNoFlagsNoObserver(t *testing.T) {
	ctx, obs, err := (&Flags{ASCII: true, Width: 50}).Start(t.Context(), "lesson")
	require.NoError(t, err)
	assert.Nil(t, obs)
	assert.Equal(t, t.Context(), ctx)
	called := false
	obs.Do(ctx, "row", "label", func() { called = true })
	assert.True(t, called, "Do calls f")
	obs.Start(ctx, "row", "label")()
	var out bytes.Buffer
	require.NoError(t, obs.Render(&out))
	assert.Empty(t, out.String())
	assert.Nil(t, obs.Spans())
	require.NoError(t, obs.Stop())
}

// TestTimelineFlagRenders checks that -timeline records spans and renders
// them with -ascii and -width, after a blank line.
func TestTimelineFlagRenders(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, obs, err := (&Flags{Timeline: true, ASCII: true, Width: 50}).Start(t.Context(), "lesson")
		require.NoError(t, err)
		defer obs.Stop()
		obs.Do(ctx, "main", "sleep", func() { time.Sleep(time.Second) })
		var out, want bytes.Buffer
		require.NoError(t, obs.Render(&out))
		require.NoError(t, Render(&want, obs.Spans(), Options{Width: 50, ASCII: true}))
		assert.Equal(t, "\n"+want.String(), out.String())
		assert.Contains(t, out.String(), "main |#####")
	})
}

// TestWidthFromColumns checks that without -width the chart takes the
// width in $COLUMNS when it is one Render accepts, else 80.
func TestWidthFromColumns(t *testing.T) {
	for columns, want := range map[string]int{"120": 120, "": 80, "20": 80, "wide": 80} {
		t.Setenv("COLUMNS", columns)
		assert.Equal(t, want, cmp.Or((&Flags{}).options().Width, DefaultWidth), "COLUMNS=%q", columns)
	}
	t.Setenv("COLUMNS", "120")
	assert.Equal(t, 60, (&Flags{Width: 60}).options().Width, "-width wins")
}
