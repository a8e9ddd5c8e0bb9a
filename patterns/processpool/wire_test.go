package processpool

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// frames returns the bytes of the frames of vs, as a frameWriter writes
// them.
func frames(t *testing.T, vs ...any) []byte {
	t.Helper()
	var buf bytes.Buffer
	fw := newFrameWriter(&buf)
	for _, v := range vs {
		require.NoError(t, fw.write(v))
	}
	return buf.Bytes()
}

func TestFramesRoundTrip(t *testing.T) {
	type point struct{ X, Y int }
	b := frames(t, hello{PID: 42}, request[point]{ID: 1, Req: point{1, 2}},
		request[point]{ID: 2}) // all zero fields: gob omits them
	fr := newFrameReader(bytes.NewReader(b), fromWorker)
	var h hello
	require.NoError(t, fr.read(&h))
	assert.Equal(t, 42, h.PID)
	var r1, r2 request[point]
	require.NoError(t, fr.read(&r1))
	assert.Equal(t, request[point]{ID: 1, Req: point{1, 2}}, r1)
	require.NoError(t, fr.read(&r2))
	assert.Equal(t, request[point]{ID: 2}, r2)
	assert.ErrorIs(t, fr.read(&r2), io.EOF, "a clean end between frames")
}

// header returns a frame header that claims n bytes of payload.
func header(n uint32) []byte {
	h := append(magic[:], 0, 0, 0, 0, 0)
	binary.BigEndian.PutUint32(h[5:], n)
	return h
}

func TestFrameReaderRejectsWhatIsNotAFrame(t *testing.T) {
	valid := frames(t, hello{PID: 1})
	// The same frame, claiming 3 more bytes that are there but that gob
	// does not use.
	padded := append(bytes.Clone(valid), 0, 0, 0)
	binary.BigEndian.PutUint32(padded[5:9], uint32(len(valid)-headerLen+3))
	for _, tc := range []struct {
		name, in, want string
		corrupt        bool
	}{
		{"text", "panic: oops\n",
			`the worker wrote to its stdout outside the protocol (stdout is the pool's: a worker must log to stderr): "panic: oops\n"`, true},
		{"one stray byte", "x", `outside the protocol (stdout is the pool's: a worker must log to stderr): "x"`, true},
		{"text before a frame", "hi\n" + string(valid), `outside the protocol (stdout is the pool's: a worker must log to stderr): "hi\n"`, true},
		{"long text", strings.Repeat("0123456789", 10),
			`outside the protocol (stdout is the pool's: a worker must log to stderr): "` + strings.Repeat("0123456789", 6) + `0123"`, true},
		{"header cut short", string(valid[:4]), "unexpected EOF", false},
		{"payload cut short", string(valid[:len(valid)-1]), "unexpected EOF", false},
		{"bytes left over", string(padded), "3 bytes left over after a *processpool.hello in a frame from the worker", true},
		{"length just over the limit", string(header(MaxFrame + 1)),
			"a frame header from the worker claims 67108865 bytes, over the limit of 67108864 (processpool.MaxFrame)", true},
		{"huge length", string(header(math.MaxUint32)) + "more",
			"a frame header from the worker claims 4294967295 bytes, over the limit of 67108864 (processpool.MaxFrame)", true},
		{"garbage payload", string(header(5)) + "junk!", "a frame from the worker is not a *processpool.hello: ", true},
		{"wrong type", string(frames(t, request[string]{ID: 1, Req: "x"})),
			"a frame from the worker is not a *processpool.hello: gob: type mismatch", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h hello
			err := newFrameReader(strings.NewReader(tc.in), fromWorker).read(&h)
			require.ErrorContains(t, err, tc.want)
			var c *corruptError
			assert.Equal(t, tc.corrupt, errors.As(err, &c), "corruptError: %v", err)
		})
	}
}

func TestFrameReaderAllocatesAsBytesArrive(t *testing.T) {
	// A header that claims the most a frame may hold, then 10 bytes and
	// the end: the reader must not allocate 64 MiB for them.
	in := append(header(MaxFrame), "0123456789"...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var h hello
	err := newFrameReader(bytes.NewReader(in), fromWorker).read(&h)
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20),
		"bytes allocated to read 10 bytes of a frame that claims 64 MiB")
}

func TestFramesUpToTheLimit(t *testing.T) {
	// A small limit on both sides: a frame at the limit goes through, one
	// byte more is not sent, and the stream goes on after it.
	var buf bytes.Buffer
	fw := newFrameWriter(&buf)
	fits := request[string]{ID: 1, Req: "x"}
	require.NoError(t, fw.write(fits))
	firstSize := buf.Len() - headerLen
	// gob sends a type's definition once, with its first value: measure
	// the second frame, which holds only a value.
	require.NoError(t, fw.write(fits))
	size := buf.Len() - firstSize - 2*headerLen
	fw.max = size
	require.NoError(t, fw.write(request[string]{ID: 2, Req: "y"}), "a frame of exactly the limit")
	err := fw.write(request[string]{ID: 3, Req: "zz"})
	var eerr *encodeError
	require.ErrorAs(t, err, &eerr)
	assert.ErrorContains(t, err, fmt.Sprintf("a frame of %d bytes is over the limit of %d (processpool.MaxFrame)", size+1, size))
	fw.max = MaxFrame
	require.NoError(t, fw.write(request[string]{ID: 4, Req: "w"}))

	fr := newFrameReader(&buf, fromParent)
	fr.max = firstSize // the largest frame, with the type
	for _, want := range []request[string]{{ID: 1, Req: "x"}, {ID: 1, Req: "x"}, {ID: 2, Req: "y"}, {ID: 4, Req: "w"}} {
		var got request[string]
		require.NoError(t, fr.read(&got))
		assert.Equal(t, want, got)
	}
}

