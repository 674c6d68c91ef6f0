// Package githubtest is a stand-in for the GitHub REST API that booty's tests,
// integration runs and benchmarks talk to instead of GitHub. It serves one
// repository on loopback in the wire format go-github decodes: JSON field
// names, status codes, rate-limit headers, Link pagination and error bodies.
// A test can make it fail the way GitHub fails (rate limits, a 5xx after a
// committed write, a hang, a dropped connection, an outage) and can read back
// what booty did to the repository.
// After SendWebhooks it also posts signed issues webhooks, as GitHub does,
// for every change to an issue, booty's or a test's.
//
// Everything is held in memory behind mutexes, so a Server is safe for
// concurrent use and fast enough for tens of thousands of requests.
package githubtest

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Defaults for the zero fields of Options.
const (
	DefaultOwner     = "octo-org"
	DefaultRepo      = "octo-repo"
	DefaultLogin     = "booty-bot"
	DefaultRateLimit = 5000
)

// Identities the stand-in hands out. The token owner is user 1 because that is
// the ID GitHub's primary rate-limit message names.
const (
	tokenUserID      = 1
	maintainerID     = 2
	ownerID          = 3
	otherUserID      = 5000000
	maintainerLogin  = "maintainer"
	repoID           = 700000001
	firstIssueID     = 2000000000
	firstCommentID   = 3000000000
	firstLabelID     = 4000000000
	defaultLabelHex  = "ededed"
	rateWindow       = time.Hour
	maxRequestBody   = 4 << 20
	githubWebBaseURL = "https://github.com/"
)

// Options configure a Server. The zero value serves DefaultOwner/DefaultRepo
// to any caller.
type Options struct {
	// Token is the credential every API request must carry, as
	// "Authorization: Bearer <Token>" or "Authorization: token <Token>",
	// unless it carries the App's credentials. Other requests get 401 Bad
	// credentials. Empty accepts every request.
	Token string
	// Owner and Repo name the one repository served (matched without regard
	// to case, as GitHub does). Empty means DefaultOwner and DefaultRepo.
	Owner, Repo string
	// Login is the user the token belongs to (GET /user, issue authors).
	// Empty means DefaultLogin.
	Login string
	// ReadOnly makes the token a read-only one: the repository reports
	// push: false and every write is refused with 403.
	ReadOnly bool
	// Latency delays every API request before it is answered.
	Latency time.Duration
	// RateLimit is the hourly primary limit the X-RateLimit-* headers report.
	// The stand-in never enforces it (use PrimaryRateLimit for that): when a
	// window is used up a new one starts, so X-RateLimit-Remaining never
	// reaches 0 on its own and go-github never blocks itself. Values below 2
	// mean DefaultRateLimit.
	RateLimit int
	// Now is the clock for timestamps and rate-limit windows. Nil means
	// time.Now. GitHub reports whole seconds, and so does the stand-in.
	Now func() time.Time
	// Labels are the labels the repository starts with.
	Labels []Label
	// Issues are the issues the repository starts with, for example a state
	// saved by an earlier run. They keep their numbers; a zero or repeated
	// number gets the next free one.
	Issues []Issue
	// DropLabels makes creates ignore their labels silently, as GitHub
	// does for a token without push access to the repository.
	DropLabels bool
	// IssuesDisabled starts the repository with its issues turned off:
	// has_issues is false and every issue endpoint answers 410.
	IssuesDisabled bool
	// App, when set, is a GitHub App the stand-in serves too: requests may
	// carry its JWT or its installations' access tokens besides Token.
	App *App
	// Assignable are the logins issues may be assigned to. A create naming
	// any other is refused with 422, as GitHub refuses a login that cannot
	// be assigned in the repository. Nil lets every login be assigned.
	Assignable []string
	// GitRoot, when set, holds the repository's git remote, a bare
	// repository at GitRoot/OWNER/REPO.git, which the stand-in serves over
	// git's smart HTTP at URL+"OWNER/REPO.git" to the API's credentials.
	// Pull requests then carry their head commit, and a push that moves a
	// pull request's branch sends pull_request synchronize.
	GitRoot string
}

