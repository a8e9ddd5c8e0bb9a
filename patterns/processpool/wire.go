package processpool

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
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
	// maxFrame bounds the length a header may claim, so that a corrupt
	// header cannot make the reader allocate without limit.
	maxFrame = 1 << 30
)

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
	buf   bytes.Buffer // the frame being built; enc writes into it
	enc   *gob.Encoder
	reset bool // the next frame starts a new gob stream
}

func newFrameWriter(w io.Writer) *frameWriter {
	fw := &frameWriter{w: w}
	fw.enc = gob.NewEncoder(&fw.buf)
	return fw
}

// write encodes v as one frame and writes it with a single Write. If v
// cannot be encoded it returns an *encodeError and writes nothing; the
// gob encoder may then believe it has sent type definitions that were
// never written, so we replace it, and the next frame tells the reader to
// start afresh. Any other error is the writer's.
func (fw *frameWriter) write(v any) error {
	fw.buf.Reset()
	fw.buf.Write(make([]byte, headerLen))
	if err := fw.enc.Encode(v); err != nil {
		fw.enc = gob.NewEncoder(&fw.buf)
		fw.reset = true
		return &encodeError{err}
	}
	b := fw.buf.Bytes()
	copy(b, magic[:])
	if fw.reset {
		b[4] = flagReset
	}
	if len(b)-headerLen > maxFrame {
		return &encodeError{fmt.Errorf("frame of %d bytes is over the limit of %d", len(b)-headerLen, maxFrame)}
	}
	binary.BigEndian.PutUint32(b[5:headerLen], uint32(len(b)-headerLen))
	if _, err := fw.w.Write(b); err != nil {
		return err
	}
	fw.reset = false
	return nil
}

// frameReader reads frames from r. It is used by one goroutine at a time.
type frameReader struct {
	r       io.Reader
	payload []byte
	src     bytes.Reader // the current payload; dec reads from it
	dec     *gob.Decoder
}

func newFrameReader(r io.Reader) *frameReader { return &frameReader{r: r} }

// read reads one frame and decodes it into v, a pointer. It returns
// io.EOF if r ended cleanly before a frame, a *corruptError if the bytes
// are not a frame of v's type, and otherwise r's error (such as
// io.ErrUnexpectedEOF for a frame cut short).
//
// Because the header gives the payload's length, a decoder never waits
// for bytes beyond the frame: garbage is reported as soon as its first
// bytes arrive, instead of leaving gob waiting for a message that never
// ends.
func (fr *frameReader) read(v any) error {
	var h [headerLen]byte
	if n, err := io.ReadFull(fr.r, h[:]); err != nil {
		// A few stray bytes and then the end of the stream: report
		// the stray bytes, which say more than "unexpected EOF".
		if errors.Is(err, io.ErrUnexpectedEOF) && h[0] != magic[0] {
			return corrupt("not a frame: starts with %q", h[:n])
		}
		return err
	}
	if [4]byte(h[:4]) != magic {
		return corrupt("not a frame: starts with %q", h[:])
	}
	n := binary.BigEndian.Uint32(h[5:])
	if n > maxFrame {
		return corrupt("frame claims %d bytes, over the limit of %d", n, maxFrame)
	}
	if cap(fr.payload) < int(n) {
		fr.payload = make([]byte, n)
	}
	fr.payload = fr.payload[:n]
	if _, err := io.ReadFull(fr.r, fr.payload); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	fr.src.Reset(fr.payload)
	// A bytes.Reader is an io.ByteReader, so gob reads from it
	// directly, without a buffer that could read past this frame.
	if fr.dec == nil || h[4]&flagReset != 0 {
		fr.dec = gob.NewDecoder(&fr.src)
	}
	if err := fr.dec.Decode(v); err != nil {
		return corrupt("decoding a %T: %v", v, err)
	}
	if fr.src.Len() != 0 {
		return corrupt("%d bytes left over after a %T", fr.src.Len(), v)
	}
	return nil
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
