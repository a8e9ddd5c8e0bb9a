// Wrong: Set returns early, without Unlock, when the key already has the value, so the write lock stays held and every later call waits forever.
// It unlocks by hand at its end, and the shortcut skips that line.
// Caught by: TestSetChangesOneKey
package rwmutex

import (
	"maps"
	"sync"
)

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
	// mu guards cfg, the map and its contents: read-locked to read them,
	// locked to change or replace them. Reload swaps in a new map; Set
	// changes the current one in place.
	mu  sync.RWMutex
	cfg map[string]string // nil while the configuration is empty
}

// New returns a Store holding a copy of cfg. The caller may go on using
// cfg: the Store does not share it.
func New(cfg map[string]string) *Store {
	return &Store{cfg: maps.Clone(cfg)}
}

// Get returns the value of key in the current configuration, and whether
// key is there. It waits only while a writer holds the store or waits for
// it.
func (s *Store) Get(key string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, ok := s.cfg[key]
	return v, ok
}

// Snapshot returns a copy of the current configuration, never nil. The copy
// is the caller's: later writes to the Store do not change it, and changes
// the caller makes to it do not reach the Store.
func (s *Store) Snapshot() map[string]string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	snap := make(map[string]string, len(s.cfg))
	maps.Copy(snap, s.cfg)
	return snap
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
	s.mu.RLock()
	defer s.mu.RUnlock()
	fn(s.cfg)
}

// Set sets key to value in the current configuration.
func (s *Store) Set(key, value string) {
	s.mu.Lock()
	if v, ok := s.cfg[key]; ok && v == value {
		return // nothing to change, but still holding the lock
	}
	if s.cfg == nil {
		s.cfg = make(map[string]string)
	}
	s.cfg[key] = value
	s.mu.Unlock()
}

// Reload replaces the whole configuration with a copy of cfg: keys missing
// from cfg are gone. Readers see the old configuration until Reload has the
// store, and the new one after; none sees part of each. The caller may go
// on using cfg. Reload waits until no reader or writer holds the store.
func (s *Store) Reload(cfg map[string]string) {
	// We copy before we lock: the copy may be long, and readers do not
	// have to wait for it. Under the lock we only swap one map for another.
	next := maps.Clone(cfg)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg = next
}
