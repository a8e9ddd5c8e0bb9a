package processpool

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"slices"
)

// The frames of the wire format (see the package doc). Each is decoded
// into a fresh variable: gob leaves alone the fields that the sender
// omitted because they were zero, so a reused variable would keep values
// from the previous frame.
type (
	// hello is the first frame a worker sends: it has started and
	// is reading requests.
	hello struct {
		PID int
	}
	// request is one job, sent by the parent.
	request[Req any] struct {
		ID  uint64
		Req Req
	}
	// response answers the request with the same ID. Err is "" when
	// fn returned a nil error, and fn's error message otherwise.
	response[Resp any] struct {
		ID   uint64
		Resp Resp
		Err  string
	}
)

// The envelope around every frame: magic, flags, then the payload's
// length as a big-endian uint32, then the payload, which is one or more
// gob messages. 0xF0 'p' 'p' is not valid UTF-8, so text a worker prints
// by mistake never looks like a frame.
var magic = [4]byte{0xF0, 'p', 'p', 1}

const (
	headerLen = 9
	// flagReset marks a frame that starts a new gob stream: the
	// sender's encoder failed on an earlier value and was replaced, so
	// the receiver must replace its decoder too.
	flagReset = 1
	// quoteLen is how many of the bytes that are not a frame an error
	// quotes.
	quoteLen = 64
)

// MaxFrame is the largest payload, in bytes, that a frame may carry, in
// either direction: a request or response whose gob encoding is larger
// is an error that sends nothing, and a header that claims more is
// corruption. It bounds what a corrupt length can make the reader wait
// for, and the reader allocates the payload as its bytes arrive, not all
// at once, so a corrupt length costs no more memory than the bytes that
// really came. 64 MiB is far more than a job should carry (send
// descriptions of work, not the data: see the package doc's Pitfalls).
const MaxFrame = 64 << 20

// A corruptError says the bytes read were not a valid frame: the peer
// wrote something that is not the protocol, or a frame that does not
// decode to the expected type.
type corruptError struct{ msg string }

func (e *corruptError) Error() string { return "corrupt stream: " + e.msg }

func corrupt(format string, args ...any) error {
	return &corruptError{fmt.Sprintf(format, args...)}
}

// An encodeError says a value could not be encoded with gob (an
// unregistered interface type, a nil pointer where gob needs a value,
// ...); nothing was written.
type encodeError struct{ err error }

func (e *encodeError) Error() string { return "encoding with gob: " + e.err.Error() }
func (e *encodeError) Unwrap() error { return e.err }

// frameWriter writes frames to w. It is used by one goroutine at a time.
type frameWriter struct {
	w     io.Writer
	max   int          // the largest payload it sends: MaxFrame
	buf   bytes.Buffer // the frame being built; enc writes into it
	enc   *gob.Encoder
	reset bool // the next frame starts a new gob stream
}

func newFrameWriter(w io.Writer) *frameWriter {
	fw := &frameWriter{w: w, max: MaxFrame}
	fw.enc = gob.NewEncoder(&fw.buf)
	return fw
}

// write encodes v as one frame and writes it with a single Write. If v
// cannot be encoded, or its frame would be over the limit, it returns an
// *encodeError and writes nothing (see encode). Any other error is the
// writer's.
func (fw *frameWriter) write(v any) error {
	if err := fw.encode(v); err != nil {
		return err
	}
	return fw.flush()
}

// encode encodes v as the next frame, which flush writes; encode must not
// be called again before it has (the gob stream would skip a frame). If v cannot be encoded, or its frame would be over the
// limit, it returns an *encodeError and there is no frame to flush; the
// gob encoder may then believe it has sent type definitions that were
// never written, so we replace it, and the next frame tells the reader to
// start afresh.
func (fw *frameWriter) encode(v any) error {
	fw.buf.Reset()
	fw.buf.Write(make([]byte, headerLen))
	err := fw.enc.Encode(v)
	if n := fw.buf.Len() - headerLen; err == nil && n > fw.max {
		err = fmt.Errorf("a frame of %d bytes is over the limit of %d (processpool.MaxFrame)", n, fw.max)
	}
	if err != nil {
		fw.drop()
		return &encodeError{err}
	}
	b := fw.buf.Bytes()
	copy(b, magic[:])
	if fw.reset {
		b[4] = flagReset
	}
	binary.BigEndian.PutUint32(b[5:headerLen], uint32(len(b)-headerLen))
	return nil
}

// size returns the size of the frame that encode made, header included.
func (fw *frameWriter) size() int { return fw.buf.Len() }

// drop forgets the frame that encode made, which will not be sent. The
// gob encoder believes it sent the type definitions in it, so, as after
// an encoding error, we replace it and the next frame starts a new stream.
func (fw *frameWriter) drop() {
	fw.buf.Reset()
	fw.enc = gob.NewEncoder(&fw.buf)
	fw.reset = true
}

