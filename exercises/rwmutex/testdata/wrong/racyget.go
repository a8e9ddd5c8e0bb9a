// Wrong: Get reads the map without the read lock ("a read changes nothing"), racing with Reload.
// A read is a memory access like any other: with no lock, nothing orders it
// after a Reload's write, so the race detector reports it, and nothing
// guarantees what it reads.
// Caught by: TestGetWhileReloadingIsRaceFree
package rwmutex

import (
	"maps"
	"sync"
)

// A Store holds a configuration that many goroutines read while another
// replaces it.
type Store struct {
	mu  sync.RWMutex // guards cfg, but Get forgets
	cfg map[string]string
}

// New returns a Store holding a copy of cfg.
func New(cfg map[string]string) *Store {
	return &Store{cfg: maps.Clone(cfg)}
}

// Get returns the value of key, and whether key is there.
func (s *Store) Get(key string) (string, bool) {
	v, ok := s.cfg[key] // wrong: no RLock
	return v, ok
}

// Snapshot returns a copy of the current configuration.
func (s *Store) Snapshot() map[string]string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	snap := make(map[string]string, len(s.cfg))
	maps.Copy(snap, s.cfg)
	return snap
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
