// Package sentrytest is a stand-in for the part of Sentry's REST API booty
// calls: "Update an Issue" (PUT /api/0/organizations/{org}/issues/{id}/)
// and, for a test's own checks, the issue's GET. It listens on loopback
// over real HTTP, checks what Sentry checks (the bearer token, the path
// with its trailing slash, the method, the content type, the body's
// fields) and answers in Sentry's wire format: {"detail": "..."} for
// refusals and Django REST framework's field errors for a body it cannot
// accept. It keeps each issue's status, can fail the way Sentry fails (a
// 5xx, a 429 with rate limit headers, a dropped connection, an outage) and
// records every request.
//
// A Server is safe for concurrent use.
package sentrytest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Defaults for the zero fields of Options.
const (
	DefaultOrg   = "booty-org"
	DefaultToken = "sntrys_standin_0123456789abcdef"
)

// Sentry's own messages, as its API answers them.
const (
	detailNotFound      = "The requested resource does not exist"
	detailNoCredentials = "Authentication credentials were not provided."
	detailBadToken      = "Invalid token"
	detailNoRelease     = "No release data present in the system to form a basis for 'Next Release'"
)

// maxBody caps what the stand-in reads of one request.
const maxBody = 1 << 20

// Options configure a Server. The zero value serves DefaultOrg to
// DefaultToken.
type Options struct {
	// Org is the organization slug served; empty means DefaultOrg.
	Org string
	// Token is the bearer token every API request must carry; empty means
	// DefaultToken.
	Token string
	// Issues are the issue ids that exist from the start (unresolved,
	// ongoing). Any other id answers 404 until AddIssue.
	Issues []string
	// NoReleases makes the project have no release: "resolve in next
	// release" is refused with 400, as Sentry refuses it.
	NoReleases bool
}

// Issue is a snapshot of one issue's status.
type Issue struct {
	// Status is "unresolved", "resolved" or "ignored".
	Status string `json:"status"`
	// Substatus is Sentry's substatus ("ongoing",
	// "archived_until_escalating", ...), empty for a resolved issue.
	Substatus string `json:"substatus"`
	// StatusDetails are the details of the last change
	// ({"inNextRelease": true}); never nil.
	StatusDetails map[string]any `json:"statusDetails"`
}

// Request is one API request the stand-in received, with the status it
// answered (0 for a dropped connection).
type Request struct {
	Method        string
	Path          string
	Body          string
	Authorization string
	ContentType   string
	Status        int
}

// Server is the stand-in. Its methods are safe for concurrent use.
type Server struct {
	// URL is the base URL with a trailing slash, for SENTRY_API_URL.
	URL string
	// Org is the organization slug it serves.
	Org string
	// Token is the token it accepts.
	Token string

	ts         *httptest.Server
	down       atomic.Bool
	noReleases atomic.Bool

	mu       sync.Mutex
	issues   map[string]*Issue
	faults   []*faultEntry
	requests []Request
}

// New starts a Server on loopback; it is closed when the test ends.
func New(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s := &Server{Org: opts.Org, Token: opts.Token, issues: map[string]*Issue{}}
	if s.Org == "" {
		s.Org = DefaultOrg
	}
	if s.Token == "" {
		s.Token = DefaultToken
	}
	s.noReleases.Store(opts.NoReleases)
	for _, id := range opts.Issues {
		s.AddIssue(id)
	}
	s.ts = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.ts.URL + "/"
	tb.Cleanup(s.Close)
	return s
}

// Close stops the server; later calls fail with a connection error.
func (s *Server) Close() { s.ts.Close() }

// IssuePath is the path booty must call for the issue id.
func (s *Server) IssuePath(id string) string {
	return "/api/0/organizations/" + s.Org + "/issues/" + id + "/"
}

// AddIssue makes the issue id exist, unresolved and ongoing. An existing
// issue is left as it is.
func (s *Server) AddIssue(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.issues[id]; !ok {
		s.issues[id] = &Issue{Status: "unresolved", Substatus: "ongoing", StatusDetails: map[string]any{}}
	}
}

// DeleteIssue removes the issue: Sentry then answers 404 for it.
func (s *Server) DeleteIssue(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.issues, id)
}

// Issue returns the issue's status, or false when it does not exist.
func (s *Server) Issue(id string) (Issue, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is, ok := s.issues[id]
	if !ok {
		return Issue{}, false
	}
	return is.clone(), true
}

// SetNoReleases makes the project have no release (on) or some (off).
func (s *Server) SetNoReleases(on bool) { s.noReleases.Store(on) }

// SetDown makes every API request answer 503 with a load balancer's HTML
// page, as during an outage (on), or stops that (off).
func (s *Server) SetDown(on bool) { s.down.Store(on) }

