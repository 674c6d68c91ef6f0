// Package web is booty's read-only status page and JSON API, and the views
// of problems it shares with the CLI: issue links, the timeline, the JSON
// shapes. The page writes nothing: retry and drop stay in the CLI, which
// is authenticated by access to the store.
package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"time"

	"booty/internal/store"
)

// ParkedJob is a GitHub job that stopped for good, for the page.
type ParkedJob struct {
	ID         int64
	ProblemKey string
	Action     string
	// State says why it parked: the worker's refused or gave-up, or
	// River's cancelled or discarded (ParkedWhy words those).
	State     string
	StoppedAt time.Time
	LastError string
}

// Options configure the status handler.
type Options struct {
	Store *store.Store
	// Token is the Basic auth password (user "booty"). Empty turns the
	// page off: every request is answered 404.
	Token string
	// Version, Release, Environment and Backend are shown in the header.
	Version, Release, Environment, Backend string
	// DefaultRepo is the default repository as OWNER/REPO and WebHost the
	// GitHub web host (https://github.com), for issue links.
	DefaultRepo, WebHost string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Storms returns the routes in a storm now; nil shows none.
	Storms func(ctx context.Context) ([]string, error)
	// Parked lists the parked jobs; nil shows only their count.
	Parked func(ctx context.Context) ([]ParkedJob, error)
	// Log is where failures to read the store go; nil discards them.
	Log *slog.Logger
}

// requestTimeout bounds the store reads of one request.
const requestTimeout = 10 * time.Second

type handler struct {
	opts  Options
	links IssueLinks
	now   func() time.Time
	log   *slog.Logger
	mux   *http.ServeMux
	// tokenSum is the token's SHA-256: comparing sums of equal length
	// does not tell a guesser the token's length.
	tokenSum [sha256.Size]byte
}

// New returns the handler of GET /, /problems/KEY, /runs/ID,
// /api/v1/problems, /api/v1/problems/KEY and /api/v1/runs/ID, behind
// Basic auth.
func New(opts Options) http.Handler {
	h := &handler{opts: opts, links: IssueLinks{DefaultRepo: opts.DefaultRepo, Web: opts.WebHost},
		now: opts.Now, log: opts.Log, tokenSum: sha256.Sum256([]byte(opts.Token))}
	if h.links.Web == "" {
		h.links.Web = "https://github.com"
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.mux = http.NewServeMux()
	h.mux.HandleFunc("GET /{$}", h.index)
	h.mux.HandleFunc("GET /problems/{key...}", h.problemPage)
	h.mux.HandleFunc("GET /api/v1/problems", h.apiProblems)
	h.mux.HandleFunc("GET /api/v1/problems/{key...}", h.apiProblem)
	h.mux.HandleFunc("GET /runs/{id}", h.runPage)
	h.mux.HandleFunc("GET /api/v1/runs/{id}", h.apiRun)
	return h
}

// ServeHTTP sets the security headers, refuses anything but GET, checks
// the password, then routes.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cache-Control", "no-store")
	if h.opts.Token == "" {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet {
		hd.Set("Allow", http.MethodGet)
		http.Error(w, "method not allowed: the status page only reads", http.StatusMethodNotAllowed)
		return
	}
	if !h.authorized(r) {
		hd.Set("WWW-Authenticate", `Basic realm="booty", charset="UTF-8"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	h.mux.ServeHTTP(w, r.WithContext(ctx))
}

// authorized checks user booty and the token, in constant time.
func (h *handler) authorized(r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return false
	}
	passSum := sha256.Sum256([]byte(pass))
	userOK := subtle.ConstantTimeCompare([]byte(user), []byte("booty"))
	passOK := subtle.ConstantTimeCompare(passSum[:], h.tokenSum[:])
	return userOK&passOK == 1
}

// logError logs a failed read, bounded: errors may quote a key from the URL.
func (h *handler) logError(r *http.Request, what string, err error) {
	msg := err.Error()
	if len(msg) > maxLoggedError {
		msg = msg[:maxLoggedError] + "…"
	}
	h.log.Error("status page: "+what, "path", bounded(r.URL.Path), "err", msg)
}

const maxLoggedError = 300

func bounded(s string) string {
	if len(s) > 100 {
		return s[:100] + "…"
	}
	return s
}
