package taskqueue

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The defaults of [Config]'s fields.
const (
	DefaultName          = "TASKS"
	DefaultAckWait       = 30 * time.Second
	DefaultMaxDeliver    = 5
	DefaultMaxAckPending = 1000
	DefaultDuplicates    = 2 * time.Minute
)

// ConsumerName is the name of the queue's durable consumer, which every
// worker of the queue pulls from.
const ConsumerName = "workers"

// The headers of a dead letter, beside the job's data.
const (
	HeaderJobID    = "Taskqueue-Job-Id"
	HeaderAttempts = "Taskqueue-Attempts"
	HeaderError    = "Taskqueue-Error"
)

// ErrNoResult is returned by [Queue.Result] for a job that has no result
// (yet).
var ErrNoResult = errors.New("taskqueue: no result")

// A Config names a queue and sets how JetStream delivers its jobs. The
// zero value is the default queue, "TASKS". Every program that opens the
// same queue must use the same Config: [Open] refuses a queue that exists
// with other settings.
type Config struct {
	// Name names the queue's streams, subjects, consumer and bucket (see
	// the package doc); letters, digits, - and _ only. "" means
	// DefaultName.
	Name string

	// AckWait is how long the server waits for a worker's answer (an ack,
	// a nak, or a heartbeat while the job runs) before it delivers the
	// job again, to another worker. 0 means DefaultAckWait.
	AckWait time.Duration

	// MaxDeliver is how many attempts a job has: after MaxDeliver failed
	// attempts, it goes to the dead letters. 0 means DefaultMaxDeliver.
	// The consumer is made with MaxDeliver+1, one delivery more, in which
	// a worker moves a job whose last attempt ended without an answer (a
	// crash) to the dead letters.
	MaxDeliver int

	// MaxAckPending is how many jobs may be in flight at once, over all
	// the queue's workers: delivered and not yet acked or nak'ed. 0 means
	// DefaultMaxAckPending.
	MaxAckPending int

	// Duplicates is the window in which a job enqueued again with the same
	// ID is dropped as a duplicate. 0 means DefaultDuplicates.
	Duplicates time.Duration

	// Storage is where the server keeps the queue: jetstream.FileStorage
	// (the zero value) or jetstream.MemoryStorage.
	Storage jetstream.StorageType

	// Replicas is how many servers of a cluster keep each stream. 0 means 1.
	Replicas int
}

// withDefaults returns c with its zero fields set, or an error that names
// the first bad field.
func (c Config) withDefaults() (Config, error) {
	if c.Name == "" {
		c.Name = DefaultName
	}
	if !validName.MatchString(c.Name) {
		return c, fmt.Errorf("taskqueue: queue name %q: use letters, digits, - and _", c.Name)
	}
	for _, f := range []struct {
		name     string
		negative bool
		v        any
	}{
		{"AckWait", c.AckWait < 0, c.AckWait},
		{"MaxDeliver", c.MaxDeliver < 0, c.MaxDeliver},
		{"MaxAckPending", c.MaxAckPending < 0, c.MaxAckPending},
		{"Duplicates", c.Duplicates < 0, c.Duplicates},
		{"Replicas", c.Replicas < 0, c.Replicas},
	} {
		if f.negative {
			return c, fmt.Errorf("taskqueue: Config.%s is negative (%v)", f.name, f.v)
		}
	}
	c.AckWait = cmp.Or(c.AckWait, DefaultAckWait)
	c.MaxDeliver = cmp.Or(c.MaxDeliver, DefaultMaxDeliver)
	c.MaxAckPending = cmp.Or(c.MaxAckPending, DefaultMaxAckPending)
	c.Duplicates = cmp.Or(c.Duplicates, DefaultDuplicates)
	c.Replicas = cmp.Or(c.Replicas, 1)
	return c, nil
}

var (
	validName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	// A job ID is a key of the results bucket and the last tokens of a
	// dead letter's subject, so it must be valid as both.
	validID = regexp.MustCompile(`^[-/_=A-Za-z0-9]+(\.[-/_=A-Za-z0-9]+)*$`)
)