// Requests returns the requests received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Count returns how many requests had method and path; an empty method or
// path matches any.
func (s *Server) Count(method, path string) int {
	n := 0
	for _, r := range s.Requests() {
		if (method == "" || r.Method == method) && (path == "" || r.Path == path) {
			n++
		}
	}
	return n
}

func (is *Issue) clone() Issue {
	c := *is
	c.StatusDetails = make(map[string]any, len(is.StatusDetails))
	for k, v := range is.StatusDetails {
		c.StatusDetails[k] = v
	}
	return c
}

// serve answers one request and records it.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
	rec := &recorder{ResponseWriter: w}
	s.answer(rec, r, body)
	s.mu.Lock()
	s.requests = append(s.requests, Request{
		Method: r.Method, Path: r.URL.Path, Body: string(body),
		Authorization: r.Header.Get("Authorization"), ContentType: r.Header.Get("Content-Type"),
		Status: rec.status,
	})
	s.mu.Unlock()
}

func (s *Server) answer(w *recorder, r *http.Request, body []byte) {
	if s.down.Load() {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>\n")
		return
	}
	if f, ok := s.takeFault(); ok {
		f.serve(w)
		return
	}
	org, id, ok := issuePath(r.URL.Path)
	if !ok {
		if _, _, ok := issuePath(r.URL.Path + "/"); ok {
			// Django's APPEND_SLASH: Sentry's routes all end in "/".
			w.Header().Set("Location", r.URL.Path+"/")
			w.WriteHeader(http.StatusMovedPermanently)
			return
		}
		writeDetail(w, http.StatusNotFound, detailNotFound)
		return
	}
	switch auth := r.Header.Get("Authorization"); {
	case auth == "":
		writeDetail(w, http.StatusUnauthorized, detailNoCredentials)
		return
	case auth != "Bearer "+s.Token:
		writeDetail(w, http.StatusUnauthorized, detailBadToken)
		return
	}
	if org != s.Org {
		writeDetail(w, http.StatusNotFound, detailNotFound)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodPut:
	default:
		w.Header().Set("Allow", "GET, PUT, DELETE, OPTIONS")
		writeDetail(w, http.StatusMethodNotAllowed, `Method "`+r.Method+`" not allowed.`)
		return
	}
	if r.Method == http.MethodPut {
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			writeDetail(w, http.StatusUnsupportedMediaType, `Unsupported media type "`+ct+`" in request.`)
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	is, ok := s.issues[id]
	if !ok {
		writeDetail(w, http.StatusNotFound, detailNotFound)
		return
	}
	if r.Method == http.MethodPut {
		next, status, errBody := update(*is, body, s.noReleases.Load())
		if errBody != nil {
			writeJSON(w, status, errBody)
			return
		}
		*is = next
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": id, "status": is.Status, "substatus": nullable(is.Substatus), "statusDetails": is.StatusDetails,
	})
}

// issuePath splits /api/0/organizations/{org}/issues/{id}/ into its org
// and id; both must be non-empty and free of slashes.
func issuePath(p string) (org, id string, ok bool) {
	rest, found := strings.CutPrefix(p, "/api/0/organizations/")
	if !found {
		return "", "", false
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 4 || parts[0] == "" || parts[1] != "issues" || parts[2] == "" || parts[3] != "" {
		return "", "", false
	}
	return parts[0], parts[2], true
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// recorder remembers the status answered, and whether a fault answers.
type recorder struct {
	http.ResponseWriter
	status int
	fault  bool
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(p)
}

// writeDetail answers Sentry's usual error body.
func writeDetail(w *recorder, status int, detail string) {
	writeJSON(w, status, map[string]string{"detail": detail})
}

// writeJSON answers v. Only the stand-in's own answers carry rate limit
// headers: a fault's answer has exactly the headers the fault names.
func writeJSON(w *recorder, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	if !w.fault {
		rateLimitHeaders(w.Header(), time.Now().Add(time.Second))
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// rateLimitHeaders sets the X-Sentry-Rate-Limit-* headers Sentry sends
// with every answer: far from any limit, the window ending at reset.
func rateLimitHeaders(h http.Header, reset time.Time) {
	h.Set("X-Sentry-Rate-Limit-Limit", "40")
	h.Set("X-Sentry-Rate-Limit-Remaining", "39")
	h.Set("X-Sentry-Rate-Limit-Reset", strconv.FormatInt(reset.Unix(), 10))
	h.Set("X-Sentry-Rate-Limit-ConcurrentLimit", "25")
	h.Set("X-Sentry-Rate-Limit-ConcurrentRemaining", "24")
}