func TestReadResponseChecksTheID(t *testing.T) {
	fr := newFrameReader(bytes.NewReader(frames(t, response[int]{ID: 2, Resp: 4})), fromWorker)
	_, err := readResponse[int](fr, 1)
	assert.EqualError(t, err, "corrupt stream: got the response to request 2, want 1")
}

func TestEncodeErrorResetsTheStream(t *testing.T) {
	var buf bytes.Buffer
	fw := newFrameWriter(&buf)
	require.NoError(t, fw.write(response[any]{ID: 1, Resp: 1}))
	err := fw.write(response[any]{ID: 2, Resp: struct{ X int }{2}})
	var eerr *encodeError
	require.ErrorAs(t, err, &eerr)
	assert.ErrorContains(t, err, "type not registered for interface")
	require.NoError(t, fw.write(response[any]{ID: 3, Err: "x"}))
	b := buf.Bytes()
	n := headerLen + int(binary.BigEndian.Uint32(b[5:9]))
	assert.Equal(t, byte(0), b[4], "first frame: no reset")
	assert.Equal(t, byte(flagReset), b[n+4], "the frame after the failure: reset")

	fr := newFrameReader(&buf, fromWorker)
	r1, err := readResponse[any](fr, 1)
	require.NoError(t, err)
	assert.Equal(t, 1, r1.Resp)
	r3, err := readResponse[any](fr, 3)
	require.NoError(t, err)
	assert.Equal(t, "x", r3.Err)
}

func TestServe(t *testing.T) {
	in := frames(t, request[int]{ID: 1, Req: 3}, request[int]{ID: 2, Req: -1},
		request[int]{ID: 3, Req: 0})
	var out bytes.Buffer
	err := Serve(t.Context(), bytes.NewReader(in), &out,
		func(_ context.Context, n int) (int, error) {
			switch {
			case n < 0:
				return 0, errors.New("negative")
			case n == 0:
				return 0, errors.New("")
			}
			return n * n, nil
		})
	require.NoError(t, err, "the end of the input ends Serve")
	fr := newFrameReader(&out, fromWorker)
	var h hello
	require.NoError(t, fr.read(&h), "the hello comes first")
	assert.Positive(t, h.PID)
	for _, want := range []response[int]{
		{ID: 1, Resp: 9},
		{ID: 2, Err: "negative"},
		{ID: 3, Err: "(error with an empty message)"},
	} {
		got, err := readResponse[int](fr, want.ID)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	assert.ErrorIs(t, fr.read(&h), io.EOF)
}

func TestServeRejectsCorruptInput(t *testing.T) {
	first := frames(t, request[int]{ID: 1, Req: 3})
	for _, tc := range []struct{ name, after, want string }{
		{"text", "garbage",
			`processpool: reading a request: corrupt stream: the parent wrote to the worker's stdin outside the protocol: "garbage"`},
		{"huge length", string(header(math.MaxUint32)),
			"processpool: reading a request: corrupt stream: a frame header from the parent claims 4294967295 bytes, " +
				"over the limit of 67108864 (processpool.MaxFrame)"},
		{"garbage payload", string(header(5)) + "junk!",
			"processpool: reading a request: corrupt stream: a frame from the parent is not a *processpool.request[int]: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			calls := 0
			err := Serve(t.Context(), bytes.NewReader(append(bytes.Clone(first), tc.after...)), &out,
				func(_ context.Context, n int) (int, error) { calls++; return n, nil })
			assert.ErrorContains(t, err, tc.want)
			assert.Equal(t, 1, calls, "the valid request before the corruption is served")
		})
	}
}

func TestServeStopsWhenCtxIsDone(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	in := frames(t, request[int]{ID: 1, Req: 3}, request[int]{ID: 2, Req: 4})
	calls := 0
	err := Serve(ctx, bytes.NewReader(in), io.Discard,
		func(_ context.Context, n int) (int, error) { calls++; cancel(); return n, nil })
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 1, calls, "no request is read once ctx is done")
}

func TestTailKeepsTheEnd(t *testing.T) {
	var all bytes.Buffer
	tl := &tail{out: &all}
	for i := range 1000 {
		_, _ = tl.Write([]byte(strings.Repeat("x", i%7) + "line\n"))
	}
	_, _ = tl.Write([]byte("panic: the end\n"))
	s := tl.String()
	assert.True(t, strings.HasPrefix(s, "...\n"), "says it was cut")
	assert.True(t, strings.HasSuffix(s, "line\npanic: the end\n"))
	assert.LessOrEqual(t, len(s), tailSize+4)
	assert.Greater(t, len(s), tailSize-20)
	assert.Equal(t, 1000, strings.Count(all.String(), "line\n"), "out gets everything")
}
