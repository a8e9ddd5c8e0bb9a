package prodcons

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"testing/synctest"
	"time"

	"github.com/concurrency-workbook/workbook/internal/childtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// The tests use only the package's exported API, so that they test the
// stub and the solution alike, and they run under the race detector (go
// run ./cmd/workbook check prodcons adds -race).
//
// The files are in memory (fstest.MapFS), so the tests are hermetic. The
// tests that time things wrap them in a slow file system whose every Read
// returns one line after 1s of fake time, inside synctest.Test: a file of
// 3 lines takes exactly 3s to read, and a goroutine left blocked for good
// makes synctest fail the test ("deadlock").

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestCountsEveryWord checks exact counts for a small set of files.
func TestCountsEveryWord(t *testing.T) {
	files := fstest.MapFS{
		"a.txt": {Data: []byte("the cat sat\non the mat\n")},
		"b.txt": {Data: []byte("The cat\n\n  ran   away \t the end")},
		"c.txt": {Data: []byte("")},
	}
	got, err := CountWords(t.Context(), files, []string{"a.txt", "b.txt", "c.txt"},
		2, 2, 1)
	require.NoError(t, err)
	assert.Equal(t, map[string]int{
		"the": 3, "The": 1, "cat": 2, "sat": 1, "on": 1, "mat": 1,
		"ran": 1, "away": 1, "end": 1,
	}, got)
}

// TestCountsManyFilesWithManyGoroutines checks the counts of 60 files
// against a serial count, with many producers and consumers and buffers
// of several sizes, under -race: no line lost, none counted twice. It
// runs in a child process: a map written by two goroutines at once can
// crash the process.
func TestCountsManyFilesWithManyGoroutines(t *testing.T) {
	childtest.Run(t, countsManyFiles)
}

func countsManyFiles(t *testing.T) {
	files, names := generated(60, 40)
	want := map[string]int{}
	for _, name := range names {
		for _, w := range strings.Fields(string(files[name].Data)) {
			want[w]++
		}
	}
	for _, tt := range []struct{ producers, consumers, buf int }{
		{1, 1, 0}, {1, 8, 1}, {8, 1, 2}, {8, 8, 0}, {4, 6, 16}, {100, 100, 3},
	} {
		name := fmt.Sprintf("%d×%d,buf=%d", tt.producers, tt.consumers, tt.buf)
		t.Run(name, func(t *testing.T) {
			got, err := CountWords(t.Context(), files, names,
				tt.producers, tt.consumers, tt.buf)
			require.NoError(t, err)
			assert.Equal(t, want, got)
		})
	}
}

// TestNoFiles checks that no names give an empty map, not nil.
func TestNoFiles(t *testing.T) {
	got, err := CountWords(t.Context(), fstest.MapFS{}, nil, 3, 3, 1)
	require.NoError(t, err)
	assert.NotNil(t, got)
	assert.Empty(t, got)
}

// TestFilesOfDifferentLengths runs producers that finish at different
// times: in fake time, the producer of the 1-line file is done at 1s,
// while the others are still sending at 2s and 3s. The channel must stay
// open until the last of them is done: a send on a closed channel panics,
// and ends the process, so the test runs in a child process.
func TestFilesOfDifferentLengths(t *testing.T) {
	childtest.Run(t, filesOfDifferentLengths)
}

func filesOfDifferentLengths(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		files := &slowFS{files: fstest.MapFS{
			"short.txt":  {Data: []byte("one\n")},
			"medium.txt": {Data: []byte("one two\nthree\n")},
			"long.txt":   {Data: []byte("a\nb b\nc c c\n")},
		}, read: time.Second}
		start := time.Now()
		got, err := CountWords(t.Context(), files,
			[]string{"short.txt", "medium.txt", "long.txt"}, 3, 2, 1)
		require.NoError(t, err)
		assert.Equal(t, map[string]int{
			"one": 2, "two": 1, "three": 1, "a": 1, "b": 2, "c": 3,
		}, got)
		assert.Equal(t, 3*time.Second, time.Since(start),
			"want the 3 files read at once: as long as the longest")
	})
}

