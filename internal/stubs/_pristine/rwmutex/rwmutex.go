// Package rwmutex is a configuration store that many goroutines read at
// once while a reloader replaces the configuration as a whole.
package rwmutex

// A Store holds a configuration, a set of string keys and values, that
// many goroutines read while another replaces it (a hot reload). It is safe
// for concurrent use. The zero value is an empty configuration, ready to
// use. A Store must not be copied after first use.
//
// Readers (Get, Snapshot, View) share the store: any number of them run at
// the same time. Writers (Set, Reload) have it to themselves: a writer waits
// for the readers already inside to leave, and while a writer waits, new
// readers wait for it, so a steady stream of readers cannot keep a reload
// out for ever.
//
// Every read sees a whole configuration: the one in place before a write,
// or the one after it, never a mix. Each write synchronizes before every
// read that starts after it has returned (see https://go.dev/ref/mem).
type Store struct {
	// TODO: the configuration, a map[string]string, and the sync.RWMutex
	// that guards it, in a named field (never embedded) with a comment
	// saying what it guards.
}

// New returns a Store holding a copy of cfg. The caller may go on using
// cfg: the Store does not share it.
func New(cfg map[string]string) *Store {
	// TODO: return a Store holding a copy of cfg (maps.Clone copies a map).
	return &Store{}
}

// Get returns the value of key in the current configuration, and whether
// key is there. It waits only while a writer holds the store or waits for
// it.
func (s *Store) Get(key string) (string, bool) {
	// TODO: look key up while holding the read lock.
	return "", false
}

// Snapshot returns a copy of the current configuration, never nil. The copy
// is the caller's: later writes to the Store do not change it, and changes
// the caller makes to it do not reach the Store.
func (s *Store) Snapshot() map[string]string {
	// TODO: copy the configuration into a new map while holding the read
	// lock, and return the copy.
	return nil
}

// View calls fn with the current configuration, holding the store's read
// lock while fn runs: fn reads many keys as one consistent whole, without
// copying them, while other readers run beside it. No write starts until
// fn returns, so fn should be quick.
//
// cfg may be nil when the configuration is empty. fn must not change cfg
// or keep it after it returns, and must not call s's methods: a second
// read lock waits for any writer that is waiting, and that writer waits for
// fn to return, so the call would never return.
func (s *Store) View(fn func(cfg map[string]string)) {
	// TODO: call fn with the configuration while holding the read lock.
}

// Set sets key to value in the current configuration. It waits until no
// reader or writer holds the store.
func (s *Store) Set(key, value string) {
	// TODO: holding the write lock, set key to value (the map may still be
	// nil in a zero Store).
}

// Reload replaces the whole configuration with a copy of cfg: keys missing
// from cfg are gone. Readers see the old configuration until Reload has the
// store, and the new one after; none sees part of each. The caller may go
// on using cfg. Reload waits until no reader or writer holds the store.
func (s *Store) Reload(cfg map[string]string) {
	// TODO: copy cfg before taking the lock, so that readers need not wait
	// for the copy; then, holding the write lock, put the copy in place of
	// the current map.
}
