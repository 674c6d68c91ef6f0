package sentryapi

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// errorSeeds adds every error body in testdata/errors to f.
func errorSeeds(f *testing.F, add func(body []byte)) {
	f.Helper()
	entries, err := os.ReadDir(filepath.Join("testdata", "errors"))
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		body, err := os.ReadFile(filepath.Join("testdata", "errors", e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		add(body)
	}
}

func FuzzParseErrorBody(f *testing.F) {
	const token = "sntrys_fuzz_token"
	errorSeeds(f, func(body []byte) { f.Add(body) })
	f.Add([]byte(`{"detail":"` + token + `"}`))
	f.Add([]byte(`{"a":{"b":[{"c":["` + strings.Repeat("é", 300) + `"]}]}}`))
	f.Add([]byte("\x00\xff" + token))
	f.Fuzz(func(t *testing.T, body []byte) {
		detail, _ := parseErrorBody(body, token)
		if len(detail) > MaxDetail {
			t.Fatalf("detail is %d bytes, want at most %d", len(detail), MaxDetail)
		}
		if !utf8.ValidString(detail) {
			t.Fatalf("detail %q is not valid UTF-8", detail)
		}
		if strings.Contains(detail, token) {
			t.Fatalf("detail %q holds the token", detail)
		}
		for _, r := range detail {
			if r < ' ' || r == 0x7f {
				t.Fatalf("detail %q holds a control character", detail)
			}
		}
		again, _ := parseErrorBody(body, token)
		if again != detail {
			t.Fatalf("parseErrorBody is not deterministic: %q, then %q", detail, again)
		}
	})
}

func FuzzRateLimitWait(f *testing.F) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, s := range []string{"", "0", "5", "-1", "1.5", "99999999999999999999", now.Add(time.Minute).Format(http.TimeFormat), "soon"} {
		f.Add(s, "1767323105", "0", "")
	}
	f.Add("", "", "", "0")
	f.Add("", "1e300", "0", "")
	f.Add("", "NaN", "", "")
	f.Fuzz(func(t *testing.T, retryAfter, reset, remaining, concurrent string) {
		h := http.Header{}
		h.Set("Retry-After", retryAfter)
		h.Set(headerReset, reset)
		h.Set(headerRemaining, remaining)
		h.Set(headerConcurrentRemaining, concurrent)
		got := rateLimitWait(h, now)
		if got < time.Second || got > MaxRetryAfter {
			t.Fatalf("rateLimitWait = %s, want within [1s, %s]", got, MaxRetryAfter)
		}
	})
}

func FuzzIssueIDFromKey(f *testing.F) {
	for _, k := range []string{"sentry:1", "sentry:900130", "sentry:12:abc", "sentry:0", "sentry:9223372036854775808", ""} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		id, ok := IssueIDFromKey(key)
		if !ok {
			if id != "" {
				t.Fatalf("IssueIDFromKey(%q) = %q, false", key, id)
			}
			return
		}
		if key != "sentry:"+id || !validIssueID(id) {
			t.Fatalf("IssueIDFromKey(%q) = %q, not the key's id", key, id)
		}
		// The id goes into a URL path as it is.
		if strings.ContainsAny(id, "/?#%.") {
			t.Fatalf("id %q needs escaping", id)
		}
	})
}