// TestAtMostProducersFilesOpen reads 9 files of 2 lines (2s each) with 3
// producers: never more than 3 files are open at once, 3 are open at
// once, and it takes exactly 6s: 9 files, 3 at a time. One goroutine per
// file would open all 9 and take 2s; one producer, 18s.
func TestAtMostProducersFilesOpen(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		files, names := generated(9, 2)
		slow := &slowFS{files: files, read: time.Second}
		start := time.Now()
		_, err := CountWords(t.Context(), slow, names, 3, 2, 1)
		require.NoError(t, err)
		assert.Equal(t, int64(3), slow.maxOpen.Load(),
			"most files open at once; want 3, the producers")
		assert.Equal(t, int64(0), slow.open.Load(), "files left open")
		assert.Equal(t, 6*time.Second, time.Since(start),
			"9 files of 2s, 3 at a time")
	})
}

// TestGoroutinesAreBounded looks, while 30 slow files are being read with
// 3 producers and 2 consumers, at how many goroutines exist: no more than
// the producers, the consumers and a few helpers, however many files.
func TestGoroutinesAreBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		files, names := generated(30, 3)
		slow := &slowFS{files: files, read: time.Second}
		before := runtime.NumGoroutine()
		done := make(chan error, 1) // CountWords' result; never waits to send
		go func() {
			_, err := CountWords(t.Context(), slow, names, 3, 2, 1)
			done <- err
		}()
		time.Sleep(1500 * time.Millisecond)
		synctest.Wait()
		// The goroutine above, 3 producers, 2 consumers, and up to 2 more
		// for whatever else CountWords needs (a closer, a feeder).
		const most = 1 + 3 + 2 + 2
		rose := runtime.NumGoroutine() - before
		assert.LessOrEqual(t, rose, most,
			"goroutines while reading 30 files with 3 producers, 2 consumers")
		require.NoError(t, <-done)
	})
}

// TestCancelStopsPromptly cancels ctx while the producers are in the
// middle of their files. CountWords must return ctx.Err() once the Reads
// in progress end (they cannot be interrupted), start no other Read, and
// leave no goroutine behind.
func TestCancelStopsPromptly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		files, names := generated(4, 10)
		slow := &slowFS{files: files, read: time.Second}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		start := time.Now()
		time.AfterFunc(2500*time.Millisecond, cancel)
		got, err := CountWords(ctx, slow, names, 2, 2, 1)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Nil(t, got, "the counts when ctx is done")
		assert.Equal(t, 3*time.Second, time.Since(start),
			"want a return at the end of the Reads in progress at 2.5s")
		assert.Equal(t, int64(0), slow.open.Load(), "files left open")
	})
}

// TestCancelledBeforeTheStart checks that a ctx already done counts
// nothing and returns its error.
func TestCancelledBeforeTheStart(t *testing.T) {
	files, names := generated(10, 10)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	got, err := CountWords(ctx, files, names, 2, 2, 4)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Nil(t, got)
}

// TestOpenErrorIsReturned asks for a file that does not exist, after a
// file of 2 lines read in 750ms each and one of 5 lines read in 1s each.
// At 1.5s, the producer done with the short file tries to open the missing
// one. The error names the file, wraps fs.ErrNotExist, and stops the rest:
// CountWords returns at 2s, when the other producer's Read in progress
// ends, not after every file has been read.
func TestOpenErrorIsReturned(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		files := fstest.MapFS{
			"short.txt": {Data: []byte("a\nb\n")},
			"long.txt":  {Data: []byte("a\nb\nc\nd\ne\n")},
			"more.txt":  {Data: []byte("a\nb\nc\nd\ne\n")},
		}
		slow := &slowFS{files: files, read: time.Second,
			readOf: map[string]time.Duration{"short.txt": 750 * time.Millisecond}}
		names := []string{"short.txt", "long.txt", "missing.txt", "more.txt"}
		start := time.Now()
		got, err := CountWords(t.Context(), slow, names, 2, 2, 1)
		require.ErrorIs(t, err, fs.ErrNotExist, "CountWords' error when "+
			"missing.txt does not exist; want the first error, from opening "+
			"it, not the context.Canceled of a producer that it stopped")
		assert.Contains(t, err.Error(), "missing.txt",
			"the error should name the file that is missing")
		assert.Nil(t, got, "the counts when a file is missing")
		assert.Equal(t, 2*time.Second, time.Since(start),
			"want the error at 1.5s to stop the other producer after its Read")
		assert.Equal(t, int64(0), slow.open.Load(), "files left open")
	})
}

