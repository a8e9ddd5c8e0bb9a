// Wrong: Set looks under the read lock, then calls Lock without letting go of it: an upgrade, which deadlocks.
// Lock waits until every reader has left, the goroutine that calls it
// included, so Set never returns once the value has to change.
// Caught by: TestSetChangesOneKey, TestSnapshotIsACopy, TestGetWhileReloadingIsRaceFree
package rwmutex

import (
	"maps"
	"sync"
)

// A Store holds a configuration that many goroutines read while another
// replaces it.
type Store struct {
	mu  sync.RWMutex // guards cfg
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

// Set sets key to value. It first looks under the read lock, so that
// setting a key to the value it already has keeps writers out of the way.
func (s *Store) Set(key, value string) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if v, ok := s.cfg[key]; ok && v == value {
		return
	}
	// wrong: an upgrade. Lock waits for every reader to leave, and this
	// goroutine is one of them: it waits for itself, for ever.
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
