package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// HookSecret returns the webhook signing secret kept for (source, id), ""
// when none is kept. Errors never contain the secret.
func (s *Store) HookSecret(ctx context.Context, source, id string) (string, error) {
	var v string
	err := s.db.GetContext(ctx, &v, `SELECT secret FROM hook_secrets WHERE source = ? AND id = ?`, source, id)
	if err = notFound(err); errors.Is(err, ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("hook secret %s/%s: %w", source, id, err)
	}
	return v, nil
}

// SetHookSecret keeps (or replaces) the signing secret of (source, id).
func (s *Store) SetHookSecret(ctx context.Context, source, id, secret string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO hook_secrets (source, id, secret, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (source, id) DO UPDATE SET secret = excluded.secret, updated_at = excluded.updated_at`,
		source, id, secret, time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("set hook secret %s/%s: %w", source, id, err)
	}
	return nil
}

// DeleteHookSecret forgets the signing secret of (source, id), so that the
// next handshake for it is accepted (a webhook registered anew). Deleting
// a secret that is not kept is not an error.
func (s *Store) DeleteHookSecret(ctx context.Context, source, id string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM hook_secrets WHERE source = ? AND id = ?`, source, id); err != nil {
		return fmt.Errorf("delete hook secret %s/%s: %w", source, id, err)
	}
	return nil
}
