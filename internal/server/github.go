package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"booty/internal/ghhook"
	"booty/internal/intake"
)

// GitHubReceiver records a verified GitHub delivery: intake.GitHub.
type GitHubReceiver interface {
	Receive(ctx context.Context, id, event string, body []byte) (intake.GitHubResult, error)
}

// githubAnswer is the body of a GitHub delivery booty recorded.
type githubAnswer struct {
	Status     string `json:"status"`
	Outcome    string `json:"outcome"`
	ProblemKey string `json:"problem_key,omitempty"`
}

// githubWebhook answers POST /webhooks/github: the signature is checked
// on the raw body before anything is parsed, and the answer comes once
// the delivery is committed, well within GitHub's 10 s. It never calls
// GitHub.
func (s *Server) githubWebhook(w http.ResponseWriter, r *http.Request) {
	start := s.now()
	event := clip(r.Header.Get(ghhook.HeaderEvent), maxLogValue)
	id := clip(r.Header.Get(ghhook.HeaderDelivery), maxLogValue)
	res, err := s.receiveGitHub(w, r, event, id)
	if err != nil {
		s.failGitHub(w, event, id, start, err)
		return
	}
	status := "recorded"
	if res.Outcome.Ignored() {
		status = "ignored"
	}
	writeJSON(w, http.StatusOK, githubAnswer{Status: status, Outcome: string(res.Outcome), ProblemKey: res.ProblemKey})
	s.countGitHub(start, res.Event, string(res.Outcome))
	attrs := []any{"delivery_id", id, "event", res.Event, "action", clip(res.Action, maxLogValue), "outcome", string(res.Outcome),
		"repo", clip(res.Repo, maxLogValue), "sender", clip(res.Sender, maxLogValue)}
	if res.ProblemKey != "" {
		attrs = append(attrs, "problem_key", res.ProblemKey, "issue", res.Issue)
	}
	if res.StateReason != "" {
		attrs = append(attrs, "state_reason", clip(res.StateReason, maxLogValue))
	}
	// A repository's webhook sends every issue's events: those booty does
	// not follow would drown the log.
	level := slog.LevelInfo
	switch res.Outcome {
	case intake.GitHubIgnored, intake.GitHubNotBooty, intake.GitHubOwnAction, intake.GitHubNotBootyBranch:
		level = slog.LevelDebug
	}
	s.log.Log(context.Background(), level, "github webhook "+status, attrs...)
}

func (s *Server) receiveGitHub(w http.ResponseWriter, r *http.Request, event, id string) (intake.GitHubResult, error) {
	buf := s.bufs.Get().(*bytes.Buffer)
	defer s.putBuf(buf)
	if err := s.readBody(w, r, buf); err != nil {
		return intake.GitHubResult{}, err
	}
	body := buf.Bytes()
	if err := ghhook.VerifyAny(s.opts.GitHubSecrets, body, r.Header.Get(ghhook.HeaderSignature)); err != nil {
		return intake.GitHubResult{}, fmt.Errorf("verify github webhook: %w", err)
	}
	weight, err := s.holdParse(r.Context(), len(body))
	if err != nil {
		return intake.GitHubResult{}, err
	}
	defer s.parse.Release(weight)
	ctx, cancel := context.WithTimeout(r.Context(), storeTimeout)
	defer cancel()
	return s.opts.GitHubHooks.Receive(ctx, id, event, body)
}

// failGitHub answers a GitHub delivery booty did not record: 401 for a bad
// signature, 413, 400 for a body not read or a bad delivery id, 422 for a
// payload booty cannot read, 503 when the store failed (GitHub shows the
// delivery as failed, and it can be redelivered).
func (s *Server) failGitHub(w http.ResponseWriter, event, id string, start time.Time, err error) {
	var bad *ghhook.PayloadError
	f := toFailure(err)
	switch {
	case errors.Is(err, ghhook.ErrInvalidSignature):
		f = failure{status: http.StatusUnauthorized, code: errInvalidSignature, level: slog.LevelWarn,
			msg: "github webhook signature missing or wrong"}
	case errors.As(err, &bad):
		f = failure{status: http.StatusUnprocessableEntity, code: errInvalidPayload, missing: bad.Missing,
			level: slog.LevelWarn, msg: "github webhook payload rejected"}
	}
	if f.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(f.retryAfter))
	}
	writeJSON(w, f.status, errorBody{Error: f.code, Missing: f.missing})
	s.countGitHub(start, event, f.code)
	if ok, suppressed := s.rejected.allow("github: "+f.msg, s.now()); ok {
		attrs := []any{"delivery_id", id, "event", event, "status", f.status, "error", f.code, "err", clip(err.Error(), maxLogError)}
		if suppressed > 0 {
			attrs = append(attrs, "suppressed", suppressed)
		}
		s.log.Log(context.Background(), f.level, f.msg, attrs...)
	}
}

func (s *Server) countGitHub(start time.Time, event, outcome string) {
	s.metrics.GitHubWebhooks.WithLabelValues(metricGitHubEvent(event), outcome).Inc()
	s.metrics.AnswerSeconds.Observe(s.now().Sub(start).Seconds())
}

// metricGitHubEvent keeps the event label to the events booty reads.
func metricGitHubEvent(e string) string {
	switch e = strings.ToLower(strings.TrimSpace(e)); e {
	case "":
		return "none"
	case "issues", "pull_request", "ping":
		return e
	}
	return "other"
}
