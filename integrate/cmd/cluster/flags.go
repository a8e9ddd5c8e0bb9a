package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/concurrency-workbook/workbook/integrate/internal/report"
	"github.com/concurrency-workbook/workbook/patterns/taskqueue"
)

// command is what the cluster command is to the shared report package.
var command = report.Command{
	Name: "cluster",
	Usage: "usage: cluster [flags]\n" +
		"       cluster -worker -nats URL [-concurrency n]\n\n" +
		"Compute one integral serially and with its chunks as jobs on a NATS JetStream\n" +
		"queue, computed by worker processes on this machine or any other, and compare.",
	Modes:     []string{"serial", "cluster"},
	ModesHelp: "serial, cluster (a cold and a warm row)",
}

// The defaults of the queue's settings.
const (
	defaultQueue   = "INTEGRATE"
	defaultAckWait = 5 * time.Second
)

// flags are the cluster command's flags: the shared ones, and its own.
type flags struct {
	report.Config

	nats        string        // -nats: the server, or "" for an embedded one
	worker      bool          // -worker: be a worker
	child       bool          // -child: a worker this command started
	concurrency int           // -concurrency: a worker's chunks at once
	queue       string        // -queue: the queue's name
	ackWait     time.Duration // -ackwait
	replicas    int           // -replicas
}

// queueConfig is the queue the flags name.
func (f flags) queueConfig() taskqueue.Config {
	return taskqueue.Config{Name: f.queue, AckWait: f.ackWait, Replicas: f.replicas}
}

// The flags only a parent, and only a worker, may be given.
var (
	parentOnly = []string{"f", "a", "b", "n", "rule", "mode", "workers", "repeat", "json", "list",
		"timeline", "ascii", "width", "trace"}
	workerOnly = []string{"concurrency", "child"}
)

func parseFlags(args []string, stderr io.Writer) (flags, error) {
	fl := report.NewFlags(command, stderr)
	fs := fl.Set
	var f flags
	fs.StringVar(&f.nats, "nats", "", "the NATS server (nats://host:4222, or several, comma-separated); default: one embedded in this process")
	fs.BoolVar(&f.worker, "worker", false, "be a worker: compute the chunks of the queue on the -nats server, until Ctrl-C")
	fs.BoolVar(&f.child, "child", false, "with -worker: a worker this command started; it stops when its stdin closes")
	fs.IntVar(&f.concurrency, "concurrency", runtime.GOMAXPROCS(0), "with -worker: how many chunks it computes at once")
	fs.StringVar(&f.queue, "queue", defaultQueue, "the queue's `name` on the server (parent and workers alike)")
	fs.DurationVar(&f.ackWait, "ackwait", defaultAckWait, "how long the server waits for a worker's heartbeat before it gives its chunk to another")
	fs.IntVar(&f.replicas, "replicas", 1, "how many servers of a cluster keep the queue (1 to 5)")
	var err error
	f.Config, err = fl.Parse(args, func(report.Config) error {
		var set []string
		fs.Visit(func(fl *flag.Flag) { set = append(set, fl.Name) })
		mine, wrong := workerOnly, "-worker"
		if f.worker {
			mine, wrong = parentOnly, "the parent (without -worker)"
		}
		for _, name := range set {
			if slices.Contains(mine, name) {
				return fmt.Errorf("cluster: -%s is for %s", name, wrong)
			}
		}
		switch {
		case f.worker && f.nats == "":
			return errors.New("cluster: -worker needs -nats URL: the server the parent uses")
		case f.concurrency < 1:
			return fmt.Errorf("cluster: -concurrency %d: need at least 1", f.concurrency)
		case f.ackWait <= 0:
			return fmt.Errorf("cluster: -ackwait %v: need a positive duration", f.ackWait)
		case f.replicas < 1 || f.replicas > 5:
			return fmt.Errorf("cluster: -replicas %d: need 1 to 5", f.replicas)
		case strings.TrimSpace(f.nats) != f.nats:
			return fmt.Errorf("cluster: -nats %q: no spaces", f.nats)
		}
		return nil
	})
	return f, err
}

// urls returns the -nats servers, in order.
func (f flags) urls() []string { return strings.Split(f.nats, ",") }
