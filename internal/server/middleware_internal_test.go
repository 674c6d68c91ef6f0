package server

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	sentry "github.com/getsentry/sentry-go"
)

func TestRecoverPanics(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		handler  http.HandlerFunc
		wantCode int
		wantBody string
	}{
		{"panic before answering", func(http.ResponseWriter, *http.Request) { panic("boom") }, 500, `{"error":"internal"}` + "\n"},
		{"panic after answering", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusAccepted)
			_, _ = w.Write([]byte("partial"))
			panic("late boom")
		}, 202, "partial"},
		{"no panic", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }, 204, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			s := &Server{log: slog.New(slog.NewTextHandler(&logs, nil))}
			rec := httptest.NewRecorder()
			// A panic on any path logs it cut: the sender chose it.
			s.recoverPanics(tc.handler).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/"+strings.Repeat("p", 4096), nil))
			if rec.Code != tc.wantCode || rec.Body.String() != tc.wantBody {
				t.Errorf("got %d %q, want %d %q", rec.Code, rec.Body, tc.wantCode, tc.wantBody)
			}
			if got, want := strings.Contains(logs.String(), "handler panicked"), tc.wantCode != 204; got != want {
				t.Errorf("panic logged: got %v, want %v", got, want)
			}
			if strings.Contains(logs.String(), strings.Repeat("p", 129)) {
				t.Errorf("the request's path was logged whole:\n%.300s", logs.String())
			}
		})
	}
}

func TestRecoverPanicsLetsAbortHandlerThrough(t *testing.T) {
	t.Parallel()
	s := &Server{log: slog.New(slog.DiscardHandler)}
	defer func() {
		if p := recover(); p != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", p)
		}
	}()
	s.recoverPanics(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) })).
		ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/x", nil))
	t.Error("ErrAbortHandler was swallowed")
}

// BenchmarkMiddleware measures what the panic recovery and the Sentry
// middleware add to a request that reads a 4 KiB body, with reporting on
// (a client that never sends, since nothing is captured) and off.
func BenchmarkMiddleware(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 4<<10)
	read := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			b.Error(err)
		}
		w.WriteHeader(http.StatusAccepted)
	})
	client, err := sentry.NewClient(sentry.ClientOptions{Dsn: "http://key@127.0.0.1:9/1"})
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	for _, bc := range []struct {
		name string
		h    func(*Server) http.Handler
		hub  *sentry.Hub
	}{
		{"bare", func(*Server) http.Handler { return read }, nil},
		{"reporting off", func(s *Server) http.Handler { return s.recoverPanics(s.withSentry(read)) }, sentry.NewHub(nil, sentry.NewScope())},
		{"reporting on", func(s *Server) http.Handler { return s.recoverPanics(s.withSentry(read)) }, sentry.NewHub(client, sentry.NewScope())},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := &Server{log: slog.New(slog.DiscardHandler), hub: bc.hub}
			h := bc.h(s)
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/webhooks/sentry", bytes.NewReader(body))
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusAccepted {
					b.Fatalf("got %d", rec.Code)
				}
			}
		})
	}
}
