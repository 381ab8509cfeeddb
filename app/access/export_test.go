package access

import (
	"time"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/secret"
)

// Accessors and setters for the tests of package access_test only: the
// service's dependencies stay unexported in the program.

// DB is the service's database handle.
func (s *Service) DB() *gorm.DB { return s.db }

// Keys is the service's key ring.
func (s *Service) Keys() *secret.Keyring { return s.keys }

// SetKeys replaces the key ring (a rotation within a test).
func (s *Service) SetKeys(k *secret.Keyring) { s.keys = k }

// WithKeys is a copy of s on the same database with another key ring.
func (s *Service) WithKeys(k *secret.Keyring) *Service {
	c := *s
	c.keys = k
	return &c
}

// SetClock replaces the clock.
func (s *Service) SetClock(now func() time.Time) { s.clock = now }

// SetMaxClientsPerLink overrides MaxClientsPerLink; zero keeps it.
func (s *Service) SetMaxClientsPerLink(n int64) { s.maxClientsPerLink = n }

// SetSessionTimeouts sets the idle timeout and the lifetime of sessions.
func (s *Service) SetSessionTimeouts(idle, lifetime time.Duration) {
	s.sessionIdleTimeout, s.sessionLifetime = idle, lifetime
}

// SetResealBatch makes Reseal read n rows at a time until the returned
// function puts the batch size back. Not for parallel tests.
func SetResealBatch(n int) (restore func()) {
	old := resealBatch
	resealBatch = n
	return func() { resealBatch = old }
}
