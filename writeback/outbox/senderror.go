package outbox

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// SendError is a sink's verdict on one failed send, the way writeback.Sender
// reads it: Permanent parks the write; otherwise it is retried, not before
// Wait when that is set (the service's Retry-After).
type SendError struct {
	Err   error
	Perm  bool
	After time.Duration
}

func (e *SendError) Error() string       { return e.Err.Error() }
func (e *SendError) Unwrap() error       { return e.Err }
func (e *SendError) Permanent() bool     { return e.Perm }
func (e *SendError) Wait() time.Duration { return e.After }

// Permanent marks err as a send that can never succeed as it is.
func Permanent(err error) error { return &SendError{Err: err, Perm: true} }

// Fingerprint identifies a sink's endpoint and credential (the credential
// only through a hash), so parked writes are retried when either changes.
func Fingerprint(endpoint, credential string) string {
	cred := sha256.Sum256([]byte(credential))
	sum := sha256.Sum256(fmt.Appendf(nil, "%s|%x", endpoint, cred))
	return hex.EncodeToString(sum[:8])
}
