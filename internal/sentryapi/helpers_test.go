package sentryapi

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// newHangingServer returns the URL of a server whose answers wait for
// release (or the client giving up).
func newHangingServer(t *testing.T, release <-chan struct{}) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// newRecordingServer returns the URL of a server that answers 200 and
// sends each request's User-Agent to seen.
func newRecordingServer(t *testing.T, seen chan<- string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case seen <- r.Header.Get("User-Agent"):
		default:
		}
		_, _ = w.Write([]byte(`{"id":"1","status":"resolved"}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
