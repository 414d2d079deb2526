package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// TableCount is how many rows one table holds in the source and, after the
// copy, in the destination.
type TableCount struct {
	Table  string
	Source int
	Copied int
}

// copyBatch is how many rows one INSERT carries (PostgreSQL takes at most
// 65535 parameters per statement).
const copyBatch = 200

// CopyTo copies every table of s (but the migrations' bookkeeping) into
// dst, which must be migrated and empty, in one transaction of dst: an
// install moves from SQLite to PostgreSQL (or back) with its events,
// key-result state, snapshots, outbox and reports. It returns each table's
// rows in s and in dst after the copy; a difference is an error. Stop
// every goalpost process using s while it runs.
func (s *Store) CopyTo(ctx context.Context, dst *Store) ([]TableCount, error) {
	tables, err := s.tables(ctx)
	if err != nil {
		return nil, err
	}
	have, err := dst.tables(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range tables {
		if !slices.Contains(have, t) {
			return nil, fmt.Errorf("copy: table %s missing in the destination (migrate it with the same goalpost)", t)
		}
		if n, err := dst.count(ctx, t); err != nil || n > 0 {
			return nil, fmt.Errorf("copy: the destination is not empty (%s has %d rows): %w", t, n, err)
		}
	}
	out := make([]TableCount, 0, len(tables))
	err = dst.inTx(ctx, func(tx *Tx) error {
		for _, t := range tables {
			n, err := s.copyTable(ctx, tx, t)
			if err != nil {
				return fmt.Errorf("copy %s: %w", t, err)
			}
			out = append(out, TableCount{Table: t, Source: n})
		}
		return dst.restartIdentities(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	for i, c := range out {
		if out[i].Copied, err = dst.count(ctx, c.Table); err != nil {
			return nil, err
		}
		if out[i].Copied != c.Source {
			return out, fmt.Errorf("copy %s: %d rows in the source, %d in the destination", c.Table, c.Source, out[i].Copied)
		}
	}
	return out, nil
}

// tables lists the store's tables but goose's, by name.
func (s *Store) tables(ctx context.Context) ([]string, error) {
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'goose_db_version' ORDER BY name`
	if s.db.dialect == postgresDialect {
		q = `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename != 'goose_db_version' ORDER BY tablename`
	}
	var out []string
	if err := s.db.SelectContext(ctx, &out, q); err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	return out, nil
}

func (s *Store) count(ctx context.Context, table string) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM `+table)
	return n, err
}

// copyTable reads table from s and inserts its rows through tx, in
// batches; it returns how many rows it read.
func (s *Store) copyTable(ctx context.Context, tx *Tx, table string) (int, error) {
	rows, err := s.db.QueryxContext(ctx, `SELECT * FROM `+table)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	n := 0
	batch := make([]any, 0, copyBatch*len(cols))
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		one := `(?` + strings.Repeat(", ?", len(cols)-1) + `)`
		q := `INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `) VALUES ` +
			one + strings.Repeat(", "+one, len(batch)/len(cols)-1)
		_, err := tx.tx.ExecContext(ctx, q, batch...)
		batch = batch[:0]
		return err
	}
	for rows.Next() {
		vals, err := rows.SliceScan()
		if err != nil {
			return n, err
		}
		batch = append(batch, vals...)
		n++
		if n%copyBatch == 0 {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	return n, flush()
}

// restartIdentities moves PostgreSQL's identity sequences past the copied
// rows, so that the next event stored gets the next stored_seq.
func (s *Store) restartIdentities(ctx context.Context, tx *Tx) error {
	if s.db.dialect != postgresDialect {
		return nil
	}
	var cols []struct {
		Table  string `db:"table_name"`
		Column string `db:"column_name"`
	}
	if err := tx.tx.SelectContext(ctx, &cols, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND is_identity = 'YES'`); err != nil {
		return fmt.Errorf("identity columns: %w", err)
	}
	for _, c := range cols {
		if _, err := tx.tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('`+c.Table+`', '`+c.Column+`'),
			COALESCE((SELECT MAX(`+c.Column+`) FROM `+c.Table+`), 0) + 1, false)`); err != nil {
			return fmt.Errorf("restart %s.%s: %w", c.Table, c.Column, err)
		}
	}
	return nil
}
