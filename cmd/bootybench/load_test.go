package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestLoopsShowProgress runs each send loop against a stand-in that
// answers 202: the progress on the bench's stderr (no terminal here) ends
// at every request sent, in plain lines, and the report's writer gets none.
func TestLoopsShowProgress(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(srv.Close)
	rs := make([]request, 40)
	for i := range rs {
		rs[i] = signed(benchSecret, []byte(`{}`), fmt.Sprintf("%032x", i))
	}
	tests := []struct {
		name string
		loop func(context.Context, *bench) result
	}{
		{"closed", func(ctx context.Context, b *bench) result {
			return closedLoop(ctx, srv.Client(), srv.URL, rs, 4, b.sends("closed", len(rs)))
		}},
		{"open", func(ctx context.Context, b *bench) result {
			return openLoop(ctx, srv.Client(), srv.URL, rs, 2000, b.sends("open", len(rs)))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, stderr bytes.Buffer
			b := &bench{out: &out, stderr: &stderr}
			res := tt.loop(t.Context(), b)
			if res.answered2xx() != len(rs) {
				t.Fatalf("answers %s, want %d×202", res.answers(), len(rs))
			}
			got := stderr.String()
			if want := fmt.Sprintf("bootybench: %s: sent 40/40 requests\n", tt.name); !strings.HasSuffix(got, want) {
				t.Errorf("stderr %q, want it to end with %q", got, want)
			}
			if strings.ContainsAny(got, "\x1b\r") {
				t.Errorf("stderr holds terminal control: %q", got)
			}
			if out.Len() != 0 {
				t.Errorf("the report got progress: %q", &out)
			}
		})
	}
}