func checkID(id string) error {
	if !validID.MatchString(id) {
		return fmt.Errorf("taskqueue: job ID %q: use letters, digits and - _ = / . (a dot not first, last or twice in a row)", id)
	}
	return nil
}

// A Job is a unit of work: an ID and the data the handler needs.
type Job struct {
	// ID names the job. It is the job's de-duplication key (its
	// Nats-Msg-Id) and the key of its result. Letters, digits and
	// - _ = / . only.
	ID string

	// Data is what the handler gets; any bytes, up to the server's
	// maximum payload (1 MiB by default).
	Data []byte

	// Attempt is set by the worker for its handler: 1 the first time the
	// job is delivered, 2 the second, and so on. Enqueue ignores it.
	Attempt int
}

// A Queue is a durable queue of jobs on a NATS server with JetStream. It
// holds no connection of its own: the connection given to [Open] stays
// the caller's, to close after every call and every [Worker.Run] that
// uses the Queue has returned. It holds nothing else until the first
// [Queue.Wait], which starts listening for results until [Queue.Close]:
// call Close when done with a Queue that waited. A Queue may be used by
// several goroutines at once.
type Queue struct {
	nc      *nats.Conn
	js      jetstream.JetStream
	cfg     Config
	work    jetstream.Stream
	dead    jetstream.Stream
	cons    jetstream.Consumer
	results jetstream.KeyValue
	// resultStream is the stream that holds results: Wait reads it.
	resultStream jetstream.Stream

	mu     sync.Mutex // protects hub and closed
	hub    *hub       // started by the first Wait, stopped by Close
	closed bool       // Close was called
}

// Open opens the queue cfg names on the server nc is connected to,
// creating what is missing: the work-queue stream, the dead-letter stream,
// the results bucket and the consumer. Opening a queue that exists is how
// a worker or a producer joins it.
//
// Open returns an error, and creates nothing, if the server has no
// JetStream; and an error that names the setting if a stream, bucket or
// consumer of the queue exists with other settings than cfg's. With a ctx
// that has no deadline, each request to the server gives up after 5 s.
func Open(ctx context.Context, nc *nats.Conn, cfg Config) (*Queue, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("taskqueue: %w", err)
	}
	// We ask for the account first: a server without JetStream says so
	// at once, where a stream request would only time out.
	if _, err := js.AccountInfo(ctx); err != nil {
		if errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount) {
			return nil, fmt.Errorf("taskqueue: the NATS server%s has no JetStream: start it with JetStream enabled (nats-server -js): %w", at(nc), err)
		}
		return nil, fmt.Errorf("taskqueue: JetStream on the NATS server%s: %w", at(nc), err)
	}
	q := &Queue{nc: nc, js: js, cfg: cfg}
	q.work, err = q.stream(ctx, jetstream.StreamConfig{
		Name:       cfg.Name,
		Subjects:   []string{q.subject()},
		Retention:  jetstream.WorkQueuePolicy,
		Storage:    cfg.Storage,
		Replicas:   cfg.Replicas,
		Duplicates: cfg.Duplicates,
	})
	if err != nil {
		return nil, err
	}
	q.dead, err = q.stream(ctx, jetstream.StreamConfig{
		Name:       cfg.Name + "_DEAD",
		Subjects:   []string{cfg.Name + ".dead.>"},
		Retention:  jetstream.LimitsPolicy,
		Storage:    cfg.Storage,
		Replicas:   cfg.Replicas,
		Duplicates: cfg.Duplicates,
		// Wait reads a job's dead letter by its subject: a direct get
		// answers that without going through the stream's API.
		AllowDirect: true,
	})
	if err != nil {
		return nil, err
	}
	if q.results, err = q.bucket(ctx); err != nil {
		return nil, err
	}
	if q.cons, err = q.consumer(ctx); err != nil {
		return nil, err
	}
	return q, nil
}

// at names the server nc is connected to, for an error message.
func at(nc *nats.Conn) string {
	if nc.Opts.InProcessServer != nil {
		return " (in-process)"
	}
	if u := nc.ConnectedUrlRedacted(); u != "" {
		return " at " + u
	}
	return ""
}

// Config returns the queue's configuration, with the defaults filled in.
func (q *Queue) Config() Config { return q.cfg }

