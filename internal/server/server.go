// Package server is goalpost's two HTTP listeners. The public one (New)
// serves webhook receivers mounted at /webhooks/<source>, /healthz (process
// up) and /readyz (stream and store ready, not draining), and nothing else: a page asked
// of it is 404. The admin one (NewAdmin) serves /metrics (Prometheus), the
// dashboard and the JSON API, each behind its optional credentials (see
// Auth). Both bound request bodies and times and shut down within a bounded
// time.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goalpost/goalpost/internal/metrics"
)

// ReadyCheck reports whether a dependency is ready; it must return quickly.
type ReadyCheck func(ctx context.Context) error

// Options configure a Server.
type Options struct {
	Listen          string
	MaxBodyBytes    int64
	ReadTimeout     time.Duration
	WriteTimeout    time.Duration
	ShutdownTimeout time.Duration
	// Deliveries, if set, records every accepted webhook delivery.
	Deliveries *Deliveries
}

// Server is the HTTP server.
type Server struct {
	opt     Options
	mux     *http.ServeMux
	handler http.Handler
	log     *slog.Logger

	mu       sync.Mutex
	addr     string
	up       chan struct{}
	draining atomic.Pointer[string] // why /readyz says not ready whatever the checks say
}

// New builds the public routes. webhooks maps a source name to its
// receiver.
func New(opt Options, webhooks map[string]http.Handler, ready map[string]ReadyCheck, m *metrics.Metrics, log *slog.Logger) *Server {
	mux := http.NewServeMux()
	for source, h := range webhooks {
		mux.Handle("/webhooks/"+source, webhook(source, h, opt.MaxBodyBytes, m, opt.Deliveries))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	s := newServer(opt, mux, log)
	mux.Handle("GET /readyz", readyz(ready, &s.draining))
	return s
}

func newServer(opt Options, mux *http.ServeMux, log *slog.Logger) *Server {
	return &Server{opt: opt, mux: mux, handler: mux, log: log, up: make(chan struct{})}
}

// Drain makes /readyz answer 503 "not ready: draining: <reason>" from now
// on, while the server keeps serving until Run's context ends: a load
// balancer polling /readyz stops sending webhooks before the listener
// closes. It never blocks and may be called more than once.
func (s *Server) Drain(reason string) { s.draining.Store(&reason) }

// Handler returns the routes (for tests with httptest).
func (s *Server) Handler() http.Handler { return s.handler }

// Run listens and serves until ctx ends, then shuts down, waiting at most
// ShutdownTimeout for requests in flight.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.opt.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", s.opt.Listen, err)
	}
	s.mu.Lock()
	s.addr = ln.Addr().String()
	s.mu.Unlock()
	close(s.up)
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.opt.ReadTimeout,
		ReadTimeout:       s.opt.ReadTimeout,
		WriteTimeout:      s.opt.WriteTimeout,
		IdleTimeout:       time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opt.ShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	<-errc
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// Addr waits until the server listens and returns its address.
func (s *Server) Addr(ctx context.Context) (string, error) {
	select {
	case <-s.up:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr, nil
}

// webhook wraps a receiver: POST (and HEAD, which Trello sends to check a
// callback URL before creating a webhook; receivers answer it or refuse it),
// body bounded (413 beyond the limit, enforced by http.MaxBytesReader as
// the receiver reads), responses counted.
func webhook(source string, h http.Handler, limit int64, m *metrics.Metrics, d *Deliveries) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		defer func() {
			m.Webhook(source, rec.code)
			if r.Method == http.MethodPost && rec.code < 300 {
				d.Record(source)
			}
		}()
		if r.Method == http.MethodHead {
			h.ServeHTTP(rec, r)
			return
		}
		if r.Method != http.MethodPost {
			rec.Header().Set("Allow", http.MethodPost)
			http.Error(rec, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if r.ContentLength > limit {
			http.Error(rec, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(rec, r.Body, limit)
		h.ServeHTTP(rec, r)
	})
}

func readyz(checks map[string]ReadyCheck, draining *atomic.Pointer[string]) http.Handler {
	names := make([]string, 0, len(checks))
	for n := range checks {
		names = append(names, n)
	}
	sort.Strings(names)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if reason := draining.Load(); reason != nil {
			http.Error(w, "not ready: draining: "+*reason, http.StatusServiceUnavailable)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		var failed []string
		for _, n := range names {
			if err := checks[n](ctx); err != nil {
				failed = append(failed, n+": "+err.Error())
			}
		}
		if len(failed) > 0 {
			http.Error(w, "not ready: "+strings.Join(failed, "; "), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
}

type statusRecorder struct {
	http.ResponseWriter
	code    int
	written bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.written {
		s.code, s.written = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.written = true
	return s.ResponseWriter.Write(b)
}
