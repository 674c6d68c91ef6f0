package githubtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// AnyWrite, as the method of FailNextMatching or Count, matches POST, PATCH,
// PUT and DELETE.
const AnyWrite = "WRITE"

type faultKind int

const (
	faultStatus faultKind = iota + 1
	faultPrimary
	faultSecondary
	faultTooMany
	faultCommitThenFail
	faultHang
	faultDisconnect
	faultLateCommit
	faultCommitThenAnswer
	faultOversized
)

// Fault is one injected failure, used up by one request. Build it with Status,
// PrimaryRateLimit, SecondaryRateLimit, TooMany, CommitThenFail, Hang or
// Disconnect.
type Fault struct {
	kind       faultKind
	status     int
	retryAfter time.Duration
	reset      time.Time
	hang       time.Duration
	body       string
	size       int64
}

// Status answers code with a GitHub-shaped error body ({"message",
// "documentation_url", "status"}) without performing the request. go-github
// returns it as *github.ErrorResponse.
func Status(code int) Fault { return Fault{kind: faultStatus, status: code} }

// PrimaryRateLimit answers 403 with X-RateLimit-Remaining: 0 and
// X-RateLimit-Reset at reset, as GitHub does when the hourly limit is used
// up. go-github returns *github.RateLimitError and, like against GitHub,
// refuses further requests on that client until reset. A zero reset means
// one minute from now.
func PrimaryRateLimit(reset time.Time) Fault { return Fault{kind: faultPrimary, reset: reset} }

// SecondaryRateLimit answers 403 with GitHub's secondary-rate-limit message
// and, when retryAfter is positive, a Retry-After header in whole seconds
// (rounded up). go-github returns *github.AbuseRateLimitError. Without
// Retry-After, go-github falls back to X-RateLimit-Reset, the end of the
// current hourly window, exactly as it does against GitHub.
func SecondaryRateLimit(retryAfter time.Duration) Fault {
	return Fault{kind: faultSecondary, retryAfter: retryAfter}
}

// TooMany is SecondaryRateLimit answered with 429 instead of 403, the other
// status GitHub uses for secondary limits; go-github also returns
// *github.AbuseRateLimitError for it. For a bare 429 use Status(429).
func TooMany(retryAfter time.Duration) Fault {
	return Fault{kind: faultTooMany, retryAfter: retryAfter}
}

// CommitThenFail performs the request, then throws the answer away and
// answers code (502 or 504 in practice): a create whose outcome the client
// cannot know.
func CommitThenFail(code int) Fault { return Fault{kind: faultCommitThenFail, status: code} }

// Hang holds the request for d before serving it normally. If the client gives
// up first (its timeout), nothing is performed and nothing is answered. Close
// ends a hang early with 503.
func Hang(d time.Duration) Fault { return Fault{kind: faultHang, hang: d} }

// Disconnect closes the connection without answering and without performing
// the request. Note that Go's transport retries an idempotent request (GET)
// on its own when a reused connection drops, so inject this on writes.
func Disconnect() Fault { return Fault{kind: faultDisconnect} }

// LateCommit holds the request for d whatever the client does, then
// performs it, as GitHub sometimes commits a create long after the client
// gave up on it. Until then the change is invisible (lists, gets); the
// client that waited is answered normally if it is still there. Close
// commits held requests at once.
func LateCommit(d time.Duration) Fault { return Fault{kind: faultLateCommit, hang: d} }

// CommitThenAnswer performs the request, then answers code with body
// instead of the real answer: CommitThenAnswer(201, "{}") is a create that
// worked but whose answer names no issue; a body that is not JSON is a
// malformed answer.
func CommitThenAnswer(code int, body string) Fault {
	return Fault{kind: faultCommitThenAnswer, status: code, body: body}
}

// Oversized answers 200 with a JSON array of n bytes (streamed, never held
// in memory), without performing the request: an answer far larger than
// any GitHub would send.
func Oversized(n int64) Fault { return Fault{kind: faultOversized, size: n} }

// String describes f for test failure messages.
func (f Fault) String() string {
	switch f.kind {
	case faultStatus:
		return fmt.Sprintf("Status(%d)", f.status)
	case faultPrimary:
		return fmt.Sprintf("PrimaryRateLimit(%s)", f.reset.Format(time.RFC3339))
	case faultSecondary:
		return fmt.Sprintf("SecondaryRateLimit(%s)", f.retryAfter)
	case faultTooMany:
		return fmt.Sprintf("TooMany(%s)", f.retryAfter)
	case faultCommitThenFail:
		return fmt.Sprintf("CommitThenFail(%d)", f.status)
	case faultHang:
		return fmt.Sprintf("Hang(%s)", f.hang)
	case faultDisconnect:
		return "Disconnect()"
	case faultLateCommit:
		return fmt.Sprintf("LateCommit(%s)", f.hang)
	case faultCommitThenAnswer:
		return fmt.Sprintf("CommitThenAnswer(%d, %q)", f.status, f.body)
	case faultOversized:
		return fmt.Sprintf("Oversized(%d)", f.size)
	}
	return "Fault(none)"
}

