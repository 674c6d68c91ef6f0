package server

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"
)

// accessTTL is how long a deep health check's GitHub verdict is reused, so
// a load balancer polling /health?deep=1 cannot turn into GitHub traffic.
const accessTTL = time.Minute

// accessTimeout bounds one GitHub access check.
const accessTimeout = 10 * time.Second

// The values of healthBody.GitHub.
const (
	githubOK     = "ok"
	githubDryRun = "dry_run"
	githubFailed = "failed"
)

// writeChecker is what a store that can refuse writes while it still
// answers reads tells health: why writes fail now, or nil
// (store.Store.WriteErr).
type writeChecker interface {
	WriteErr() error
}

type healthBody struct {
	Status        string `json:"status"`
	Version       string `json:"version"`
	Release       string `json:"release"`
	Environment   string `json:"environment"`
	UptimeSeconds int64  `json:"uptime_s"`
	Store         string `json:"store"`
	// Backend is the store's engine, and Replica this process's id among
	// the replicas that share it.
	Backend    string `json:"backend,omitempty"`
	Replica    string `json:"replica,omitempty"`
	ParkedJobs int    `json:"parked_jobs"`
	// Storms names the routes whose new problems fold into a digest now.
	// A storm is news, not a failure: it never makes health fail.
	Storms        []string `json:"storms"`
	LastWebhookAt *string  `json:"last_webhook_at"`
	// GitHub is set by a deep check only.
	GitHub string `json:"github,omitempty"`
	Error  string `json:"error,omitempty"`
}

// healthCheck answers GET /health: 200 while the store answers and takes
// writes, 503 when it does not. With ?deep=1 it also checks GitHub access (cached for
// accessTTL) and answers 503 with the reason when booty cannot write issues.
func (s *Server) healthCheck(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	now := s.now()
	h := healthBody{
		Status: "ok", Version: s.opts.Version, Release: s.opts.Release, Environment: s.opts.Environment,
		UptimeSeconds: int64(now.Sub(s.opts.Started).Seconds()), Store: "ok",
		Backend: s.opts.Backend, Replica: s.opts.Replica,
	}
	if ms := s.lastWebhook.Load(); ms != 0 {
		t := time.UnixMilli(ms).UTC().Format(time.RFC3339)
		h.LastWebhookAt = &t
	}
	var problems []string
	parked, err := s.health.ParkedJobs(ctx)
	if err == nil {
		err = s.health.Ping(ctx)
	}
	if err != nil {
		s.log.Error("health check: store unreachable", "err", err)
		h.Store = "unreachable"
		problems = append(problems, "store unreachable")
	} else if w, ok := s.health.(writeChecker); ok {
		// The store answers reads while it refuses writes (a full disk,
		// a deleted file): deliveries get 503, and so must health.
		if err := w.WriteErr(); err != nil {
			h.Store = "failing writes: " + err.Error()
			problems = append(problems, h.Store)
		}
	}
	h.ParkedJobs = parked
	h.Storms = []string{}
	if s.opts.Storms != nil && h.Store == "ok" {
		if storms, err := s.opts.Storms(ctx); err != nil {
			s.log.Warn("health check: cannot read storms", "err", err)
		} else if storms != nil {
			h.Storms = storms
		}
	}
	if deep(r) {
		if s.opts.GitHub == nil {
			h.GitHub = githubDryRun
		} else if err := s.githubAccess(r.Context()); err != nil {
			h.GitHub = githubFailed
			problems = append(problems, "github: "+err.Error())
		} else {
			h.GitHub = githubOK
		}
	}
	status := http.StatusOK
	if len(problems) > 0 {
		h.Status, h.Error = "unavailable", strings.Join(problems, "; ")
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, h)
}

func deep(r *http.Request) bool {
	switch r.URL.Query().Get("deep") {
	case "1", "true", "yes":
		return true
	}
	return false
}

// accessCache holds the last GitHub access verdict, good or bad. Its mutex
// is held through a check, so concurrent deep checks make one call.
type accessCache struct {
	mu      sync.Mutex
	checked bool
	at      time.Time
	err     error
}

// githubAccess returns the cached verdict, or checks again when it is older
// than accessTTL. The check does not end with the request that started it:
// its verdict is for the callers of the next minute too.
func (s *Server) githubAccess(ctx context.Context) error {
	c := &s.access
	c.mu.Lock()
	defer c.mu.Unlock()
	now := s.now()
	if c.checked && now.Sub(c.at) < accessTTL && now.Sub(c.at) >= 0 {
		return c.err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), accessTimeout)
	defer cancel()
	err := s.opts.GitHub.CheckAccess(ctx)
	if err != nil {
		s.log.Warn("health check: github access failed", "err", err)
	}
	c.checked, c.at, c.err = true, now, err
	return err
}
