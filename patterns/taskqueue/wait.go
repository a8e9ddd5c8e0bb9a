package taskqueue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"
)

// lookups is how many requests Wait has in flight at once when it looks
// up the outcomes stored before it began: enough to hide the round trips,
// few enough not to flood the server.
const lookups = 16

// errStopped is what a Wait gets when Close stops the hub it listens to.
var errStopped = errors.New("taskqueue: wait: the queue was closed")

// Wait blocks until each job of ids has an outcome, a result or a dead
// letter, and returns the results in the order of ids. If some jobs went
// to the dead letters, their results are nil and the error joins a
// [*DeadJob] for each (use errors.As). Outcomes stored before Wait began
// count, so Wait may be called before or after the jobs run. A job that
// has both a result and a dead letter (it died, was enqueued again and
// succeeded) counts as done if Wait sees the result first.
//
// If ctx ends first, Wait returns ctx.Err(); if [Queue.Close] is called
// before or meanwhile, an error. Wait knows nothing of jobs never
// enqueued: it waits for them until ctx ends.
//
// The first Wait starts listening to every result and dead letter the
// queue stores from then on (two consumers on the server, whose
// callbacks run in the connection's goroutines), for this Wait and every
// later one; [Queue.Close] stops it. Each Wait then costs two lookups per
// job, for the outcomes stored before it began, and may run concurrently
// with others.
func (q *Queue) Wait(ctx context.Context, ids ...string) ([][]byte, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	where := map[string][]int{} // each ID's indexes in ids
	for i, id := range ids {
		if err := checkID(id); err != nil {
			return nil, err
		}
		where[id] = append(where[id], i)
	}
	keys := slices.Sorted(maps.Keys(where))

	h, err := q.startHub(ctx)
	if err != nil {
		return nil, err
	}
	// We ask the hub for what is stored from now on, then look up what
	// was stored before. The hub passes on an outcome after the server
	// has stored it: either before we asked, and then the lookup, which
	// comes after, finds it; or after, and then the hub passes it to us.
	box := &mailbox{notify: make(chan struct{}, 1)}
	h.add(keys, box)
	defer h.remove(keys, box)
	found, err := q.lookUp(ctx, keys)
	if err != nil {
		return nil, err
	}
	box.put(found...)

	out := make([][]byte, len(ids))
	var died []error
	for {
		got, err := box.take()
		for _, o := range got {
			is, ok := where[o.id]
			if !ok {
				continue // seen already
			}
			delete(where, o.id)
			if o.dead != nil {
				died = append(died, o.dead)
				continue
			}
			for _, i := range is {
				out[i] = o.result
			}
		}
		switch {
		case len(where) == 0:
			return out, errors.Join(died...)
		case err != nil:
			return nil, err
		}
		select {
		case <-box.notify: // new outcomes
		case <-ctx.Done(): // the caller gave up
			return nil, ctx.Err()
		}
	}
}

// Close stops what Wait started: the listening to results and dead
// letters, and its consumers on the server; it returns once they are
// stopped. A Wait still running, and any Wait called after Close, returns
// an error. The other methods hold nothing and keep working. Close does
// not close the connection, which is the caller's. Calling Close again
// does nothing.
func (q *Queue) Close() {
	q.mu.Lock()
	h := q.hub
	q.hub = nil
	q.closed = true
	q.mu.Unlock()
	if h != nil {
		h.stop()
	}
}

// startHub returns the queue's hub, starting it if need be.
func (q *Queue) startHub(ctx context.Context) (*hub, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return nil, errStopped
	}
	if q.hub != nil {
		return q.hub, nil
	}
	h := &hub{resultPrefix: q.resultPrefix(), deadPrefix: q.deadSubject(""), wants: map[string][]*mailbox{}}
	for _, w := range []struct {
		stream  jetstream.Stream
		subject string
	}{{q.resultStream, q.resultPrefix() + ">"}, {q.dead, q.deadSubject(">")}} {
		// An ordered consumer starts again where it was if it loses its
		// place (a server restarted, a message missed), so that the hub
		// sees every message once, in order.
		c, err := w.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
			FilterSubjects: []string{w.subject},
			DeliverPolicy:  jetstream.DeliverNewPolicy,
		})
		if err == nil {
			var cc jetstream.ConsumeContext
			if cc, err = c.Consume(h.deliver); err == nil {
				h.consumers = append(h.consumers, cc)
				continue
			}
		}
		h.stop()
		return nil, fmt.Errorf("taskqueue: wait: listening to %s: %w", w.subject, err)
	}
	q.hub = h
	return h, nil
}

// resultPrefix begins the subject of every result: the bucket's stream
// stores each key on the subject $KV.<bucket>.<key>.
func (q *Queue) resultPrefix() string { return "$KV." + q.cfg.Name + "_RESULTS." }

// A hub passes the results and dead letters the queue stores to the
// Waits that want them. Its deliver runs in the consumers' goroutines.
type hub struct {
	resultPrefix string
	deadPrefix   string
	consumers    []jetstream.ConsumeContext

	mu      sync.Mutex            // protects wants and stopped
	wants   map[string][]*mailbox // by job ID, the mailboxes of the Waits that want it
	stopped bool
}

// add registers box for ids; on a stopped hub, it fails box at once (a
// Close between a Wait's startHub and its add).
func (h *hub) add(ids []string, box *mailbox) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		box.fail(errStopped)
		return
	}
	for _, id := range ids {
		h.wants[id] = append(h.wants[id], box)
	}
}