// flush writes the frame that encode made, with a single Write.
func (fw *frameWriter) flush() error {
	if _, err := fw.w.Write(fw.buf.Bytes()); err != nil {
		return err
	}
	fw.reset = false
	return nil
}

// Who sent the frames a frameReader reads, for its errors.
const (
	fromWorker = "the worker" // the pool reads the worker's stdout
	fromParent = "the parent" // Serve reads its stdin
)

// frameReader reads frames from r. It is used by one goroutine at a time.
type frameReader struct {
	r       *bufio.Reader
	from    string // fromWorker or fromParent
	max     int    // the largest payload it accepts: MaxFrame
	payload []byte
	src     bytes.Reader // the current payload; dec reads from it
	dec     *gob.Decoder
}

// newFrameReader returns a reader of the frames that from (fromWorker or
// fromParent) writes to r. It buffers r, unless r is a *bufio.Reader
// already; nothing else may read from r.
func newFrameReader(r io.Reader, from string) *frameReader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	return &frameReader{r: br, from: from, max: MaxFrame}
}

// read reads one frame and decodes it into v, a pointer. It returns
// io.EOF if r ended cleanly before a frame, a *corruptError if the bytes
// are not a frame of v's type, and otherwise r's error (such as
// io.ErrUnexpectedEOF for a frame cut short).
//
// Because the header gives the payload's length, a decoder never waits
// for bytes beyond the frame: garbage is reported as soon as its first
// bytes arrive, instead of leaving gob waiting for a message that never
// ends. A length over the limit is reported before anything is
// allocated for it.
func (fr *frameReader) read(v any) error {
	var h [headerLen]byte
	if n, err := io.ReadFull(fr.r, h[:]); err != nil {
		// A few stray bytes and then the end of the stream: report
		// the stray bytes, which say more than "unexpected EOF".
		if errors.Is(err, io.ErrUnexpectedEOF) && !bytes.HasPrefix(magic[:], h[:min(n, len(magic))]) {
			return fr.outside(h[:n])
		}
		return err
	}
	if [4]byte(h[:4]) != magic {
		return fr.outside(h[:])
	}
	n := binary.BigEndian.Uint32(h[5:])
	if uint64(n) > uint64(fr.max) {
		return corrupt("a frame header from %s claims %d bytes, over the limit of %d (processpool.MaxFrame)",
			fr.from, n, fr.max)
	}
	if err := fr.readPayload(int(n)); err != nil {
		return err
	}
	fr.src.Reset(fr.payload)
	// A bytes.Reader is an io.ByteReader, so gob reads from it
	// directly, without a buffer that could read past this frame.
	if fr.dec == nil || h[4]&flagReset != 0 {
		fr.dec = gob.NewDecoder(&fr.src)
	}
	if err := fr.dec.Decode(v); err != nil {
		return corrupt("a frame from %s is not a %T: %v", fr.from, v, err)
	}
	if fr.src.Len() != 0 {
		return corrupt("%d bytes left over after a %T in a frame from %s", fr.src.Len(), v, fr.from)
	}
	return nil
}

// readPayload reads the n bytes of a frame's payload into fr.payload. It
// grows the buffer as the bytes arrive, doubling it, rather than
// allocating n bytes up front: a corrupt length under the limit, followed
// by a few bytes and the end of the stream, costs only those bytes.
func (fr *frameReader) readPayload(n int) error {
	fr.payload = fr.payload[:0]
	for len(fr.payload) < n {
		if len(fr.payload) == cap(fr.payload) {
			fr.payload = slices.Grow(fr.payload, min(n, max(2*cap(fr.payload), 4<<10))-len(fr.payload))
		}
		end := min(n, cap(fr.payload))
		m, err := io.ReadFull(fr.r, fr.payload[len(fr.payload):end])
		fr.payload = fr.payload[:len(fr.payload)+m]
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

// outside returns the error for bytes b, read where a frame header should
// be, that are not one: something wrote to the stream outside the
// protocol, such as a stray fmt.Println in a worker. It quotes b and the
// bytes already buffered after it, up to quoteLen bytes in all, and up to
// the first byte that could start a frame; it never waits for more.
func (fr *frameReader) outside(b []byte) error {
	more, _ := fr.r.Peek(min(fr.r.Buffered(), max(quoteLen-len(b), 0)))
	text := append(bytes.Clone(b), more...)
	if i := bytes.IndexByte(text[1:], magic[0]); i >= 0 {
		text = text[:i+1]
	}
	if fr.from == fromWorker {
		return corrupt("the worker wrote to its stdout outside the protocol "+
			"(stdout is the pool's: a worker must log to stderr): %q", text)
	}
	return corrupt("the parent wrote to the worker's stdin outside the protocol: %q", text)
}

// readResponse reads the response to request id.
func readResponse[Resp any](fr *frameReader, id uint64) (response[Resp], error) {
	var r response[Resp]
	if err := fr.read(&r); err != nil {
		return r, err
	}
	if r.ID != id {
		return r, corrupt("got the response to request %d, want %d", r.ID, id)
	}
	return r, nil
}
