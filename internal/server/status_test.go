package server_test

import (
	"net/http"
	"testing"

	"booty/internal/server"
)

// TestStatusMounted checks that the status handler gets /, /problems/ and
// /api/v1/ when set, whatever the method, and that they are unrouted when
// it is not.
func TestStatusMounted(t *testing.T) {
	t.Parallel()
	status := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Status", r.Method+" "+r.URL.Path)
		w.WriteHeader(http.StatusTeapot)
	})
	on := setup(t, setupOptions{opts: server.Options{Status: status}})
	off := setup(t, setupOptions{})
	for _, tc := range []struct {
		method, path string
		on           bool // the status handler answers it
	}{
		{http.MethodGet, "/", true},
		{http.MethodPost, "/", true},
		{http.MethodGet, "/problems/sentry:1", true},
		{http.MethodGet, "/api/v1/problems", true},
		{http.MethodGet, "/api/v1/problems/sentry:1", true},
		{http.MethodGet, "/health", false},
		{http.MethodGet, "/elsewhere", false},
	} {
		rec := on.do(t, tc.method, tc.path, nil, nil)
		if got := rec.Header().Get("X-Status") != ""; got != tc.on {
			t.Errorf("with a status page, %s %s reached it: %v, want %v (%d)", tc.method, tc.path, got, tc.on, rec.Code)
		}
		if tc.on {
			if rec := off.do(t, tc.method, tc.path, nil, nil); rec.Code != http.StatusNotFound && rec.Code != http.StatusMethodNotAllowed {
				t.Errorf("without a status page, %s %s: %d, want 404 or 405", tc.method, tc.path, rec.Code)
			}
		}
	}
}