// TestReadErrorIsReturned checks that an error from reading a file, not
// only from opening it, is returned, and that the file that failed is
// closed like the others: a Close written by hand at the end of the happy
// path is skipped by the early return for the error.
func TestReadErrorIsReturned(t *testing.T) {
	files, names := generated(3, 3)
	bad := &slowFS{files: files, fail: names[1]}
	got, err := CountWords(t.Context(), bad, names, 2, 2, 1)
	require.ErrorIs(t, err, errDisk, "CountWords' error when reading %s "+
		"fails with %q; want that read error", names[1], errDisk)
	assert.Nil(t, got, "the counts when a read fails")
	assert.Equal(t, int64(0), bad.open.Load(), "files still open after "+
		"CountWords returned; want every file it opened closed, on the "+
		"error paths too (defer f.Close() right after the Open)")
}

// TestPanicsOnBadLimits checks that limits that could never work are
// refused at once.
func TestPanicsOnBadLimits(t *testing.T) {
	files, names := generated(1, 1)
	for _, tt := range []struct {
		producers, consumers, buf int
		want                      string
	}{
		{0, 1, 1, "prodcons: producers must be at least 1"},
		{1, 0, 1, "prodcons: consumers must be at least 1"},
		{1, 1, -1, "prodcons: buf must not be negative"},
	} {
		assert.PanicsWithValue(t, tt.want, func() {
			CountWords(t.Context(), files, names, tt.producers, tt.consumers, tt.buf)
		})
	}
}

// generated returns n files of the given number of lines, and their names
// in order. The words repeat across files, so that counts add up.
func generated(n, lines int) (fstest.MapFS, []string) {
	files := fstest.MapFS{}
	var names []string
	for i := range n {
		var b strings.Builder
		for l := range lines {
			fmt.Fprintf(&b, "w%d w%d x%d shared\n", i%7, l%5, (i+l)%3)
		}
		name := fmt.Sprintf("file%02d.txt", i)
		files[name] = &fstest.MapFile{Data: []byte(b.String())}
		names = append(names, name)
	}
	return files, names
}

// errDisk is the error a slowFS returns from reading its fail file.
var errDisk = errors.New("disk error")

// A slowFS serves files whose every Read returns one line, after read has
// passed (fake time, in synctest), and counts the files open at once.
type slowFS struct {
	files  fstest.MapFS
	read   time.Duration            // how long each Read of a line takes
	readOf map[string]time.Duration // the same, for some files
	fail   string                   // a file whose Read fails with errDisk

	open, maxOpen atomic.Int64 // files open now, and at most
}

func (s *slowFS) Open(name string) (fs.File, error) {
	f, err := s.files.Open(name)
	if err != nil {
		return nil, err
	}
	n := s.open.Add(1)
	for m := s.maxOpen.Load(); n > m && !s.maxOpen.CompareAndSwap(m, n); {
		m = s.maxOpen.Load()
	}
	read, ok := s.readOf[name]
	if !ok {
		read = s.read
	}
	return &slowFile{File: f, fs: s, read: read,
		rest: string(s.files[name].Data), fail: name == s.fail}, nil
}

// A slowFile is a file of a slowFS.
type slowFile struct {
	fs.File
	fs     *slowFS
	read   time.Duration // how long each Read of a line takes
	rest   string        // what is left to read
	fail   bool
	closed bool
}

func (f *slowFile) Read(p []byte) (int, error) {
	if f.fail {
		return 0, errDisk
	}
	if f.rest == "" {
		return 0, io.EOF
	}
	time.Sleep(f.read) // simulated slow disk
	line, _, found := strings.Cut(f.rest, "\n")
	if found {
		line += "\n"
	}
	n := copy(p, line)
	f.rest = f.rest[n:]
	return n, nil
}

func (f *slowFile) Close() error {
	if !f.closed {
		f.closed = true
		f.fs.open.Add(-1)
	}
	return f.File.Close()
}
