// Wrong: Reload writes the new keys into the live map one at a time, under a lock for each, so a reader can see a mix.
// Each write is locked, so there is no data race; but the lock is free
// between two keys, and a reader waiting for it then gets in and sees
// part of the old config and part of the new.
// Caught by: TestReloadIsAllOrNothing
package rwmutex

import (
	"maps"
	"slices"
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

// Set sets key to value.
func (s *Store) Set(key, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg == nil {
		s.cfg = make(map[string]string)
	}
	s.cfg[key] = value
}

// Reload replaces the whole configuration with cfg, one key at a time, so
// that each key is locked only for as long as it takes to write it.
func (s *Store) Reload(cfg map[string]string) {
	// wrong: between two keys the lock is free, and a reader that gets in
	// then sees some keys of the new config and the rest of the old.
	for k, v := range cfg {
		s.set(k, v)
	}
	for _, k := range s.keys() {
		if _, ok := cfg[k]; !ok {
			s.delete(k)
		}
	}
}

// set sets key to value under the write lock.
func (s *Store) set(key, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg == nil {
		s.cfg = make(map[string]string)
	}
	s.cfg[key] = value
}

// delete deletes key under the write lock.
func (s *Store) delete(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.cfg, key)
}

// keys returns the keys of the configuration, under the read lock.
func (s *Store) keys() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Collect(maps.Keys(s.cfg))
}
