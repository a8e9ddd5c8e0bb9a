// Wrong: a sync.Mutex instead of a sync.RWMutex: correct, but readers wait for each other, one View at a time.
// No data race and no mix: every read and write is locked. But a Mutex
// lets one goroutine in at a time, readers included, so many readers of a
// read-mostly config take turns where they could all read at once.
// Caught by: TestViewsRunTogether
package rwmutex

import (
	"maps"
	"sync"
)

// A Store holds a configuration that many goroutines read while another
// replaces it.
type Store struct {
	mu  sync.Mutex // guards cfg; readers exclude each other too
	cfg map[string]string
}

// New returns a Store holding a copy of cfg.
func New(cfg map[string]string) *Store {
	return &Store{cfg: maps.Clone(cfg)}
}

// Get returns the value of key, and whether key is there.
func (s *Store) Get(key string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.cfg[key]
	return v, ok
}

// Snapshot returns a copy of the current configuration.
func (s *Store) Snapshot() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := make(map[string]string, len(s.cfg))
	maps.Copy(snap, s.cfg)
	return snap
}

// View calls fn with the current configuration under the lock.
func (s *Store) View(fn func(cfg map[string]string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s.cfg)
}

// Set sets key to value.
func (s *Store) Set(key, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg == nil {
		s.cfg = make(map[string]string)
	}
	s.cfg[key] = value
}

// Reload replaces the whole configuration with a copy of cfg.
func (s *Store) Reload(cfg map[string]string) {
	next := maps.Clone(cfg)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg = next
}
