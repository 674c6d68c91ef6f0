package github

import (
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// RequestObserver is told of every GitHub API call: metrics.Metrics.
type RequestObserver interface {
	// GitHubRequest counts one call; status is 0 when no answer came.
	GitHubRequest(operation string, status int)
	// GitHubRateLimit records GitHub's primary rate limit headers.
	GitHubRateLimit(remaining int, reset time.Time)
}

// MaxAnswerBytes caps what booty reads of one GitHub answer. The largest
// answer booty asks for, a page of issues with bodies at GitHub's size
// limit, is a few MiB; anything longer is a fault, and reading it whole
// would let GitHub (or whatever answers in its place) exhaust booty's
// memory.
const MaxAnswerBytes = 16 << 20

// Transport is an http.RoundTripper that tells a RequestObserver of every
// call to GitHub: its operation, its status and the rate limit GitHub
// reports. It also stops reading an answer at MaxAnswerBytes: a longer one
// fails with ErrAnswerTooLarge (classified Retry, like an answer cut short;
// a create then looks for its marker before it is sent again). Put it in
// the http.Client given to NewClient.
type Transport struct {
	next http.RoundTripper
	obs  RequestObserver
	max  int64
}

// NewTransport returns a Transport over next (http.DefaultTransport when
// nil).
func NewTransport(next http.RoundTripper, obs RequestObserver) *Transport {
	if next == nil {
		next = http.DefaultTransport
	}
	return &Transport{next: next, obs: obs, max: MaxAnswerBytes}
}

// NewTransportLimit is NewTransport with another cap than MaxAnswerBytes,
// for tests.
func NewTransportLimit(next http.RoundTripper, obs RequestObserver, maxBytes int64) *Transport {
	t := NewTransport(next, obs)
	t.max = maxBytes
	return t
}

// RoundTrip sends r with the next transport and reports what came back.
func (t *Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	op := Operation(r.Method, r.URL.EscapedPath())
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		t.obs.GitHubRequest(op, 0)
		return resp, err
	}
	t.obs.GitHubRequest(op, resp.StatusCode)
	resp.Body = &cappedBody{rc: resp.Body, left: t.max}
	h := resp.Header
	// Only the core limit is booty's: search and GraphQL have their own.
	if res := h.Get("X-RateLimit-Resource"); res == "" || res == "core" {
		remaining, errR := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
		reset, errT := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64)
		if errR == nil && errT == nil {
			t.obs.GitHubRateLimit(remaining, time.Unix(reset, 0))
		}
	}
	return resp, nil
}

// Operation names the GitHub API call of method on path (escaped, as sent;
// any prefix before /repos/, such as GitHub Enterprise's /api/v3, is
// ignored): create_issue, get_issue, update_issue, list_issues,
// create_comment, list_comments, get_label, create_label, get_repo,
// get_user, a GitHub App's get_app, get_installation and
// create_installation_token, or other. The names keep the metric's labels
// few whatever the path holds.
func Operation(method, path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if segs[len(segs)-1] == "user" && method == http.MethodGet && !slices.Contains(segs, "repos") {
		// GET /user (or /api/v3/user): who the token is.
		return "get_user"
	}
	if op := appOperation(method, segs); op != "" {
		return op
	}
	i := 0
	for i < len(segs) && segs[i] != "repos" {
		i++
	}
	// /repos/OWNER/REPO/...
	if len(segs)-i < 3 {
		return "other"
	}
	rest := segs[i+3:]
	switch {
	case len(rest) == 0:
		if method == http.MethodGet {
			return "get_repo"
		}
	case rest[0] == "issues" && len(rest) == 1:
		switch method {
		case http.MethodPost:
			return "create_issue"
		case http.MethodGet:
			return "list_issues"
		}
	case rest[0] == "issues" && len(rest) == 2 && isNumber(rest[1]):
		switch method {
		case http.MethodGet:
			return "get_issue"
		case http.MethodPatch:
			return "update_issue"
		}
	case rest[0] == "issues" && len(rest) == 3 && isNumber(rest[1]) && rest[2] == "comments":
		switch method {
		case http.MethodPost:
			return "create_comment"
		case http.MethodGet:
			return "list_comments"
		}
	case rest[0] == "labels" && len(rest) == 1 && method == http.MethodPost:
		return "create_label"
	case rest[0] == "labels" && len(rest) == 2 && method == http.MethodGet:
		return "get_label"
	case rest[0] == "pulls" && len(rest) == 1:
		switch method {
		case http.MethodPost:
			return "create_pull"
		case http.MethodGet:
			return "list_pulls"
		}
	case rest[0] == "statuses" && len(rest) == 2 && method == http.MethodPost:
		return "create_status"
	case rest[0] == "collaborators" && len(rest) == 3 && rest[2] == "permission" && method == http.MethodGet:
		return "get_permission"
	}
	return "other"
}

// appOperation names the calls a GitHub App makes as itself, after any
// prefix such as /api/v3: GET /app, GET /repos/O/R/installation (or
// /orgs/O/installation, /users/U/installation), and
// POST /app/installations/ID/access_tokens. It is "" for others.
func appOperation(method string, segs []string) string {
	i := slices.IndexFunc(segs, func(s string) bool { return s == "app" || s == "repos" || s == "orgs" || s == "users" })
	if i < 0 {
		return ""
	}
	rest := segs[i:]
	switch {
	case method == http.MethodGet && len(rest) == 1 && rest[0] == "app":
		return "get_app"
	case method == http.MethodGet && len(rest) == 4 && rest[0] == "repos" && rest[3] == "installation",
		method == http.MethodGet && len(rest) == 3 && (rest[0] == "orgs" || rest[0] == "users") && rest[2] == "installation":
		return "get_installation"
	case method == http.MethodPost && len(rest) == 4 && rest[0] == "app" && rest[1] == "installations" &&
		isNumber(rest[2]) && rest[3] == "access_tokens":
		return "create_installation_token"
	}
	return ""
}

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// cappedBody reads at most left bytes of rc, and fails with
// ErrAnswerTooLarge when there is more.
type cappedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a body of exactly the cap from a longer one.
		var one [1]byte
		if n, _ := io.ReadFull(b.rc, one[:]); n > 0 {
			return 0, ErrAnswerTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *cappedBody) Close() error { return b.rc.Close() }
