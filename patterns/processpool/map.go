package processpool

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"
)

// Map sends every request in reqs to p, at most p's number of workers at
// a time, and returns the responses in input order: out[i] answers
// reqs[i], whatever order the jobs finish in.
//
// The first error wins, as in errgroup: the first job to fail (in time,
// not in input order) cancels the others, which kills the workers still
// running them ([Pool.Do]'s rule; their slots get fresh workers on their
// next job), starts no more, and Map returns that error, wrapped with the
// index of its request ("processpool: request 3: ..."), and nil responses. If
// ctx is done first, Map returns ctx.Err(). Map returns when every job it
// started has ended.
func Map[Req, Resp any](ctx context.Context, p *Pool[Req, Resp], reqs []Req) ([]Resp, error) {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(p.Workers())
	out := make([]Resp, len(reqs))
	for i, req := range reqs {
		if gctx.Err() != nil {
			break // a job failed, or ctx is done: start no more
		}
		g.Go(func() error {
			resp, err := p.Do(gctx, req)
			if err != nil {
				return fmt.Errorf("processpool: request %d: %w", i, err)
			}
			out[i] = resp
			return nil
		})
	}
	err := g.Wait()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}
