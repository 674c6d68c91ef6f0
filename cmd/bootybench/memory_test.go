package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"booty/internal/fixture"
)

func TestFramesBody(t *testing.T) {
	t.Parallel()
	payload := fixture.Sentry(t, "event_alert.triggered.vue-breadcrumbs-zulip-2023.json")
	tests := []struct {
		name  string
		limit int
	}{{"booty's 1 MiB limit", 1 << 20}, {"a small limit", 40 << 10}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body, n, err := framesBody(payload, "8200007", "82000000000000000000000000000007", tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			// Filled to the limit: at most one frame's worth short.
			if len(body) > tt.limit || len(body) < tt.limit-3 {
				t.Errorf("body is %d bytes, want just under %d", len(body), tt.limit)
			}
			var p struct {
				Data struct {
					Event struct {
						IssueID   string `json:"issue_id"`
						Exception struct {
							Values []struct {
								Stacktrace struct {
									Frames []map[string]any `json:"frames"`
								} `json:"stacktrace"`
							} `json:"values"`
						} `json:"exception"`
					} `json:"event"`
				} `json:"data"`
			}
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatalf("not JSON: %v", err)
			}
			frames := p.Data.Event.Exception.Values[0].Stacktrace.Frames
			if p.Data.Event.IssueID != "8200007" || len(frames) != n+16 || len(frames[0]) != 0 || len(frames[len(frames)-1]) == 0 {
				t.Errorf("issue_id %q, %d frames (want %d empty then the 16 real ones)", p.Data.Event.IssueID, len(frames), n)
			}
		})
	}
}

func TestWriteOversized(t *testing.T) {
	t.Parallel()
	created := httptest.NewRecorder()
	created.WriteHeader(http.StatusCreated)
	_, _ = created.WriteString(`{"number":7,"html_url":"http://x/7","body":"the real body"}`)
	const pad = 3<<20 + 5
	rec := httptest.NewRecorder()
	n, err := writeOversized(rec, created, pad)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Number int    `json:"number"`
		Body   string `json:"body"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("answer is not JSON: %v", err)
	}
	if rec.Code != http.StatusCreated || got.Number != 7 || len(got.Body) != pad {
		t.Errorf("got %d, number %d, body of %d bytes; want 201, 7, %d", rec.Code, got.Number, len(got.Body), pad)
	}
	if cl := rec.Header().Get("Content-Length"); cl != strconv.Itoa(rec.Body.Len()) || n != int64(rec.Body.Len()) {
		t.Errorf("Content-Length %s, counted %d, written %d", cl, n, rec.Body.Len())
	}

	failed := httptest.NewRecorder()
	failed.WriteHeader(http.StatusUnprocessableEntity)
	_, _ = failed.WriteString(`{"message":"Validation Failed"}`)
	rec = httptest.NewRecorder()
	if _, err := writeOversized(rec, failed, pad); err != nil || rec.Code != http.StatusUnprocessableEntity || rec.Body.Len() > 100 {
		t.Errorf("a failed create is passed on as it is: got %d, %d bytes, %v", rec.Code, rec.Body.Len(), err)
	}
}