// Server is a GitHub REST API stand-in for one repository. Its methods are
// safe for concurrent use.
type Server struct {
	// URL is the base URL with a trailing slash, for GITHUB_API_URL or
	// go-github's WithURLs. It is set by NewServer; a Server from New serves
	// at whatever address its caller listens on.
	URL string

	opts      Options
	now       func() time.Time
	handler   http.Handler
	api       *http.ServeMux
	ctl       *http.ServeMux
	ts        *httptest.Server
	done      chan struct{}
	closeOnce sync.Once

	reqPrefix string
	reqSeq    atomic.Uint64
	down      atomic.Bool
	writes    atomic.Int64

	// pulls, permissions and statuses are guarded by mu.
	pulls       []PullRequest
	permissions map[string]string
	statuses    []CommitStatus

	dropLabels     atomic.Bool
	issuesDisabled atomic.Bool
	pending        sync.WaitGroup

	rateMu    sync.Mutex
	rateUsed  int
	rateReset time.Time

	faultMu sync.Mutex
	faults  []*faultEntry

	tokenMu       sync.Mutex
	installTokens map[string]installToken

	logMu    sync.Mutex
	requests []Request

	mu            sync.Mutex
	issues        []*issue // issues[i] has number i+1; nil for a gap
	labels        map[string]*label
	labelOrder    []*label
	nextCommentID int64

	hooks *webhooks
	// peer finds another repository of the same Repos, for TransferIssue;
	// nil for a Server of its own.
	peer func(full string) *Server
}

