package sentryapi

import (
	"encoding/json"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxDetail caps APIError.Detail in bytes: enough for any message Sentry
// writes, short enough for a log line or a parked job's reason.
const MaxDetail = 200

// Caps on what booty reads of one answer. An error body is a small JSON
// object; a success answer (the updated issue) is read only to reuse the
// connection. Whatever answers in Sentry's place cannot make booty read
// more.
const (
	maxErrorBody   = 64 << 10
	maxSuccessBody = 1 << 20
)

// Waits for a 429, when Sentry's headers say nothing better.
const (
	// MaxRetryAfter caps any wait Sentry asks for: a longer one is a
	// fault (or a hostile answer) and would snooze the job for days.
	MaxRetryAfter = time.Hour
	// DefaultRateLimitWait is the wait for a 429 that names none.
	DefaultRateLimitWait = time.Minute
	// concurrentWait is the wait for a 429 for too many calls at once
	// (X-Sentry-Rate-Limit-ConcurrentRemaining: 0): the others finish
	// within seconds.
	concurrentWait = 5 * time.Second
)

// Sentry's rate limit headers (docs.sentry.io/api/ratelimits): the reset
// is in Unix seconds.
const (
	headerRemaining           = "X-Sentry-Rate-Limit-Remaining"
	headerReset               = "X-Sentry-Rate-Limit-Reset"
	headerConcurrentRemaining = "X-Sentry-Rate-Limit-ConcurrentRemaining"
)

// maxErrorDepth bounds the walk through nested field errors.
const maxErrorDepth = 8

// parseErrorBody returns the explanation in a Sentry error body, bounded
// and cleaned (see APIError.Detail), and whether it is the refusal to
// resolve in the next release of a project without releases. Sentry
// answers {"detail": "..."} for most refusals, a bare JSON string for
// some rate limits, and Django REST framework's field errors
// ({"status": ["..."]}, {"statusDetails": {"inNextRelease": ["..."]}})
// for a body it cannot accept. Anything else (a proxy's HTML page) is kept
// as text. token, when not empty, is replaced wherever it appears.
func parseErrorBody(body []byte, token string) (detail string, noRelease bool) {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return cleanDetail(string(body), token), false
	}
	if m, ok := v.(map[string]any); ok {
		if d, ok := m["detail"].(string); ok {
			return cleanDetail(d, token), false
		}
		if sd, ok := m["statusDetails"].(map[string]any); ok {
			_, noRelease = sd["inNextRelease"]
		}
	}
	path, msg := firstMessage(v, "", 0)
	if path != "" && msg != "" {
		msg = path + ": " + msg
	} else if path != "" {
		msg = path
	}
	return cleanDetail(msg, token), noRelease
}

// firstMessage finds the first message in field errors, keys in sorted
// order so the same body always gives the same detail, with the path of
// keys that leads to it.
func firstMessage(v any, path string, depth int) (string, string) {
	if depth > maxErrorDepth {
		return path, ""
	}
	switch v := v.(type) {
	case string:
		return path, v
	case []any:
		for _, x := range v {
			if p, m := firstMessage(x, path, depth+1); m != "" {
				return p, m
			}
		}
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			if p, m := firstMessage(v[k], p, depth+1); m != "" {
				return p, m
			}
		}
	}
	return path, ""
}

// cleanDetail makes s safe to log: valid UTF-8, every control character a
// space, runs of spaces one, the token replaced, and at most MaxDetail
// bytes (cut on a rune boundary and marked with "…").
func cleanDetail(s, token string) string {
	// The token goes first, while it is whole: no later step can make
	// one (it has no spaces, no control and no non-ASCII characters).
	if token != "" {
		s = strings.ReplaceAll(s, token, "[token]")
	}
	// Cut far beyond MaxDetail, so cleaning a large body stays cheap.
	if len(s) > 8*MaxDetail {
		s = s[:8*MaxDetail]
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			if !space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteRune(r)
	}
	s = strings.TrimSpace(b.String())
	if len(s) <= MaxDetail {
		return s
	}
	const mark = "…"
	cut := MaxDetail - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}

// rateLimitWait is how long a 429 asks booty to wait: Retry-After
// (seconds or an HTTP date), else a few seconds for the concurrency limit,
// else until X-Sentry-Rate-Limit-Reset, else DefaultRateLimitWait. It is
// at least a second and at most MaxRetryAfter.
func rateLimitWait(h http.Header, now time.Time) time.Duration {
	wait := DefaultRateLimitWait
	if d, ok := retryAfterHeader(h.Get("Retry-After"), now); ok {
		wait = d
	} else if strings.TrimSpace(h.Get(headerConcurrentRemaining)) == "0" && strings.TrimSpace(h.Get(headerRemaining)) != "0" {
		wait = concurrentWait
	} else if d, ok := resetHeader(h.Get(headerReset), now); ok {
		wait = d
	}
	return min(max(wait, time.Second), MaxRetryAfter)
}

// retryAfterHeader parses a Retry-After value: whole seconds or an HTTP
// date.
func retryAfterHeader(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseUint(v, 10, 64); err == nil {
		if n > uint64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter, true
		}
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return ceilSecond(t.Sub(now)), true
	}
	return 0, false
}

// resetHeader parses X-Sentry-Rate-Limit-Reset (Unix seconds, maybe with
// a fraction) into the wait until then, plus a second of slack: the reset
// is rounded down. A reset in the past says nothing.
func resetHeader(v string, now time.Time) (time.Duration, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsNaN(f) || f <= 0 || f > 1e12 {
		return 0, false
	}
	sec, frac := math.Modf(f)
	reset := time.Unix(int64(sec), int64(frac*1e9))
	d := reset.Sub(now)
	if d <= 0 {
		return 0, false
	}
	return ceilSecond(d) + time.Second, true
}

// ceilSecond rounds d up to a whole second.
func ceilSecond(d time.Duration) time.Duration {
	if r := d % time.Second; r > 0 {
		d += time.Second - r
	}
	return d
}
