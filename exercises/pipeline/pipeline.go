// Package pipeline fetches, parses and stores a list of web pages with a
// pipeline of goroutines: a few fetchers at once, then one parser, then
// one storer, joined by channels, stopped by the first error.
package pipeline

import "context"

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
	// TODO: panic if workers is less than 1.

	// TODO: start every stage in an errgroup with errgroup.WithContext,
	// so that the first error cancels ctx and g.Wait joins them all.

	// TODO: stage 1, the feeder, sends each url on a channel.

	// TODO: stage 2, the fan-out: workers fetchers receive urls from
	// that channel and send the pages on one shared channel.

	// TODO: the fan-in: close the pages channel once every fetcher is
	// done, and not before.

	// TODO: stage 3 parses each page as it arrives.

	// TODO: stage 4 stores each title as it arrives.

	// TODO: every send in a select with ctx.Done().
	return nil
}