// Issue is a snapshot of one issue. It is also the JSON the control endpoint
// GET /_standin/issues returns and the form a saved state takes.
type Issue struct {
	Number int `json:"number"`
	// User is the login of the issue's author; empty means the token's
	// user (Options.Login).
	User        string    `json:"user,omitempty"`
	Deleted     bool      `json:"deleted,omitempty"`
	Title       string    `json:"title"`
	Body        string    `json:"body"`
	Labels      []string  `json:"labels"`
	State       string    `json:"state"`
	StateReason string    `json:"state_reason,omitempty"`
	Comments    []string  `json:"comments"`
	Assignees   []string  `json:"assignees,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	ClosedAt    time.Time `json:"closed_at,omitzero"`
}

// Label is a snapshot of one repository label.
type Label struct {
	Name        string `json:"name"`
	Color       string `json:"color"`
	Description string `json:"description,omitempty"`
}

// Request is one API request the stand-in received, with the status it
// answered (0 when it answered nothing: a dropped connection or a client that
// gave up).
type Request struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Query  string `json:"query,omitempty"`
	Status int    `json:"status"`
}

type issue struct {
	number      int
	user        string
	deleted     bool
	id          int64
	title, body string
	labels      []*label
	state       string
	stateReason string
	comments    []*comment
	created     time.Time
	updated     time.Time
	closed      time.Time
	closedBy    string
	assignees   []string
}

type comment struct {
	id int64
	// user is the login of the comment's author; empty means the token's
	// user.
	user    string
	body    string
	created time.Time
	updated time.Time
}

// label is never changed after it is created, so a pointer to it may be read
// without holding Server.mu.
type label struct {
	id          int64
	name        string
	color       string
	description string
}

// NewServer starts a Server on a loopback port and closes it when the test
// ends. s.URL is its base URL.
func NewServer(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s := New(opts)
	s.ts = httptest.NewServer(s.Handler())
	s.URL = s.ts.URL + "/"
	tb.Cleanup(s.Close)
	return s
}

// New returns a Server that is not listening; serve s.Handler() and call
// Close when done.
func New(opts Options) *Server {
	if opts.Owner == "" {
		opts.Owner = DefaultOwner
	}
	if opts.Repo == "" {
		opts.Repo = DefaultRepo
	}
	if opts.Login == "" {
		opts.Login = DefaultLogin
	}
	if opts.RateLimit < 2 {
		opts.RateLimit = DefaultRateLimit
	}
	clock := opts.Now
	if clock == nil {
		clock = time.Now
	}
	s := &Server{
		opts: opts,
		// GitHub's timestamps have whole seconds; truncating here keeps the
		// stand-in's own comparisons (since=, sorting) equal to what a
		// client sees on the wire.
		now:           func() time.Time { return clock().UTC().Truncate(time.Second) },
		done:          make(chan struct{}),
		reqPrefix:     fmt.Sprintf("%04X:%04X", rand.Uint32()&0xFFFF, rand.Uint32()&0xFFFF),
		labels:        make(map[string]*label),
		nextCommentID: firstCommentID,
		hooks:         newWebhooks(),
	}
	if opts.App != nil {
		app := *opts.App
		app.Installations = slices.Clone(app.Installations)
		s.opts.App = &app
		s.setupApp()
	}
	s.dropLabels.Store(opts.DropLabels)
	s.issuesDisabled.Store(opts.IssuesDisabled)
	s.seed(opts.Labels, opts.Issues)
	s.api = s.routes()
	s.ctl = s.controlRoutes()
	s.handler = http.HandlerFunc(s.serve)
	return s
}

// Handler returns the http.Handler serving the API and the /_standin/
// control endpoints.
func (s *Server) Handler() http.Handler { return s.handler }

// Close releases requests held by Hang or Latency, commits the creates
// held by LateCommit, stops webhook deliveries and, for a Server from
// NewServer, stops listening. It may be called more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.done) })
	s.hooks.close()
	s.pending.Wait()
	if s.ts != nil {
		s.ts.Close()
	}
}

func (s *Server) seed(labels []Label, issues []Issue) {
	for _, l := range labels {
		s.labelLocked(l.Name, l.Color, l.Description)
	}
	seeds := slices.Clone(issues)
	// Zero numbers sort last so that numbered issues keep their numbers.
	slices.SortStableFunc(seeds, func(a, b Issue) int {
		switch {
		case a.Number == b.Number:
			return 0
		case a.Number == 0:
			return 1
		case b.Number == 0:
			return -1
		}
		return a.Number - b.Number
	})
	for _, in := range seeds {
		n := max(in.Number, len(s.issues)+1)
		for len(s.issues) < n-1 {
			s.issues = append(s.issues, nil)
		}
		created := in.CreatedAt.UTC().Truncate(time.Second)
		if created.IsZero() {
			created = s.now()
		}
		updated := in.UpdatedAt.UTC().Truncate(time.Second)
		if updated.Before(created) {
			updated = created
		}
		is := &issue{
			number:  n,
			user:    cmpOr(in.User, s.opts.Login),
			deleted: in.Deleted,
			id:      firstIssueID + int64(n),
			title:   in.Title,
			body:    in.Body,
			state:   "open",
			created: created,
			updated: updated,
		}
		if in.State == "closed" {
			is.state = "closed"
			is.stateReason = cmpOr(in.StateReason, "completed")
			is.closed = cmpOr(in.ClosedAt.UTC().Truncate(time.Second), updated)
			is.closedBy = maintainerLogin
		} else if in.StateReason == "reopened" {
			is.stateReason = "reopened"
		}
		for _, name := range in.Labels {
			is.labels = appendLabel(is.labels, s.labelLocked(name, "", ""))
		}
		for _, body := range in.Comments {
			is.comments = append(is.comments, &comment{id: s.nextCommentID, body: body, created: updated, updated: updated})
			s.nextCommentID++
		}
		s.issues = append(s.issues, is)
	}
}

// labelLocked returns the repository's label called name, creating it the way
// GitHub does when an issue names a label it does not know.
func (s *Server) labelLocked(name, color, description string) *label {
	key := strings.ToLower(name)
	if l, ok := s.labels[key]; ok {
		return l
	}
	l := &label{
		id:          firstLabelID + int64(len(s.labelOrder)) + 1,
		name:        name,
		color:       cmpOr(strings.ToLower(strings.TrimPrefix(color, "#")), defaultLabelHex),
		description: description,
	}
	s.labels[key] = l
	s.labelOrder = append(s.labelOrder, l)
	return l
}

func appendLabel(ls []*label, l *label) []*label {
	if slices.Contains(ls, l) {
		return ls
	}
	return append(ls, l)
}

func cmpOr[T comparable](v, fallback T) T {
	var zero T
	if v == zero {
		return fallback
	}
	return v
}

// serve is the outer handler: bookkeeping and the failure modes every route
// shares, then the API routes.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, controlPrefix) {
		s.ctl.ServeHTTP(w, r)
		return
	}
	if isGitRequest(r) {
		s.serveGit(w, r)
		return
	}
	if isWrite(r.Method) {
		s.writes.Add(1)
	}
	rec := &statusRecorder{ResponseWriter: w}
	defer s.record(r, rec)

	s.setCommonHeaders(rec.Header(), r.URL.Path != "/rate_limit")
	if s.opts.Latency > 0 && !s.wait(r, s.opts.Latency) {
		s.abandoned(rec, r)
		return
	}
	if s.down.Load() {
		writeError(rec, http.StatusServiceUnavailable, "Service Unavailable", docsRoot)
		return
	}
	c, status, msg := s.authenticate(r)
	if status != 0 {
		writeError(rec, status, msg, docsRoot)
		return
	}
	r = withCaller(r, c)
	if f, ok := s.takeFault(r); ok {
		if !s.applyFault(rec, r, f) {
			return
		}
	}
	s.api.ServeHTTP(rec, r)
}

// abandoned answers a request whose wait ended early: nothing if the client
// has gone, 503 if the stand-in is closing.
func (s *Server) abandoned(w http.ResponseWriter, r *http.Request) {
	if r.Context().Err() != nil {
		return
	}
	writeError(w, http.StatusServiceUnavailable, "Service Unavailable", docsRoot)
}

// wait holds r for d and reports whether it waited the whole time, rather
// than being cut short by the client leaving or the stand-in closing.
func (s *Server) wait(r *http.Request, d time.Duration) bool {
	bufferBody(r)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-s.done:
		return false
	}
}

// bufferBody reads r's body into memory. net/http notices a client hanging
// up, and cancels r's context, only once the body has been read to its end,
// so a request held unread would never learn its client had gone.
func bufferBody(r *http.Request) {
	if r.Body == nil || r.Body == http.NoBody {
		return
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	r.Body.Close()
	if err != nil {
		// Hand the handler an empty body; it answers 400 as for any
		// body it cannot parse.
		b = nil
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
}

func isWrite(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// setCommonHeaders sets the headers GitHub sends with every response and,
// when count is true, counts the request against the rate-limit window.
func (s *Server) setCommonHeaders(h http.Header, count bool) {
	now := s.now()
	s.rateMu.Lock()
	if !now.Before(s.rateReset) || (count && s.rateUsed+1 >= s.opts.RateLimit) {
		s.rateUsed = 0
		s.rateReset = now.Add(rateWindow)
	}
	if count {
		s.rateUsed++
	}
	used, reset := s.rateUsed, s.rateReset
	s.rateMu.Unlock()

	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-GitHub-Media-Type", "github.v3; format=json")
	h.Set("X-GitHub-Api-Version-Selected", "2022-11-28")
	h.Set("X-GitHub-Request-Id", fmt.Sprintf("%s:%06X:%06X", s.reqPrefix, s.reqSeq.Add(1), now.Unix()&0xFFFFFF))
	setRateHeaders(h, s.opts.RateLimit, s.opts.RateLimit-used, used, reset)
}

func setRateHeaders(h http.Header, limit, remaining, used int, reset time.Time) {
	h.Set("X-RateLimit-Limit", fmt.Sprint(limit))
	h.Set("X-RateLimit-Remaining", fmt.Sprint(remaining))
	h.Set("X-RateLimit-Used", fmt.Sprint(used))
	h.Set("X-RateLimit-Reset", fmt.Sprint(reset.Unix()))
	h.Set("X-RateLimit-Resource", "core")
}

// rate returns the current window without counting a request, for
// GET /rate_limit, which GitHub does not count either.
func (s *Server) rate() (used int, reset time.Time) {
	now := s.now()
	s.rateMu.Lock()
	defer s.rateMu.Unlock()
	if !now.Before(s.rateReset) {
		s.rateUsed = 0
		s.rateReset = now.Add(rateWindow)
	}
	return s.rateUsed, s.rateReset
}

func (s *Server) record(r *http.Request, rec *statusRecorder) {
	s.logMu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Status: rec.status})
	s.logMu.Unlock()
}

// statusRecorder remembers the status a handler answered. Unwrap lets
// http.ResponseController reach the connection for Disconnect.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Issues returns a snapshot of every issue, by number.
func (s *Server) Issues() []Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Issue, 0, len(s.issues))
	for _, is := range s.issues {
		if is != nil {
			out = append(out, is.snapshot())
		}
	}
	return out
}

// Issue returns a snapshot of issue n and whether it exists.
func (s *Server) Issue(n int) (Issue, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.issueLocked(n)
	if is == nil {
		return Issue{}, false
	}
	return is.snapshot(), true
}

// Labels returns a snapshot of the repository's labels in creation order.
func (s *Server) Labels() []Label {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Label, 0, len(s.labelOrder))
	for _, l := range s.labelOrder {
		out = append(out, Label{Name: l.name, Color: l.color, Description: l.description})
	}
	return out
}

// CloseIssue closes issue n as a maintainer would on github.com (reason
// completed), so a test can make the next alert a regression.
func (s *Server) CloseIssue(n int) error { return s.CloseIssueAs(n, "completed") }

// ReopenIssue reopens issue n as a maintainer would.
func (s *Server) ReopenIssue(n int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.issueLocked(n)
	if is == nil {
		return fmt.Errorf("reopen issue %d: no such issue", n)
	}
	wasClosed := is.state == "closed"
	is.state, is.stateReason = "open", "reopened"
	is.closed, is.closedBy, is.updated = time.Time{}, "", s.now()
	if wasClosed {
		base := s.hookBase()
		s.issueHookLocked(base, "reopened", is, s.maintainer(base), nil, nil)
	}
	return nil
}

// DeleteIssue deletes issue n as an administrator would: from then on
// GitHub answers 410 Gone for it, and lists leave it out.
func (s *Server) DeleteIssue(n int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.issueLocked(n)
	if is == nil {
		return fmt.Errorf("delete issue %d: no such issue", n)
	}
	if !is.deleted {
		is.deleted = true
		base := s.hookBase()
		s.issueHookLocked(base, "deleted", is, s.maintainer(base), nil, nil)
	}
	return nil
}

// RemoveLabel takes label name off issue n, as a person picking the issue
// up does with the trigger label.
func (s *Server) RemoveLabel(n int, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.issueLocked(n)
	if is == nil {
		return fmt.Errorf("remove label from issue %d: no such issue", n)
	}
	i := slices.IndexFunc(is.labels, func(l *label) bool { return strings.EqualFold(l.name, name) })
	is.updated = s.now()
	if i < 0 {
		return nil
	}
	l := is.labels[i]
	is.labels = slices.Delete(is.labels, i, i+1)
	base := s.hookBase()
	s.issueHookLocked(base, "unlabeled", is, s.maintainer(base), l, nil)
	return nil
}

// SetDropLabels makes creates ignore their labels (Options.DropLabels).
func (s *Server) SetDropLabels(on bool) { s.dropLabels.Store(on) }

// SetIssuesDisabled turns the repository's issues off or on
// (Options.IssuesDisabled).
func (s *Server) SetIssuesDisabled(off bool) { s.issuesDisabled.Store(off) }

// Requests returns every API request received so far, in the order they were
// answered. Control endpoints are not included.
func (s *Server) Requests() []Request {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return slices.Clone(s.requests)
}

// Writes returns how many POST, PATCH, PUT and DELETE API requests arrived,
// whether or not they succeeded, including ones still being answered.
func (s *Server) Writes() int { return int(s.writes.Load()) }

// Count returns how many answered requests match method ("" for any) and
// pathPattern (see FailNextMatching for the pattern syntax).
func (s *Server) Count(method, pathPattern string) int {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	n := 0
	for _, r := range s.requests {
		if methodMatches(method, r.Method) && pathMatches(pathPattern, r.Path) {
			n++
		}
	}
	return n
}

// SetDown makes every API request answer 503 while down is true, as during a
// GitHub outage.
func (s *Server) SetDown(down bool) { s.down.Store(down) }

// issueLocked returns issue n, deleted or not; nil when there never was one.
func (s *Server) issueLocked(n int) *issue {
	if n < 1 || n > len(s.issues) {
		return nil
	}
	return s.issues[n-1]
}

func (is *issue) snapshot() Issue {
	out := Issue{
		Number:      is.number,
		User:        is.user,
		Deleted:     is.deleted,
		Title:       is.title,
		Body:        is.body,
		Labels:      make([]string, 0, len(is.labels)),
		State:       is.state,
		StateReason: is.stateReason,
		Comments:    make([]string, 0, len(is.comments)),
		Assignees:   slices.Clone(is.assignees),
		CreatedAt:   is.created,
		UpdatedAt:   is.updated,
		ClosedAt:    is.closed,
	}
	for _, l := range is.labels {
		out.Labels = append(out.Labels, l.name)
	}
	for _, c := range is.comments {
		out.Comments = append(out.Comments, c.body)
	}
	return out
}
