package apm

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/getsentry/sentry-go"

	"booty/internal/redact"
)

// redacted replaces whatever is scrubbed.
const redacted = redact.Replacement

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

// scrubber removes secrets from events before they leave: the values booty
// is configured with, and whatever booty's redactor recognises (the same
// one that cleans issue text), in every field that can hold text.
type scrubber struct {
	text func(string) string
}

func newScrubber(secrets []string) *scrubber {
	return &scrubber{text: redact.New(secrets...).String}
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