func (h *hub) remove(ids []string, box *mailbox) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, id := range ids {
		h.wants[id] = slices.DeleteFunc(h.wants[id], func(b *mailbox) bool { return b == box })
		if len(h.wants[id]) == 0 {
			delete(h.wants, id)
		}
	}
}

func (h *hub) deliver(m jetstream.Msg) {
	var o outcome
	if id, ok := strings.CutPrefix(m.Subject(), h.resultPrefix); ok {
		if m.Headers().Get("KV-Operation") != "" {
			return // a delete or a purge, not a result
		}
		o = outcome{id: id, result: m.Data()}
	} else if strings.HasPrefix(m.Subject(), h.deadPrefix) {
		d := deadJob(m.Headers(), m.Data())
		o = outcome{id: d.ID, dead: d}
	} else {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, box := range h.wants[o.id] {
		box.put(o)
	}
}

// stop stops the consumers, waits until deliver will not be called
// again, and fails the Waits still waiting.
func (h *hub) stop() {
	for _, cc := range h.consumers {
		cc.Stop()
		<-cc.Closed()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopped = true
	for _, boxes := range h.wants {
		for _, box := range boxes {
			box.fail(errStopped)
		}
	}
}

// An outcome is a job's result or its dead letter.
type outcome struct {
	id     string
	result []byte
	dead   *DeadJob
}

// A mailbox keeps the outcomes passed to one Wait.
type mailbox struct {
	notify chan struct{} // a token when outcomes arrive; 1 is enough, as take takes them all

	mu  sync.Mutex // protects got and err
	got []outcome
	err error // the hub stopped
}

func (b *mailbox) put(os ...outcome) {
	b.mu.Lock()
	for _, o := range os {
		if o.id != "" {
			b.got = append(b.got, o)
		}
	}
	b.mu.Unlock()
	b.wake()
}

func (b *mailbox) fail(err error) {
	b.mu.Lock()
	b.err = err
	b.mu.Unlock()
	b.wake()
}

func (b *mailbox) wake() {
	select {
	case b.notify <- struct{}{}: // Wait will look
	default: // a token is there already
	}
}

// take returns the outcomes put since the last take, and the error if
// the hub stopped.
func (b *mailbox) take() ([]outcome, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	got := b.got
	b.got = nil
	return got, b.err
}

// lookUp returns the outcomes stored for ids, in their order; those with
// none have id "".
func (q *Queue) lookUp(ctx context.Context, ids []string) ([]outcome, error) {
	found := make([]outcome, len(ids))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(lookups)
	for i, id := range ids {
		g.Go(func() error {
			m, err := q.last(ctx, q.resultStream, q.resultPrefix()+id)
			if err == nil && m.Header.Get("KV-Operation") == "" {
				found[i] = outcome{id: id, result: m.Data}
				return nil
			}
			if err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
				return fmt.Errorf("taskqueue: wait: result of %s: %w", id, err)
			}
			m, err = q.last(ctx, q.dead, q.deadSubject(id))
			if err == nil {
				found[i] = outcome{id: id, dead: deadJob(m.Header, m.Data)}
				return nil
			}
			if !errors.Is(err, jetstream.ErrMsgNotFound) {
				return fmt.Errorf("taskqueue: wait: dead letter of %s: %w", id, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return found, nil
}

// last returns the last message stored on subject in s, asking the
// stream's leader. The client's own GetLastMsgForSubject, and the
// bucket's Get, use a direct get where the stream allows it, which in a
// cluster a replica may answer before it has the newest message; then
// Wait could miss an outcome that the hub passed on before it asked.
func (q *Queue) last(ctx context.Context, s jetstream.Stream, subject string) (*jetstream.RawStreamMsg, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 5*time.Second) // the client's default for its own requests
		defer cancel()
	}
	req, err := json.Marshal(struct {
		LastBySubject string `json:"last_by_subj"`
	}{subject})
	if err != nil {
		return nil, err
	}
	reply, err := q.nc.RequestWithContext(ctx, "$JS.API.STREAM.MSG.GET."+s.CachedInfo().Config.Name, req)
	if err != nil {
		return nil, err
	}
	// The reply of $JS.API.STREAM.MSG.GET: a message, or an error; 10037
	// is "no message found".
	var resp struct {
		Error *struct {
			ErrCode     int    `json:"err_code"`
			Description string `json:"description"`
		} `json:"error"`
		Message *struct {
			Subject string    `json:"subject"`
			Seq     uint64    `json:"seq"`
			Header  []byte    `json:"hdrs"`
			Data    []byte    `json:"data"`
			Time    time.Time `json:"time"`
		} `json:"message"`
	}
	if err := json.Unmarshal(reply.Data, &resp); err != nil {
		return nil, fmt.Errorf("reading the reply to a message get: %w", err)
	}
	switch {
	case resp.Error != nil && resp.Error.ErrCode == 10037:
		return nil, jetstream.ErrMsgNotFound
	case resp.Error != nil:
		return nil, fmt.Errorf("getting the last message of %s: %s", subject, resp.Error.Description)
	case resp.Message == nil:
		return nil, jetstream.ErrInvalidJetStreamResponse
	}
	var h nats.Header
	if len(resp.Message.Header) > 0 {
		if h, err = nats.DecodeHeadersMsg(resp.Message.Header); err != nil {
			return nil, err
		}
	}
	return &jetstream.RawStreamMsg{
		Subject: resp.Message.Subject, Sequence: resp.Message.Seq,
		Header: h, Data: resp.Message.Data, Time: resp.Message.Time,
	}, nil
}
