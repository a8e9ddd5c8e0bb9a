// Package taskqueue is a durable task queue on NATS JetStream: Go's take
// on what Celery with RabbitMQ, or RQ with Redis, do for Python. A
// producer enqueues jobs; workers, in this process or in any process that
// reaches the server, take them, run a handler on each and store its
// result; a job whose worker dies is done by another, and a job that
// keeps failing is set aside with its error.
//
// The server is a NATS server with JetStream: a real one (nats-server
// -js, or a cluster), reached with [Connect], or one embedded in this
// process with [StartEmbedded], with its store in a directory, so that a
// program needs no server installed.
//
//	srv, err := taskqueue.StartEmbedded(dir) // or nc, err := taskqueue.Connect("nats://host:4222")
//	...
//	defer srv.Shutdown()
//	nc, err := srv.Connect()
//	...
//	defer nc.Close()
//	q, err := taskqueue.Open(ctx, nc, taskqueue.Config{AckWait: time.Minute})
//	...
//	defer q.Close()
//	q.Enqueue(ctx, taskqueue.Job{ID: "resize-42", Data: []byte("photo-42.jpg")})
//
//	// In each worker (the same program, another one, on another machine):
//	w := &taskqueue.Worker{Queue: q, Handler: resize, Concurrency: 4}
//	err = w.Run(ctx) // until ctx is done
//
//	// Back in the producer:
//	results, err := q.Wait(ctx, "resize-42")
//
// # Contract in brief
//
// Delivery is at least once, and the effect once: every job enqueued is
// handled until a handler returns nil for it, or it has failed
// [Config.MaxDeliver] times; a job may be handled more than once (its
// worker crashed, or stopped, or let AckWait pass), but its result is
// stored under its ID, so a second result replaces the first, and the
// results hold one per job.
//
//   - [Queue.Enqueue] stores a job in the server before it returns. The
//     job's ID is its de-duplication key: a job enqueued again with the
//     same ID within [Config.Duplicates] is dropped, and Enqueue says so.
//   - [Worker.Run] pulls only as many jobs as it has free slots
//     ([Worker.Concurrency]), so a job never waits in a worker's buffer.
//     For each, it runs the handler in a goroutine, sends the server a
//     heartbeat ([Worker.Heartbeat]) while it runs, so that a long job is
//     not delivered again after AckWait, then stores the result, and only
//     then acks the job, waiting for the server to confirm the ack. A
//     handler's error naks the job with a growing delay
//     ([Worker.Backoff]); after MaxDeliver failed attempts the job goes to
//     the dead letters with the last error, and leaves the queue. A job
//     whose last attempt ended without an answer (its worker crashed) goes
//     there too, in one more delivery that the consumer allows for it.
//   - When Run's ctx is done, it stops pulling, cancels its handlers'
//     ctx, and naks their jobs at once, so that other workers get them
//     without waiting out AckWait. Run returns when every goroutine it
//     started has ended and the server has every ack and nak it sent.
//   - [Queue.Wait] returns the results of jobs, stored before or after it
//     began, in the order asked, and an error for each job that went to
//     the dead letters ([*DeadJob]).
//   - A job that is never acked, nak'ed or heartbeated for AckWait is
//     delivered again: a worker killed with SIGKILL, or one whose
//     connection broke, loses nothing but time.
//
// The goroutines: a Queue has none until Wait, which starts two consumers
// whose callbacks run in the connection's goroutines, until
// [Queue.Close]. Run's goroutines (one per job in flight and one per
// running handler) end before it returns. An embedded [Server] runs the
// server's goroutines until [Server.Shutdown], which waits for them.
//
// # Names on the server
//
// A queue named N (Config.Name, "TASKS" by default) is, on the server:
//
//   - the stream N, with WorkQueue retention, on the subject N.jobs: the
//     jobs waiting or in flight. Each message is a job: its data, and the
//     job's ID in the Nats-Msg-Id header;
//   - the durable consumer "workers" of N, with explicit acks, AckWait,
//     MaxDeliver+1 and MaxAckPending from the Config, which every worker
//     pulls from;
//   - the key-value bucket N_RESULTS (history 1), which maps each job's ID
//     to its result;
//   - the stream N_DEAD, on the subjects N.dead.<ID>: the dead letters,
//     each with the job's data and the headers Taskqueue-Job-Id,
//     Taskqueue-Attempts and Taskqueue-Error.
//
// Any NATS client, in any language, can enqueue a job (publish to N.jobs
// with a Nats-Msg-Id), read a result (get the key from N_RESULTS), or
// read the dead letters.
//
// # When to use
//
// Use a task queue when jobs must outlive the process that makes them:
// when the producer may exit before the work is done, when workers run
// on other machines, when a job must survive a crash of its worker or of
// the server, and when a job that fails must be tried again later or set
// aside. Within one process, a goroutine pool (errgroup with SetLimit,
// patterns/futures) does the same for a thousandth of the cost: a job
// here is a few hundred microseconds of round trips and disk writes (see
// the README's benchmarks). To use the cores of one machine from Go, use
// goroutines; for a process boundary on one machine, patterns/processpool.
//
// # Pitfalls
//
//   - Handlers must be idempotent. Delivery is at least once: a handler
//     that charged a card, then crashed before the ack, charges it again
//     on the next delivery. Make the side effect keyed by the job's ID,
//     or make it part of the result.
//   - AckWait must exceed a job, or the job is done twice at once. The
//     worker's heartbeats extend it while a handler runs; a handler that
//     blocks the whole process (a stop-the-world, a SIGSTOP) stops them
//     too.
//   - MaxDeliver counts deliveries, not failures: a crash, a stop of the
//     worker and a heartbeat missed each use one. Leave room.
//   - De-duplication lasts Config.Duplicates: a job enqueued again after
//     that window runs again, and its result replaces the first one.
//   - One queue, one set of settings: Open refuses a queue that exists
//     with another AckWait, MaxDeliver, retention, storage and so on,
//     rather than change it under the feet of the programs that use it.
//     A work-queue stream allows one consumer per subject: two queues on
//     the same stream would be two consumers, which the server refuses.
//   - The results bucket grows with every job: purge the keys whose
//     results have been read.
//   - Wait does not know what was never enqueued: give it a ctx with a
//     deadline if a job ID may be wrong.
//   - Run takes up to [Worker.PullWait] to return after its ctx is done:
//     a pull that is waiting on the server cannot be called back without
//     losing the jobs already on their way, so Run waits for it to end,
//     and naks what it brings.
//   - A panic in a handler ends the program, as an unrecovered panic in
//     any goroutine does; the job is delivered again after AckWait, and
//     if it panics every time, it ends in the dead letters.
package taskqueue
