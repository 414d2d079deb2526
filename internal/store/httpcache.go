package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// HTTP response cache bounds.
const (
	// MaxCachedBody is the largest response body CacheResponse keeps.
	MaxCachedBody = 2 << 20
	// CacheUnusedFor is how long an entry may go unread before it is pruned.
	CacheUnusedFor = 7 * 24 * time.Hour
	// maxCacheRows bounds the table whatever the ages (least recently used
	// rows go first).
	maxCacheRows = 20000
	// pruneEvery spaces the prunes CacheResponse runs; the first save of a
	// process prunes (a cron run prunes once).
	pruneEvery = time.Hour
	// touchEvery spaces the used_at updates of reads, so that reads rarely
	// write.
	touchEvery = 24 * time.Hour
)

// cacheRow is one http_cache row as read.
type cacheRow struct {
	ETag   string `db:"etag"`
	Header string `db:"header"`
	Body   []byte `db:"body"`
	Size   int64  `db:"size"`
	UsedAt int64  `db:"used_at"`
}

// CachedResponse returns the 200 answer saved for (source, key): its ETag,
// the headers to replay and the body (non-nil, possibly empty); ok is false
// when there is none. It marks the entry used (a write at most once a day per
// entry). It is safe for concurrent use, also by other processes sharing the
// database, and may wait on SQLite's busy timeout.
func (s *Store) CachedResponse(ctx context.Context, source, key string) (etag string, header http.Header, body []byte, ok bool, err error) {
	var row cacheRow
	err = s.db.GetContext(ctx, &row, `SELECT etag, header, body, size, used_at FROM http_cache WHERE source = ? AND key = ?`, source, key)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, nil, false, nil
	}
	if err != nil {
		return "", nil, nil, false, fmt.Errorf("cached response: %w", err)
	}
	header, body, err = row.decode()
	if err != nil {
		return "", nil, nil, false, fmt.Errorf("cached response: %w", err)
	}
	s.touchResponse(ctx, source, key, row.UsedAt)
	return row.ETag, header, body, true, nil
}

// touchResponse marks an entry used when it was last marked over a day ago.
// A failure only costs the entry some of its time before pruning: logged.
func (s *Store) touchResponse(ctx context.Context, source, key string, usedAt int64) {
	now := time.Now()
	if now.Sub(time.UnixMilli(usedAt)) < touchEvery {
		return
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE http_cache SET used_at = ? WHERE source = ? AND key = ?`,
		now.UnixMilli(), source, key); err != nil {
		s.log.Warn("mark cached response used", "source", source, "err", err)
	}
}

// CacheResponse saves (replacing) the 200 answer for (source, key). A body
// over MaxCachedBody, or an answer without ETag, is not kept: it removes the
// older entry instead. Every hour or so (and on the first save of a process)
// it also prunes entries unread for CacheUnusedFor; a failed prune is logged,
// not returned. Safe for concurrent use; it waits on SQLite's busy timeout.
func (s *Store) CacheResponse(ctx context.Context, source, key, etag string, header http.Header, body []byte) error {
	if etag == "" || len(body) > MaxCachedBody {
		return s.ForgetCachedResponse(ctx, source, key)
	}
	h, z, err := encodeResponse(header, body)
	if err != nil {
		return fmt.Errorf("cache response: %w", err)
	}
	now := time.Now().UnixMilli()
	_, err = s.db.ExecContext(ctx, `INSERT INTO http_cache (source, key, etag, header, body, size, updated_at, used_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (source, key) DO UPDATE SET etag = excluded.etag, header = excluded.header, body = excluded.body,
			size = excluded.size, updated_at = excluded.updated_at, used_at = excluded.used_at`,
		source, key, etag, h, z, len(body), now, now)
	if err != nil {
		return fmt.Errorf("cache response: %w", err)
	}
	s.maybePruneResponses(ctx)
	return nil
}

// ForgetCachedResponse removes the entry for (source, key), if any.
func (s *Store) ForgetCachedResponse(ctx context.Context, source, key string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM http_cache WHERE source = ? AND key = ?`, source, key); err != nil {
		return fmt.Errorf("forget cached response: %w", err)
	}
	return nil
}

// PruneResponseCache removes the entries last read before unusedSince, then
// the least recently used ones beyond the table's row bound. It returns how
// many it removed.
func (s *Store) PruneResponseCache(ctx context.Context, unusedSince time.Time) (int64, error) {
	old, err := s.db.ExecContext(ctx, `DELETE FROM http_cache WHERE used_at < ?`, unusedSince.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("prune response cache: %w", err)
	}
	over, err := s.db.ExecContext(ctx, `DELETE FROM http_cache WHERE (source, key) IN
		(SELECT source, key FROM http_cache ORDER BY used_at DESC, source, key LIMIT ? OFFSET ?)`, allRows, maxCacheRows)
	if err != nil {
		return 0, fmt.Errorf("prune response cache: %w", err)
	}
	a, _ := old.RowsAffected()
	b, _ := over.RowsAffected()
	return a + b, nil
}

// maybePruneResponses prunes when the last prune of this Store is over
// pruneEvery old; concurrent callers prune once.
func (s *Store) maybePruneResponses(ctx context.Context) {
	now := time.Now()
	last := s.cachePruned.Load()
	if now.UnixMilli()-last < pruneEvery.Milliseconds() || !s.cachePruned.CompareAndSwap(last, now.UnixMilli()) {
		return
	}
	if _, err := s.PruneResponseCache(ctx, now.Add(-CacheUnusedFor)); err != nil {
		s.log.Warn("prune response cache", "err", err)
	}
}

// encodeResponse is the header as JSON and the body gzipped.
func encodeResponse(header http.Header, body []byte) (string, []byte, error) {
	if header == nil {
		header = http.Header{}
	}
	h, err := json.Marshal(header)
	if err != nil {
		return "", nil, fmt.Errorf("encode header: %w", err)
	}
	var z bytes.Buffer
	zw, err := gzip.NewWriterLevel(&z, gzip.BestSpeed)
	if err != nil {
		return "", nil, fmt.Errorf("compress body: %w", err)
	}
	if _, err := zw.Write(body); err != nil {
		return "", nil, fmt.Errorf("compress body: %w", err)
	}
	if err := zw.Close(); err != nil {
		return "", nil, fmt.Errorf("compress body: %w", err)
	}
	return string(h), z.Bytes(), nil
}

// decode is the row's header and uncompressed body; a body that does not
// decompress to its recorded size is an error.
func (r cacheRow) decode() (http.Header, []byte, error) {
	var h http.Header
	if err := json.Unmarshal([]byte(r.Header), &h); err != nil {
		return nil, nil, fmt.Errorf("decode header: %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(r.Body))
	if err != nil {
		return nil, nil, fmt.Errorf("decompress body: %w", err)
	}
	body, err := io.ReadAll(io.LimitReader(zr, r.Size+1))
	if err != nil {
		return nil, nil, fmt.Errorf("decompress body: %w", err)
	}
	if int64(len(body)) != r.Size {
		return nil, nil, fmt.Errorf("decompress body: %d bytes, want %d", len(body), r.Size)
	}
	if h == nil {
		h = http.Header{}
	}
	return h, body, nil
}
