package sentryapi

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseErrorBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file          string
		wantDetail    string
		wantNoRelease bool
	}{
		{"not_found.json", "The requested resource does not exist", false},
		{"forbidden.json", "You do not have permission to perform this action.", false},
		{"unauthorized.json", "Invalid token", false},
		{"no_release.json", "statusDetails.inNextRelease: No release data present in the system to form a basis for 'Next Release'", true},
		{"bad_status.json", `status: "fixed" is not a valid choice.`, false},
		{"rate_limited.json", "You are attempting to use this endpoint too frequently. Limit is 40 requests in 1 seconds", false},
		{"rate_limited_string.json", "You are attempting to use this endpoint too frequently. Limit is 40 requests in 1 seconds", false},
		{"bad_gateway.html", "<html><body><h1>502 Bad Gateway</h1></body></html>", false},
		{"not_object.json", "non_field_errors: Invalid data. Expected a dictionary, but got list.", false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			body, err := os.ReadFile(filepath.Join("testdata", "errors", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			detail, noRelease := parseErrorBody(body, "")
			if detail != tt.wantDetail || noRelease != tt.wantNoRelease {
				t.Errorf("parseErrorBody = %q, %t, want %q, %t", detail, noRelease, tt.wantDetail, tt.wantNoRelease)
			}
		})
	}
}

func TestParseErrorBodyShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body, want string
	}{
		{"empty", ``, ""},
		{"empty object", `{}`, ""},
		{"null", `null`, ""},
		{"detail not a string", `{"detail":5}`, ""},
		{"sorted fields", `{"b":["second"],"a":["first"]}`, "a: first"},
		{"nested list of objects", `{"actions":[{"repo":"Repository is required"}]}`, "actions.repo: Repository is required"},
		{"skips empty", `{"a":[],"b":[""],"c":["x"]}`, "c: x"},
		{"too deep", strings.Repeat(`{"a":`, 20) + `"deep"` + strings.Repeat(`}`, 20), ""},
		{"whitespace collapsed", `{"detail":"  a\n\n\tb  \u0000 c "}`, "a b c"},
		{"invalid UTF-8", "\xff\xfe oops", "\uFFFD oops"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got, _ := parseErrorBody([]byte(tt.body), ""); got != tt.want {
				t.Errorf("parseErrorBody(%q) = %q, want %q", tt.body, got, tt.want)
			}
		})
	}
}

func TestCleanDetail(t *testing.T) {
	t.Parallel()
	const token = "sntrys_abcdef123456"
	tests := []struct {
		name, in, want string
	}{
		{"short", "fine", "fine"},
		{"token", "bad " + token + "!", "bad [token]!"},
		{"token at the cut", strings.Repeat("x", MaxDetail-4) + token, strings.Repeat("x", MaxDetail-4) + "[…"},
		{"cut on a rune", strings.Repeat("é", MaxDetail), strings.Repeat("é", (MaxDetail-3)/2) + "…"},
		{"exactly MaxDetail", strings.Repeat("a", MaxDetail), strings.Repeat("a", MaxDetail)},
		{"token beyond what is cleaned", strings.Repeat(" ", 5000) + token, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := cleanDetail(tt.in, token)
			if got != tt.want {
				t.Errorf("cleanDetail = %q, want %q", got, tt.want)
			}
			if len(got) > MaxDetail || !utf8.ValidString(got) {
				t.Errorf("cleanDetail = %q: %d bytes, valid UTF-8 %t", got, len(got), utf8.ValidString(got))
			}
		})
	}
}

func TestRateLimitWait(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 500e6, time.UTC)
	unix := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).Unix(), 10) }
	tests := []struct {
		name   string
		header map[string]string
		want   time.Duration
	}{
		{"nothing", nil, DefaultRateLimitWait},
		{"seconds", map[string]string{"Retry-After": "12"}, 12 * time.Second},
		{"seconds with spaces", map[string]string{"Retry-After": " 12 "}, 12 * time.Second},
		{"zero seconds", map[string]string{"Retry-After": "0"}, time.Second},
		{"huge seconds", map[string]string{"Retry-After": "99999999999999999999"}, DefaultRateLimitWait},
		{"over an hour", map[string]string{"Retry-After": "7200"}, MaxRetryAfter},
		{"negative", map[string]string{"Retry-After": "-5"}, DefaultRateLimitWait},
		{"fraction", map[string]string{"Retry-After": "1.5"}, DefaultRateLimitWait},
		{"HTTP date", map[string]string{"Retry-After": now.Add(30 * time.Second).Format(http.TimeFormat)}, 30 * time.Second},
		{"HTTP date in the past", map[string]string{"Retry-After": now.Add(-time.Hour).Format(http.TimeFormat)}, time.Second},
		{"RFC 850 date", map[string]string{"Retry-After": now.Add(2 * time.Minute).Format(time.RFC850)}, 2 * time.Minute},
		{"garbage", map[string]string{"Retry-After": "soon"}, DefaultRateLimitWait},
		{"reset", map[string]string{"X-Sentry-Rate-Limit-Remaining": "0", "X-Sentry-Rate-Limit-Reset": unix(10 * time.Second)}, 11 * time.Second},
		{"reset with a fraction", map[string]string{"X-Sentry-Rate-Limit-Reset": strconv.FormatFloat(float64(now.Unix())+3.25, 'f', 2, 64)}, 4 * time.Second},
		{"reset in the past", map[string]string{"X-Sentry-Rate-Limit-Reset": unix(-10 * time.Second)}, DefaultRateLimitWait},
		{"reset far away", map[string]string{"X-Sentry-Rate-Limit-Reset": unix(48 * time.Hour)}, MaxRetryAfter},
		{"reset garbage", map[string]string{"X-Sentry-Rate-Limit-Reset": "NaN"}, DefaultRateLimitWait},
		{"Retry-After beats reset", map[string]string{"Retry-After": "2", "X-Sentry-Rate-Limit-Reset": unix(time.Minute)}, 2 * time.Second},
		{"concurrency limit", map[string]string{
			"X-Sentry-Rate-Limit-ConcurrentRemaining": "0", "X-Sentry-Rate-Limit-Remaining": "30", "X-Sentry-Rate-Limit-Reset": unix(time.Minute),
		}, concurrentWait},
		{"both limits used up: the window's reset", map[string]string{
			"X-Sentry-Rate-Limit-ConcurrentRemaining": "0", "X-Sentry-Rate-Limit-Remaining": "0", "X-Sentry-Rate-Limit-Reset": unix(time.Minute),
		}, time.Minute + time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			for k, v := range tt.header {
				h.Set(k, v)
			}
			if got := rateLimitWait(h, now); got != tt.want {
				t.Errorf("rateLimitWait(%v) = %s, want %s", tt.header, got, tt.want)
			}
		})
	}
}
