// Wrong: the fan-in closes the pages channel as soon as the first fetcher is done, not all of them.
// With 25 urls and 4 workers, three fetchers find no url left at 6s and
// return; the channel is closed; the fourth, still fetching, sends at 7s
// and panics with "send on closed channel". (With sends that could not
// panic, its page would be lost.)
// Caught by: TestEveryPageOnce
package pipeline

import (
	"context"
	"fmt"
	"sync"

	"golang.org/x/sync/errgroup"
)

// A Fetcher returns the body of the page at url. Crawl calls it from
// several goroutines at once, so it must be safe for concurrent use. It
// should return promptly, with ctx.Err(), once ctx is done.
type Fetcher func(ctx context.Context, url string) (body string, err error)

// A Parser returns what we keep of the page at url: here, its title.
// Crawl calls it from one goroutine at a time.
type Parser func(url, body string) (title string, err error)

// A Storer stores the title of the page at url. Crawl calls it from one
// goroutine at a time, in no particular order of the urls. It should
// return promptly, with ctx.Err(), once ctx is done.
type Storer func(ctx context.Context, url, title string) error

// Crawl fetches, parses and stores each page in urls, once each: up to
// workers fetches at a time, each page parsed as soon as it is fetched
// and stored as soon as it is parsed. Parse and store are each called
// from a single goroutine, never concurrently with themselves.
//
// The first error wins: if fetch, parse or store fails, Crawl cancels the
// context it passes to fetch and store, starts no further call, and
// returns that error, wrapped with its stage and url ("fetch <url>: ...").
// If ctx is done first, it returns ctx.Err(). Crawl returns only once
// every goroutine it started has returned, so a fetch or store that does
// not watch ctx delays the return until it does return.
//
// Crawl panics if workers is less than 1.
func Crawl(ctx context.Context, urls []string, fetch Fetcher, parse Parser,
	store Storer, workers int) error {
	if workers < 1 {
		panic("pipeline: workers must be at least 1")
	}

	// Every stage is a goroutine of the group: the first error cancels
	// ctx, and g.Wait is the join point of them all.
	g, ctx := errgroup.WithContext(ctx)

	// Stage 1, the feeder, hands out the urls, one to each free fetcher.
	urlc := make(chan string)
	g.Go(func() error {
		defer close(urlc)
		for _, u := range urls {
			if !send(ctx, urlc, u) {
				return ctx.Err()
			}
		}
		return nil
	})

	// Stage 2, the fan-out: workers fetchers receive from the same
	// channel, so at most workers fetches run at once.
	pages := make(chan page)
	firstDone := make(chan struct{})
	var once sync.Once
	for range workers {
		g.Go(func() error {
			defer once.Do(func() { close(firstDone) })
			for u := range urlc {
				if err := ctx.Err(); err != nil {
					return err // an error elsewhere: fetch nothing more
				}
				body, err := fetch(ctx, u)
				if err != nil {
					return fmt.Errorf("fetch %s: %w", u, err)
				}
				if !send(ctx, pages, page{u, body}) {
					return ctx.Err()
				}
			}
			return nil
		})
	}

	// The fan-in: the fetchers share one output channel, and only the
	// goroutine that knows they are all done closes it.
	g.Go(func() error {
		<-firstDone
		close(pages)
		return nil
	})

	// Stage 3 parses each page as it arrives.
	titles := make(chan page)
	g.Go(func() error {
		defer close(titles)
		for p := range pages {
			if err := ctx.Err(); err != nil {
				return err
			}
			title, err := parse(p.url, p.body)
			if err != nil {
				return fmt.Errorf("parse %s: %w", p.url, err)
			}
			if !send(ctx, titles, page{p.url, title}) {
				return ctx.Err()
			}
		}
		return nil
	})

	// Stage 4 stores each title as it arrives.
	g.Go(func() error {
		for p := range titles {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := store(ctx, p.url, p.body); err != nil {
				return fmt.Errorf("store %s: %w", p.url, err)
			}
		}
		return nil
	})
	return g.Wait()
}

// A page is a url with its body, or, after the parser, its title.
type page struct {
	url, body string
}

// send sends v on out unless ctx is done first, and reports whether it
// sent. It looks at ctx first: when out is ready and ctx is done, both
// cases of the select are ready, and select picks one at random.
func send[T any](ctx context.Context, out chan<- T, v T) bool {
	if ctx.Err() != nil {
		return false
	}
	select {
	case out <- v: // the next stage took it
		return true
	case <-ctx.Done(): // cancelled: the next stage may be gone
		return false
	}
}
