package sentrytest

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Fault is one injected failure, used up by one request. Build it with
// Status, RateLimited or Disconnect, or fill it in.
type Fault struct {
	// Status is the status answered, with {"detail": Detail}.
	Status int
	// Detail is the detail answered; empty means one like Sentry's for
	// Status.
	Detail string
	// Body, when set, is answered as it is instead of the detail JSON (a
	// proxy's page, a huge or malformed body).
	Body string
	// Header is added to the answer (Retry-After, rate limit headers).
	Header http.Header
	// Disconnect closes the connection without answering.
	Disconnect bool
}

// Status answers code with a Sentry-shaped {"detail": ...} body.
func Status(code int) Fault { return Fault{Status: code} }

// RateLimited answers 429 as Sentry's rate limiter does: its message and
// X-Sentry-Rate-Limit-* headers with nothing remaining and the window
// ending at reset (nothing when zero), plus Retry-After when retryAfter is
// not empty (seconds or an HTTP date; Sentry itself sends none, a proxy
// in front of it may).
func RateLimited(retryAfter string, reset time.Time) Fault {
	h := http.Header{}
	h.Set("X-Sentry-Rate-Limit-Limit", "40")
	h.Set("X-Sentry-Rate-Limit-Remaining", "0")
	if !reset.IsZero() {
		h.Set("X-Sentry-Rate-Limit-Reset", strconv.FormatInt(reset.Unix(), 10))
	}
	h.Set("X-Sentry-Rate-Limit-ConcurrentLimit", "25")
	h.Set("X-Sentry-Rate-Limit-ConcurrentRemaining", "24")
	if retryAfter != "" {
		h.Set("Retry-After", retryAfter)
	}
	return Fault{Status: http.StatusTooManyRequests, Header: h}
}

// Disconnect drops the connection without an answer.
func Disconnect() Fault { return Fault{Disconnect: true} }

// String describes f for test failure messages.
func (f Fault) String() string {
	if f.Disconnect {
		return "Disconnect()"
	}
	return fmt.Sprintf("Status(%d)", f.Status)
}

type faultEntry struct {
	fault Fault
	left  int
}

// FailNext makes the next n API requests fail with f, after the faults
// queued before it. n < 1, or a Fault with neither Status nor Disconnect,
// queues nothing.
func (s *Server) FailNext(n int, f Fault) {
	if n < 1 || f.Status == 0 && !f.Disconnect {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultEntry{fault: f, left: n})
}

func (s *Server) takeFault() (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) == 0 {
		return Fault{}, false
	}
	e := s.faults[0]
	e.left--
	if e.left == 0 {
		s.faults = s.faults[1:]
	}
	return e.fault, true
}

func (f Fault) serve(w *recorder) {
	w.fault = true
	if f.Disconnect {
		hj, ok := w.ResponseWriter.(http.Hijacker)
		if !ok {
			panic("sentrytest: the connection cannot be taken over")
		}
		conn, _, err := hj.Hijack()
		if err == nil {
			_ = conn.Close()
		}
		return
	}
	for k, vs := range f.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if f.Body != "" {
		w.WriteHeader(f.Status)
		_, _ = w.Write([]byte(f.Body))
		return
	}
	writeDetail(w, f.Status, f.detail())
}

// detail is Sentry's message for the fault's status.
func (f Fault) detail() string {
	if f.Detail != "" {
		return f.Detail
	}
	switch f.Status {
	case http.StatusUnauthorized:
		return detailBadToken
	case http.StatusForbidden:
		return "You do not have permission to perform this action."
	case http.StatusNotFound:
		return detailNotFound
	case http.StatusTooManyRequests:
		return "You are attempting to use this endpoint too frequently. Limit is 40 requests in 1 seconds"
	case http.StatusInternalServerError:
		return "Internal Error"
	}
	return http.StatusText(f.Status)
}