// subject is where jobs are published.
func (q *Queue) subject() string { return q.cfg.Name + ".jobs" }

// deadSubject is where the dead letter of job id is published.
func (q *Queue) deadSubject(id string) string { return q.cfg.Name + ".dead." + id }

// stream opens the stream want describes, creating it if missing, and
// checks the settings the queue relies on.
func (q *Queue) stream(ctx context.Context, want jetstream.StreamConfig) (jetstream.Stream, error) {
	s, err := q.js.Stream(ctx, want.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		s, err = q.js.CreateStream(ctx, want)
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			s, err = q.js.Stream(ctx, want.Name) // another Open made it first
		}
	}
	if err != nil {
		return nil, fmt.Errorf("taskqueue: stream %q: %w", want.Name, err)
	}
	got := s.CachedInfo().Config
	for _, d := range []struct {
		setting   string
		got, want any
	}{
		{"Retention", got.Retention, want.Retention},
		{"Subjects", got.Subjects, want.Subjects},
		{"Storage", got.Storage, want.Storage},
		{"Replicas", got.Replicas, want.Replicas},
		{"Duplicates", got.Duplicates, want.Duplicates},
	} {
		if fmt.Sprint(d.got) != fmt.Sprint(d.want) {
			return nil, fmt.Errorf("taskqueue: stream %q exists with %s %v; want %v (open it with its settings, or delete it)",
				want.Name, d.setting, d.got, d.want)
		}
	}
	return s, nil
}

// bucket opens the results bucket, creating it if missing.
func (q *Queue) bucket(ctx context.Context) (jetstream.KeyValue, error) {
	name := q.cfg.Name + "_RESULTS"
	kv, err := q.js.KeyValue(ctx, name)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = q.js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:   name,
			History:  1, // a job's second result replaces its first
			Storage:  q.cfg.Storage,
			Replicas: q.cfg.Replicas,
		})
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = q.js.KeyValue(ctx, name)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("taskqueue: results bucket %q: %w", name, err)
	}
	st, err := kv.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("taskqueue: results bucket %q: %w", name, err)
	}
	if st.History() != 1 {
		return nil, fmt.Errorf("taskqueue: results bucket %q exists with History %d; want 1 (delete it)", name, st.History())
	}
	if q.resultStream, err = q.js.Stream(ctx, "KV_"+name); err != nil {
		return nil, fmt.Errorf("taskqueue: results bucket %q: %w", name, err)
	}
	return kv, nil
}

// consumer opens the queue's durable consumer, creating it if missing.
func (q *Queue) consumer(ctx context.Context) (jetstream.Consumer, error) {
	want := jetstream.ConsumerConfig{
		Durable:       ConsumerName,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       q.cfg.AckWait,
		MaxDeliver:    q.cfg.MaxDeliver + 1, // the extra one moves a crashed job to the dead letters
		MaxAckPending: q.cfg.MaxAckPending,
		FilterSubject: q.subject(),
	}
	c, err := q.js.Consumer(ctx, q.cfg.Name, ConsumerName)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		c, err = q.js.CreateConsumer(ctx, q.cfg.Name, want)
		if errors.Is(err, jetstream.ErrConsumerExists) {
			c, err = q.js.Consumer(ctx, q.cfg.Name, ConsumerName)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("taskqueue: consumer %q of stream %q: %w", ConsumerName, q.cfg.Name, err)
	}
	got := c.CachedInfo().Config
	for _, d := range []struct {
		setting   string
		got, want any
	}{
		{"AckPolicy", got.AckPolicy, want.AckPolicy},
		{"AckWait", got.AckWait, want.AckWait},
		{"MaxDeliver", got.MaxDeliver, want.MaxDeliver},
		{"MaxAckPending", got.MaxAckPending, want.MaxAckPending},
		{"FilterSubject", got.FilterSubject, want.FilterSubject},
	} {
		if d.got != d.want {
			return nil, fmt.Errorf("taskqueue: consumer %q of stream %q exists with %s %v; want %v (open it with its settings, or delete it)",
				ConsumerName, q.cfg.Name, d.setting, d.got, d.want)
		}
	}
	return c, nil
}

