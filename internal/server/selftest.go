package server

import (
	"crypto/subtle"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	sentrygo "github.com/getsentry/sentry-go"
	"golang.org/x/time/rate"
)

// The self-test is booty checking its own error reporting end to end:
// GET /internal/sentry-test raises an error on purpose and reports it to
// booty's Sentry project. These are its guard and its wait.
const (
	// selfTestPerMinute is how many requests a client address may make
	// a minute.
	selfTestPerMinute = 5
	// maxLimitedClients bounds the addresses the limiter remembers.
	maxLimitedClients = 1024
	// selfTestFlush bounds the wait for the test event to reach Sentry.
	selfTestFlush = 2 * time.Second
)

// Error codes of the self-test; errSelfTest keeps the documented
// "sentry_test".
const (
	errInternal     = "internal"
	errSelfTest     = "sentry_test"
	errForbidden    = "forbidden"
	errUnauthorized = "unauthorized"
	errRateLimited  = "rate_limited"
)

// selfTestError is what the self-test raises: its type names the Sentry
// issue the test creates, so it is easy to find and resolve.
type selfTestError struct{ at time.Time }

func (e *selfTestError) Error() string {
	return "booty self-test: raised on purpose by GET /internal/sentry-test at " + e.at.UTC().Format(time.RFC3339)
}

type selfTestBody struct {
	Error string `json:"error"`
	// EventID is Sentry's id of the test event; empty when none was sent.
	EventID string `json:"event_id"`
	// Reporting is "on", or "off" when booty has no DSN.
	Reporting string `json:"reporting"`
	// Delivered says whether Sentry took the event within a couple of
	// seconds.
	Delivered bool `json:"delivered"`
}

// selfTest answers GET /internal/sentry-test: it captures a test error
// on booty's own error reporting and answers 500 with the event's id, so a deploy can be checked end to
// end. In production it needs INTERNAL_TEST_TOKEN set; with the token set
// it needs the X-Internal-Token header; each client address gets a few
// requests a minute.
func (s *Server) selfTest(w http.ResponseWriter, r *http.Request) {
	token := s.opts.InternalTestToken
	if token == "" && s.opts.Production {
		writeJSON(w, http.StatusForbidden, errorBody{Error: errForbidden})
		return
	}
	// The limit comes before the token check, so it also slows guessing.
	if !s.selfTestLimiter.allow(clientAddr(r), s.now()) {
		w.Header().Set("Retry-After", strconv.Itoa(int((time.Minute / selfTestPerMinute).Seconds())))
		writeJSON(w, http.StatusTooManyRequests, errorBody{Error: errRateLimited})
		return
	}
	if token != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get("X-Internal-Token")), []byte(token)) != 1 {
		writeJSON(w, http.StatusUnauthorized, errorBody{Error: errUnauthorized})
		return
	}

	hub := sentrygo.GetHubFromContext(r.Context())
	if hub == nil {
		hub = s.hub.Clone()
	}
	body := selfTestBody{Error: errSelfTest, Reporting: "off"}
	if hub.Client().IsEnabled() {
		body.Reporting = "on"
	}
	var id *sentrygo.EventID
	hub.WithScope(func(scope *sentrygo.Scope) {
		scope.SetTag("booty_test", "sentry-test")
		id = hub.CaptureException(&selfTestError{at: s.now()})
	})
	if id != nil {
		body.EventID = string(*id)
		body.Delivered = hub.Flush(selfTestFlush)
	}
	s.log.Warn("self-test error raised", "event_id", body.EventID, "reporting", body.Reporting, "delivered", body.Delivered)
	writeJSON(w, http.StatusInternalServerError, body)
}

// clientAddr is the request's remote IP. booty does not trust
// X-Forwarded-For: behind a proxy every client shares the proxy's limit.
func clientAddr(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// clientLimiter allows each client address n requests per window, in a
// token bucket that refills one request every window/n. It remembers at
// most max addresses.
type clientLimiter struct {
	n      int
	window time.Duration
	max    int

	mu      sync.Mutex
	clients map[string]*clientRate
}

type clientRate struct {
	lim  *rate.Limiter
	seen time.Time
}

func newClientLimiter(n int, window time.Duration, max int) *clientLimiter {
	return &clientLimiter{n: n, window: window, max: max, clients: make(map[string]*clientRate)}
}

// allow reports whether addr may make a request at now.
func (l *clientLimiter) allow(addr string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.clients[addr]
	if c == nil {
		if len(l.clients) >= l.max {
			l.evict(now)
		}
		c = &clientRate{lim: rate.NewLimiter(rate.Every(l.window/time.Duration(l.n)), l.n)}
		l.clients[addr] = c
	}
	c.seen = now
	return c.lim.AllowN(now, 1)
}

// evict forgets clients idle for a whole window: their buckets are full
// again, the same as a new one. If every client is recent, it forgets them
// all rather than grow: memory is bounded, and the worst case is a few
// extra test errors.
func (l *clientLimiter) evict(now time.Time) {
	for a, c := range l.clients {
		if now.Sub(c.seen) >= l.window {
			delete(l.clients, a)
		}
	}
	if len(l.clients) >= l.max {
		clear(l.clients)
	}
}

// size is how many clients are remembered.
func (l *clientLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.clients)
}
