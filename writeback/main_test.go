package writeback_test

import (
	"testing"

	"github.com/goalpost/goalpost/internal/store/pgtest"
)

// TestMain stops the PostgreSQL server the tests started, if any
// (GOALPOST_TEST_STORE=postgres runs them on PostgreSQL).
func TestMain(m *testing.M) { pgtest.Main(m) }