// Enqueue adds job to the queue and returns once the server has stored
// it: true if it did, false if it dropped job as a duplicate of a job
// with the same ID enqueued within [Config.Duplicates]. A job enqueued
// again after that window is a new job, and runs again.
//
// Enqueue returns an error, and enqueues nothing, if job.ID is not a
// valid ID or ctx ends first; an error with a nil ctx error means the
// server may or may not have stored the job, and enqueueing it again is
// safe, for the ID makes the second a duplicate.
func (q *Queue) Enqueue(ctx context.Context, job Job) (bool, error) {
	if err := checkID(job.ID); err != nil {
		return false, err
	}
	ack, err := q.js.Publish(ctx, q.subject(), job.Data,
		jetstream.WithMsgID(job.ID), jetstream.WithExpectStream(q.cfg.Name))
	if err != nil {
		return false, fmt.Errorf("taskqueue: enqueue %s: %w", job.ID, err)
	}
	return !ack.Duplicate, nil
}

// Result returns the result the handler returned for job id, or an error
// matching [ErrNoResult] if there is none yet.
func (q *Queue) Result(ctx context.Context, id string) ([]byte, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	e, err := q.results.Get(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, fmt.Errorf("taskqueue: job %s: %w", id, ErrNoResult)
	}
	if err != nil {
		return nil, fmt.Errorf("taskqueue: result of %s: %w", id, err)
	}
	return e.Value(), nil
}

// A DeadJob is a job that failed [Config.MaxDeliver] times, as kept in the
// dead-letter stream. Its Attempt is the number of attempts it had. As an
// error, [Queue.Wait] returns it for a job that died.
type DeadJob struct {
	Job
	Err string // the last attempt's error, on one line
}

func (d *DeadJob) Error() string {
	return fmt.Sprintf("taskqueue: job %s went to the dead letters after %d attempts; last error: %s", d.ID, d.Attempt, d.Err)
}

// deadJob reads a dead letter.
func deadJob(h nats.Header, data []byte) *DeadJob {
	n, _ := strconv.Atoi(h.Get(HeaderAttempts))
	return &DeadJob{Job: Job{ID: h.Get(HeaderJobID), Data: data, Attempt: n}, Err: h.Get(HeaderError)}
}

// oneLine makes s fit in a header: a line break would end it.
func oneLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

// DeadLetters returns the jobs in the dead-letter stream, oldest first.
// They stay there: the stream is the record, to inspect, enqueue again
// (under the same ID, once the Duplicates window has passed, or a new
// one) or purge.
func (q *Queue) DeadLetters(ctx context.Context) ([]DeadJob, error) {
	info, err := q.dead.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("taskqueue: dead letters: %w", err)
	}
	var out []DeadJob
	for seq := info.State.FirstSeq; seq > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := q.dead.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue // deleted
		}
		if err != nil {
			return nil, fmt.Errorf("taskqueue: dead letters: %w", err)
		}
		out = append(out, *deadJob(m.Header, m.Data))
	}
	return out, nil
}

// Stats counts the queue's jobs, as the server sees them at one moment.
type Stats struct {
	Queued   int // in the work-queue stream: waiting or in flight
	Pending  int // waiting: Queued - InFlight
	InFlight int // delivered to a worker and not yet acked (a nak'ed job waiting for its delay counts here too)
	Dead     int // in the dead-letter stream
}

// Stats returns the queue's counts. They come from three requests to the
// server, a moment apart.
func (q *Queue) Stats(ctx context.Context) (Stats, error) {
	w, err := q.work.Info(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("taskqueue: stats: %w", err)
	}
	c, err := q.cons.Info(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("taskqueue: stats: %w", err)
	}
	d, err := q.dead.Info(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("taskqueue: stats: %w", err)
	}
	// The consumer's own count of pending messages is updated after the
	// stream's, so we count from the stream.
	return Stats{
		Queued:   int(w.State.Msgs),
		Pending:  max(int(w.State.Msgs)-c.NumAckPending, 0),
		InFlight: c.NumAckPending,
		Dead:     int(d.State.Msgs),
	}, nil
}
