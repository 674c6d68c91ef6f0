package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"booty/internal/baseline"
	"booty/internal/sentry"
)

// baselineFlag makes the command serve the baseline on the address that
// follows it, as a process of its own, so that it and booty are measured
// the same way.
const baselineFlag = "-serve-baseline"

// baselineMaxBody is booty's default BOOTY_MAX_BODY_BYTES.
const baselineMaxBody = 1 << 20

// baselineHandler is the bare handler: read the body under booty's limit,
// verify the HMAC over the raw bytes (booty's own verifier), decode the fields booty uses, answer.
// It stores nothing and calls nothing.
func baselineHandler(secret string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("{}")) })
	mux.HandleFunc("POST /webhooks/sentry", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, baselineMaxBody))
		if err != nil {
			http.Error(w, `{"error":"body_too_large"}`, http.StatusRequestEntityTooLarge)
			return
		}
		if sentry.Verify([]byte(secret), body, r.Header.Get("Sentry-Hook-Signature")) != nil {
			http.Error(w, `{"error":"invalid_signature"}`, http.StatusUnauthorized)
			return
		}
		var p baseline.Payload
		if err := json.Unmarshal(body, &p); err != nil || p.Data.Event == nil {
			http.Error(w, `{"error":"invalid_payload"}`, http.StatusUnprocessableEntity)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte(`{"status":"accepted"}`))
	})
	return mux
}

// serveBaseline serves the baseline on addr until ctx ends.
func serveBaseline(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: baselineHandler(benchSecret), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
