// Wrong: Snapshot returns the Store's own map, not a copy, so the caller and the Store share it.
// Set changes that map in place, so a kept snapshot changes under its
// caller (and, with no lock, races with its reads); and a caller that
// changes its snapshot changes the Store, bypassing the lock.
// Caught by: TestSnapshotIsACopy
package rwmutex

import (
	"maps"
	"sync"
)

// A Store holds a configuration that many goroutines read while another
// replaces it.
type Store struct {
	mu  sync.RWMutex // guards cfg, but not once Snapshot has handed it out
	cfg map[string]string
}

// New returns a Store holding a copy of cfg.
func New(cfg map[string]string) *Store {
	return &Store{cfg: maps.Clone(cfg)}
}

// Get returns the value of key, and whether key is there.
func (s *Store) Get(key string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, ok := s.cfg[key]
	return v, ok
}

// Snapshot returns the current configuration.
func (s *Store) Snapshot() map[string]string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.cfg // wrong: the Store's own map, not a copy
}

// View calls fn with the current configuration under the read lock.
func (s *Store) View(fn func(cfg map[string]string)) {
	s.mu.RLock()
	defer s.mu.RUnlock()
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
