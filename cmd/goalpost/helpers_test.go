package main

import (
	"log/slog"
	"os"
)

// Small helpers shared by this package's tests.

func writeFile(path, text string) error { return os.WriteFile(path, []byte(text), 0o600) }

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
