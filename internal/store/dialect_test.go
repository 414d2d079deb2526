package store_test

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/internal/store/pgtest"
	"github.com/goalpost/goalpost/internal/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// Every migration exists for both dialects, under the same file name:
// migrations/NNNNN_name.sql (SQLite) and migrations/postgres/NNNNN_name.sql
// (see README.md in this directory).
func TestMigrationsPerDialect(t *testing.T) {
	names := func(dir string) []string {
		t.Helper()
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			if !e.IsDir() && strings.HasSuffix(e.Name(), ".sql") {
				out = append(out, e.Name())
			}
		}
		return out
	}
	sqlite, pg := names("migrations"), names(filepath.Join("migrations", "postgres"))
	for _, n := range sqlite {
		if !slices.Contains(pg, n) {
			t.Errorf("migrations/%s has no PostgreSQL twin migrations/postgres/%s (see internal/store/README.md)", n, n)
		}
	}
	for _, n := range pg {
		if !slices.Contains(sqlite, n) {
			t.Errorf("migrations/postgres/%s has no SQLite twin migrations/%s (see internal/store/README.md)", n, n)
		}
	}
}

// Replicas starting together against one database migrate it once: the
// others wait on the advisory lock and find nothing left to apply.
func TestPostgresMigratesOnceUnderLock(t *testing.T) {
	dsn := pgtest.DSN(t, t.Name())
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			st, err := store.OpenPostgres(t.Context(), dsn, slog.New(slog.DiscardHandler))
			if err == nil {
				err = st.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: %v", i, err)
		}
	}
	st := storetest.OpenPostgres(t, t.Name())
	if st.Dialect() != "postgres" {
		t.Fatalf("dialect %q", st.Dialect())
	}
}

// Senders claiming at the same time (replicas, on PostgreSQL with row
// locks) each get different writes: every write is claimed exactly once.
func TestClaimWritesConcurrentSendersClaimOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(testing.TB) *store.Store) {
		st := open(t)
		const writes, senders = 60, 4
		for i := range writes {
			enq(t, st, fmt.Sprintf("notion:page:p%02d", i), "{}")
		}
		claimed := make([][]string, senders)
		var wg sync.WaitGroup
		for s := range senders {
			wg.Go(func() {
				for {
					ws, err := st.ClaimWrites(t.Context(), t0, time.Minute, 3)
					if err != nil {
						t.Error(err)
						return
					}
					if len(ws) == 0 {
						return
					}
					for _, w := range ws {
						claimed[s] = append(claimed[s], w.Target.String())
					}
				}
			})
		}
		wg.Wait()
		seen := map[string]int{}
		for _, c := range claimed {
			for _, target := range c {
				seen[target]++
			}
		}
		if len(seen) != writes {
			t.Fatalf("%d writes claimed, want %d", len(seen), writes)
		}
		for target, n := range seen {
			if n != 1 {
				t.Errorf("%s claimed %d times", target, n)
			}
		}
	})
}
