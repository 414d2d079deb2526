package confval

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
)

// Check is one line of `goalpost doctor`: what was checked against a
// service, whether it passed, what was found, and the fix when it failed.
// Each connector's Doctor returns its checks; nothing is ever written.
type Check struct {
	Name   string // e.g. "github acme/api: deployments readable"
	OK     bool
	Detail string // what was found (a time zone, a field id, an error)
	Fix    string // what to change when !OK
}

// Probe runs one read-only call as the check name: ok with the call's
// detail, or failed with its error and the fix (FixFor).
func Probe(name, fix string, call func() (detail string, err error)) Check {
	detail, err := call()
	if err != nil {
		return Check{Name: name, Detail: err.Error(), Fix: FixFor(err, fix)}
	}
	return Check{Name: name, OK: true, Detail: detail}
}

// unreachableFix is the fix when the service never answered.
const unreachableFix = "goalpost could not reach the service: check base_url, DNS, proxy settings (HTTPS_PROXY) and the firewall"

// FixFor is fix, unless err says the service was never reached (DNS,
// refused or reset connection, timeout, TLS): then the fix is about the
// network, not the credentials.
func FixFor(err error, fix string) string {
	var (
		op      *net.OpError
		dns     *net.DNSError
		cert    *tls.CertificateVerificationError
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
		timeout interface{ Timeout() bool }
	)
	switch {
	case errors.As(err, &op), errors.As(err, &dns), errors.As(err, &cert), errors.As(err, &unknown), errors.As(err, &host),
		errors.Is(err, context.DeadlineExceeded), errors.As(err, &timeout) && timeout.Timeout():
		return unreachableFix
	}
	return fix
}