type faultEntry struct {
	fault       Fault
	left        int
	method      string
	pathPattern string
}

// FailNext makes the next n API requests fail with f. Faults queued earlier
// are used up first. A zero Fault or n < 1 queues nothing.
func (s *Server) FailNext(n int, f Fault) { s.FailNextMatching("", "", n, f) }

// FailNextMatching makes the next n API requests that match method and
// pathPattern fail with f; other requests pass by. Queued faults are tried
// in the order they were added and the first that matches is used.
//
// method is an HTTP method, AnyWrite, or "" for any. pathPattern is "" for
// any path, or a path whose segments match literally except that "*" or
// "{name}" matches any one segment and a final "..." or "{name...}" matches
// the rest, so "/repos/o/r/issues" matches only issue creation and listing,
// "/repos/o/r/issues/*/comments" only comments.
func (s *Server) FailNextMatching(method, pathPattern string, n int, f Fault) {
	if n <= 0 || f.kind == 0 {
		return
	}
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	s.faults = append(s.faults, &faultEntry{fault: f, left: n, method: method, pathPattern: pathPattern})
}

func (s *Server) takeFault(r *http.Request) (Fault, bool) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	for i, e := range s.faults {
		if !methodMatches(e.method, r.Method) || !pathMatches(e.pathPattern, r.URL.Path) {
			continue
		}
		e.left--
		if e.left == 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		return e.fault, true
	}
	return Fault{}, false
}

func methodMatches(want, got string) bool {
	switch want {
	case "":
		return true
	case AnyWrite:
		return isWrite(got)
	}
	return strings.EqualFold(want, got)
}

func pathMatches(pattern, path string) bool {
	if pattern == "" {
		return true
	}
	ps := strings.Split(strings.Trim(pattern, "/"), "/")
	xs := strings.Split(strings.Trim(path, "/"), "/")
	for i, p := range ps {
		if p == "..." || (strings.HasPrefix(p, "{") && strings.HasSuffix(p, "...}")) {
			return i == len(ps)-1
		}
		if i >= len(xs) {
			return false
		}
		if p == "*" || (strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}")) {
			continue
		}
		if p != xs[i] {
			return false
		}
	}
	return len(ps) == len(xs)
}

// applyFault answers r according to f and reports whether the request should
// still be served normally (only after a completed Hang).
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f Fault) bool {
	switch f.kind {
	case faultStatus:
		writeError(w, f.status, statusMessage(f.status), docsRoot)
	case faultPrimary:
		reset := f.reset
		if reset.IsZero() {
			reset = s.now().Add(time.Minute)
		}
		setRateHeaders(w.Header(), s.opts.RateLimit, 0, s.opts.RateLimit, reset)
		writeError(w, http.StatusForbidden, fmt.Sprintf("API rate limit exceeded for user ID %d.", tokenUserID), docsPrimaryLimit)
	case faultSecondary, faultTooMany:
		if f.retryAfter > 0 {
			secs := int64((f.retryAfter + time.Second - 1) / time.Second)
			w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
		}
		code := http.StatusForbidden
		if f.kind == faultTooMany {
			code = http.StatusTooManyRequests
		}
		writeError(w, code, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.", docsSecondaryLimit)
	case faultCommitThenFail:
		discard := &bufferedWriter{header: make(http.Header)}
		s.api.ServeHTTP(discard, r)
		writeError(w, f.status, statusMessage(f.status), docsRoot)
	case faultLateCommit:
		return s.lateCommit(w, r, f.hang)
	case faultCommitThenAnswer:
		discard := &bufferedWriter{header: make(http.Header)}
		s.api.ServeHTTP(discard, r)
		w.WriteHeader(f.status)
		_, _ = io.WriteString(w, f.body)
	case faultOversized:
		writeOversized(w, f.size)
	case faultHang:
		if !s.wait(r, f.hang) {
			s.abandoned(w, r)
			return false
		}
		return true
	case faultDisconnect:
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			// No connection to take over (HTTP/2, a recorder): abort the
			// handler, which drops the stream or connection unanswered.
			panic(http.ErrAbortHandler)
		}
		conn.Close()
	}
	return false
}

// lateCommit holds r for d, then performs it. The client may have left
// long before; the change is made all the same. It returns false: the
// request has been served.
func (s *Server) lateCommit(w http.ResponseWriter, r *http.Request, d time.Duration) bool {
	bufferBody(r)
	s.pending.Add(1)
	defer s.pending.Done()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.done:
	}
	// The client's context may be over: serve a copy that is not, so the
	// handler commits whatever happens to the connection.
	r = r.WithContext(context.WithoutCancel(r.Context()))
	s.api.ServeHTTP(w, r)
	return false
}

