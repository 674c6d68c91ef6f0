package apm

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/getsentry/sentry-go"
	"github.com/google/go-cmp/cmp"
)

// TestBeforeSendScrubsEveryField fills every field of an event that can
// hold text with secrets and checks that none survives in the JSON that
// would be sent, whatever sentry-go's own data collection did before.
func TestBeforeSendScrubsEveryField(t *testing.T) {
	t.Parallel()
	const (
		secret = "whsec-SECRET-1f2e3d"
		token  = "ghs_abcdefghijklmnopqrstuvwxyz0123"
		itoken = "short1"
	)
	s := newScrubber([]string{secret, "", token, itoken, secret})
	leaky := "secret " + secret + " token " + token + " internal " + itoken
	type named struct{ Value string }
	ev := &sentry.Event{
		Message:     leaky,
		Transaction: "GET /x?t=" + itoken,
		Exception: []sentry.Exception{{Type: "*errors.errorString", Value: leaky, Stacktrace: &sentry.Stacktrace{
			Frames: []sentry.Frame{{Function: "f", Vars: map[string]any{"v": leaky, "n": 3}}},
		}}},
		Threads: []sentry.Thread{{Stacktrace: &sentry.Stacktrace{Frames: []sentry.Frame{{Vars: map[string]any{"w": []any{leaky}}}}}}},
		Breadcrumbs: []*sentry.Breadcrumb{nil, {Message: leaky, Data: map[string]any{
			"url": "https://user:" + secret + "@api.example/x", "list": []string{leaky}, "named": named{leaky},
		}}},
		Tags:     map[string]string{"note": leaky, "x_webhook_signature": "abc"},
		Contexts: map[string]sentry.Context{"c": {"m": map[string]string{"k": leaky}, "f": 1.5}},
		Spans:    []*sentry.Span{nil, {Description: leaky, Data: map[string]any{"d": leaky}}},
		User:     sentry.User{IPAddress: "198.51.100.7", Data: map[string]string{"x": leaky}},
		Request: &sentry.Request{
			URL: "https://booty.example/internal/sentry-test", Method: "GET",
			Data: leaky, QueryString: "a=" + token, Cookies: "c=" + secret,
			Headers: map[string]string{
				"Authorization": "Bearer " + token, "Sentry-Hook-Signature": strings.Repeat("ab", 32),
				"X-Internal-Token": itoken, "User-Agent": "ua " + token, "Content-Type": "application/json",
				"Proxy-Authorization": "Basic dXNlcjpwYXNzd29yZA==",
			},
			Env: map[string]string{"REMOTE_ADDR": "198.51.100.7"},
		},
	}
	if s.beforeSend(ev, &sentry.EventHint{}) == nil {
		t.Fatal("event dropped")
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{secret, token, itoken, "198.51.100.7", strings.Repeat("ab", 32), "dXNlcjpwYXNzd29yZA"} {
		if strings.Contains(string(b), leak) {
			t.Errorf("%q survived:\n%s", leak, b)
		}
	}
	wantHeaders := map[string]string{"User-Agent": "ua [redacted]", "Content-Type": "application/json"}
	if diff := cmp.Diff(wantHeaders, ev.Request.Headers); diff != "" {
		t.Errorf("headers (-want +got):\n%s", diff)
	}
	if got, want := ev.Message, "secret [redacted] token [redacted] internal [redacted]"; got != want {
		t.Errorf("message: got %q, want %q", got, want)
	}
	if got := ev.Contexts["c"]["f"]; got != 1.5 {
		t.Errorf("a number in a context: got %v, want 1.5", got)
	}
}

func TestBeforeSendDropsAbortHandler(t *testing.T) {
	t.Parallel()
	s := newScrubber(nil)
	if got := s.beforeSend(&sentry.Event{}, &sentry.EventHint{RecoveredException: http.ErrAbortHandler}); got != nil {
		t.Errorf("got %+v, want the event dropped", got)
	}
	if got := s.beforeSend(&sentry.Event{Message: "m"}, nil); got == nil {
		t.Error("event without a hint dropped")
	}
}

func TestScrubText(t *testing.T) {
	t.Parallel()
	s := newScrubber([]string{"s3cr3t", "s3cr3t-longer"})
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"nothing here", "nothing here"},
		{"x s3cr3t-longer y s3cr3t", "x [redacted] y [redacted]"},
		{"ghp_0123456789abcdefghijABCDEFGHIJ012345", "[redacted]"},
		{"postgres://booty:pw@db.internal/booty", "postgres://[redacted]@db.internal/booty"},
		{"Authorization: token 0123456789abcdef", "Authorization: [redacted]"},
		{"pat github_pat_11ABCDEFG0123456789_" + strings.Repeat("abcdefghij", 6) + "AB", "pat [redacted]"},
		{"event 0123456789abcdef0123456789abcdef stays", "event 0123456789abcdef0123456789abcdef stays"},
		// What issue text redacts, booty's own reports redact too: one
		// redactor for both.
		{"Set-Cookie: sid=Zm9vYmFy42; Path=/", "Set-Cookie: [redacted]"},
		{"aws AKIAZ2X3C4V5B6N7M2QW wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ7Xk2pL9a", "aws [redacted] [redacted]"},
		{"card 4111 1111 1111 1111", "card [redacted]"},
	} {
		if got := s.text(tc.in); got != tc.want {
			t.Errorf("text(%q): got %q, want %q", tc.in, got, tc.want)
		}
	}
}
