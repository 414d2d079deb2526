package store_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/goalpost/goalpost/internal/store"
)

// A path holding SQLite URI syntax ('#', '?', '%'), as a fuzz seed's
// temporary directory does, names its own file, not a truncated shared one.
func TestOpenPathWithURISyntax(t *testing.T) {
	for _, name := range []string{"seed#0", "a?b", "100%"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), name, "goalpost.db")
			st, err := store.Open(t.Context(), path, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if _, err := os.Stat(path); err != nil {
				t.Fatalf("database not at %s: %v", path, err)
			}
		})
	}
}
