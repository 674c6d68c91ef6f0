package apm

import (
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/getsentry/sentry-go"
)

// redacted replaces whatever is scrubbed.
const redacted = "[redacted]"

// safeHeaders are the only HTTP headers an event may carry (matched as
// sentry-go matches them: case-insensitive substrings). Authorization,
// Sentry-Hook-Signature, X-Internal-Token, cookies and forwarding headers
// are not among them.
var safeHeaders = []string{
	"Accept", "Content-Length", "Content-Type", "Host", "User-Agent",
	"Request-ID", "Sentry-Hook-Resource", "Sentry-Hook-Timestamp",
}

// sensitiveKeys name map entries whose values are dropped whatever they
// hold.
var sensitiveKeys = []string{
	"authorization", "cookie", "dsn", "passwd", "password", "secret", "signature", "token",
}

// secretPatterns catch secrets booty was not told about: credentials in
// URLs, Authorization values, GitHub tokens, and 64 hex digits: the size
// of a Sentry-Hook-Signature (HMAC-SHA256), which nothing else booty
// reports has (event and trace IDs are 32, commits 40).
var secretPatterns = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.-]*://)[^/?#\s@]+@`), "${1}" + redacted + "@"},
	{regexp.MustCompile(`(?i)\b(bearer|token|basic)\s+[A-Za-z0-9\-._~+/]{8,}=*`), "${1} " + redacted},
	{regexp.MustCompile(`(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})`), redacted},
	{regexp.MustCompile(`\b[0-9a-fA-F]{64}\b`), redacted},
}

// scrubber removes secrets from events before they leave.
type scrubber struct {
	// secrets, longest first, so a secret that contains another is
	// replaced whole.
	secrets []string
}

func newScrubber(secrets []string) *scrubber {
	s := &scrubber{}
	for _, v := range secrets {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(s.secrets, v) {
			s.secrets = append(s.secrets, v)
		}
	}
	slices.SortFunc(s.secrets, func(a, b string) int { return len(b) - len(a) })
	return s
}

// beforeSend is sentry-go's last look at an event. It drops the panic
// net/http uses to abort a response (not an error) and scrubs everything
// else.
func (s *scrubber) beforeSend(ev *sentry.Event, hint *sentry.EventHint) *sentry.Event {
	if hint != nil {
		if err, ok := hint.RecoveredException.(error); ok && errors.Is(err, http.ErrAbortHandler) {
			return nil
		}
	}
	s.event(ev)
	return ev
}

func (s *scrubber) event(ev *sentry.Event) {
	ev.Message = s.text(ev.Message)
	ev.Transaction = s.text(ev.Transaction)
	for i := range ev.Exception {
		ev.Exception[i].Value = s.text(ev.Exception[i].Value)
		s.stacktrace(ev.Exception[i].Stacktrace)
	}
	for i := range ev.Threads {
		s.stacktrace(ev.Threads[i].Stacktrace)
	}
	for _, b := range ev.Breadcrumbs {
		if b == nil {
			continue
		}
		b.Message = s.text(b.Message)
		b.Data = s.mapAny(b.Data)
	}
	for k, v := range ev.Tags {
		ev.Tags[k] = s.keyed(k, v)
	}
	for k, c := range ev.Contexts {
		ev.Contexts[k] = s.mapAny(c)
	}
	for _, sp := range ev.Spans {
		if sp == nil {
			continue
		}
		sp.Description = s.text(sp.Description)
		sp.Data = s.mapAny(sp.Data)
	}
	// booty has no users; whatever landed here is a client address.
	ev.User = sentry.User{}
	if r := ev.Request; r != nil {
		r.Data, r.Cookies, r.Env = "", "", nil
		r.URL = s.text(r.URL)
		r.QueryString = s.text(r.QueryString)
		for k, v := range r.Headers {
			if !safeHeader(k) {
				delete(r.Headers, k)
				continue
			}
			r.Headers[k] = s.text(v)
		}
	}
}

func (s *scrubber) stacktrace(st *sentry.Stacktrace) {
	if st == nil {
		return
	}
	for i := range st.Frames {
		st.Frames[i].Vars = s.mapAny(st.Frames[i].Vars)
	}
}

// text replaces the known secrets and anything that looks like a credential.
func (s *scrubber) text(v string) string {
	if v == "" {
		return v
	}
	// Patterns first: a known secret inside a token must not break the
	// token's pattern and leave the rest of it behind.
	for _, p := range secretPatterns {
		v = p.re.ReplaceAllString(v, p.with)
	}
	for _, sec := range s.secrets {
		v = strings.ReplaceAll(v, sec, redacted)
	}
	return v
}

// keyed scrubs v, and drops it when its key names a secret.
func (s *scrubber) keyed(k, v string) string {
	if sensitiveKey(k) {
		return redacted
	}
	return s.text(v)
}

func (s *scrubber) mapAny(m map[string]any) map[string]any {
	for k, v := range m {
		if sensitiveKey(k) {
			m[k] = redacted
			continue
		}
		m[k] = s.value(v)
	}
	return m
}

// value scrubs any value an event can hold. Types it does not know are
// turned into their JSON form first, which is what would be sent anyway.
func (s *scrubber) value(v any) any {
	switch x := v.(type) {
	case nil, bool, int, int64, float64, json.Number:
		return x
	case string:
		return s.text(x)
	case []string:
		for i := range x {
			x[i] = s.text(x[i])
		}
		return x
	case map[string]string:
		for k, e := range x {
			x[k] = s.keyed(k, e)
		}
		return x
	case map[string]any:
		return s.mapAny(x)
	case []any:
		for i := range x {
			x[i] = s.value(x[i])
		}
		return x
	}
	b, err := json.Marshal(v)
	if err != nil {
		return redacted
	}
	var generic any
	if err := json.Unmarshal(b, &generic); err != nil {
		return redacted
	}
	if _, ok := generic.(string); !ok {
		if _, ok := generic.(map[string]any); !ok {
			if _, ok := generic.([]any); !ok {
				// Numbers and booleans of named types: nothing to scrub.
				return v
			}
		}
	}
	return s.value(generic)
}

func sensitiveKey(k string) bool {
	k = strings.ToLower(k)
	for _, t := range sensitiveKeys {
		if strings.Contains(k, t) {
			return true
		}
	}
	return false
}

func safeHeader(k string) bool {
	for _, h := range safeHeaders {
		if strings.EqualFold(k, h) {
			return true
		}
	}
	return false
}