// writeOversized streams a JSON array of n bytes: "[" then "0," repeated,
// then "0]".
func writeOversized(w http.ResponseWriter, n int64) {
	w.WriteHeader(http.StatusOK)
	chunk := bytes.Repeat([]byte("0,"), 32<<10)
	left := max(n-3, 0)
	head := "["
	if left%2 == 1 {
		// Whitespace keeps the JSON valid and the length exact.
		head, left = "[ ", left-1
	}
	if _, err := io.WriteString(w, head); err != nil {
		return
	}
	for left > 0 {
		b := chunk[:min(int64(len(chunk)), left)&^1]
		if len(b) == 0 {
			break
		}
		if _, err := w.Write(b); err != nil {
			// The client stopped reading: nothing more to send.
			return
		}
		left -= int64(len(b))
	}
	_, _ = io.WriteString(w, "0]")
}

func statusMessage(code int) string {
	if t := http.StatusText(code); t != "" {
		return t
	}
	return "Error"
}

// bufferedWriter is an http.ResponseWriter whose answer nobody reads.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *bufferedWriter) Header() http.Header { return w.header }

func (w *bufferedWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *bufferedWriter) Write(p []byte) (int, error) { return w.body.Write(p) }

// FaultSpec is the JSON form of a fault for POST /_standin/fail, so that a
// process outside the test binary can inject faults.
type FaultSpec struct {
	// Fault is one of "status", "primary_rate_limit",
	// "secondary_rate_limit", "too_many", "commit_then_fail", "hang",
	// "disconnect", "late_commit", "commit_then_answer", "oversized".
	Fault string `json:"fault"`
	// Status is the code for "status", "commit_then_fail" and
	// "commit_then_answer".
	Status int `json:"status,omitempty"`
	// Body is the answer of "commit_then_answer".
	Body string `json:"body,omitempty"`
	// Size is the length in bytes of an "oversized" answer.
	Size int64 `json:"size,omitempty"`
	// RetryAfter is a Go duration ("30s") for "secondary_rate_limit" and
	// "too_many".
	RetryAfter string `json:"retry_after,omitempty"`
	// Reset is the epoch second a "primary_rate_limit" ends; 0 means one
	// minute from now.
	Reset int64 `json:"reset,omitempty"`
	// Hang is a Go duration for "hang" and "late_commit".
	Hang string `json:"hang,omitempty"`
	// Count is how many requests fail; 0 means 1.
	Count int `json:"count,omitempty"`
	// Method and Path restrict the fault as in FailNextMatching.
	Method string `json:"method,omitempty"`
	Path   string `json:"path,omitempty"`
}

var errBadFault = errors.New("bad fault spec")

// maxFaultCount bounds Count so a typo cannot queue a fault forever.
const maxFaultCount = 1_000_000

// fault checks sp and returns the Fault it describes.
func (sp FaultSpec) fault() (Fault, error) {
	if sp.Count < 0 || sp.Count > maxFaultCount {
		return Fault{}, fmt.Errorf("%w: count %d out of range 0..%d", errBadFault, sp.Count, maxFaultCount)
	}
	duration := func(name, v string) (time.Duration, error) {
		if v == "" {
			return 0, nil
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("%w: %s %q is not a non-negative duration", errBadFault, name, v)
		}
		return d, nil
	}
	status := func() (int, error) {
		if sp.Status < 400 || sp.Status > 599 {
			return 0, fmt.Errorf("%w: status %d is not 4xx or 5xx", errBadFault, sp.Status)
		}
		return sp.Status, nil
	}
	switch sp.Fault {
	case "status":
		code, err := status()
		return Status(code), err
	case "commit_then_fail":
		code, err := status()
		return CommitThenFail(code), err
	case "primary_rate_limit":
		if sp.Reset < 0 {
			return Fault{}, fmt.Errorf("%w: negative reset", errBadFault)
		}
		var reset time.Time
		if sp.Reset > 0 {
			reset = time.Unix(sp.Reset, 0)
		}
		return PrimaryRateLimit(reset), nil
	case "secondary_rate_limit":
		d, err := duration("retry_after", sp.RetryAfter)
		return SecondaryRateLimit(d), err
	case "too_many":
		d, err := duration("retry_after", sp.RetryAfter)
		return TooMany(d), err
	case "hang":
		d, err := duration("hang", sp.Hang)
		return Hang(d), err
	case "disconnect":
		return Disconnect(), nil
	case "late_commit":
		d, err := duration("hang", sp.Hang)
		return LateCommit(d), err
	case "commit_then_answer":
		if sp.Status < 200 || sp.Status > 599 {
			return Fault{}, fmt.Errorf("%w: status %d is not 2xx to 5xx", errBadFault, sp.Status)
		}
		return CommitThenAnswer(sp.Status, sp.Body), nil
	case "oversized":
		if sp.Size < 0 {
			return Fault{}, fmt.Errorf("%w: negative size", errBadFault)
		}
		return Oversized(sp.Size), nil
	}
	return Fault{}, fmt.Errorf("%w: unknown fault %q", errBadFault, sp.Fault)
}
