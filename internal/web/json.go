package web

import (
	"time"

	"booty/internal/alert"
	"booty/internal/store"
)

// ProblemJSON is a problem as the CLI's --json and the JSON API show it.
// Its field names are part of booty's interface for scripts: add, never
// rename.
type ProblemJSON struct {
	Key   string `json:"key"`
	State string `json:"state"`
	Title string `json:"title"`
	// Repo is OWNER/REPO, the default repository's when the problem
	// names none ("" when TARGET_REPO_URL is not set); DefaultRepo says
	// it named none.
	Repo        string  `json:"repo"`
	DefaultRepo bool    `json:"default_repo"`
	Route       string  `json:"route"`
	Issue       int     `json:"issue"`
	IssueRef    string  `json:"issue_ref"`
	IssueURL    string  `json:"issue_url"`
	ClosedAt    *string `json:"closed_at"`
	CloseReason string  `json:"close_reason"`
	DigestID    int64   `json:"digest_id"`
	Events      int64   `json:"events"`
	FirstSeen   *string `json:"first_seen"`
	LastSeen    *string `json:"last_seen"`
	LastEventID string  `json:"last_event_id"`
	LastWrite   *string `json:"last_write"`
	Level       string  `json:"level"`
	Project     string  `json:"project"`
	Environment string  `json:"environment"`
	Release     string  `json:"release"`
	SentryURL   string  `json:"sentry_url"`
}

// NewProblemJSON is p as JSON, its issue named by links.
func NewProblemJSON(p alert.Problem, links IssueLinks) ProblemJSON {
	return ProblemJSON{
		Key: p.Key, State: string(store.StateOf(p)), Title: p.Title,
		Repo: links.JSONRepo(p.Repo), DefaultRepo: p.Repo == "", Route: p.Route,
		Issue: p.IssueNumber, IssueRef: links.Ref(p.Repo, p.IssueNumber), IssueURL: links.URL(p.Repo, p.IssueNumber),
		ClosedAt: JSONTime(p.IssueClosedAt), CloseReason: p.IssueCloseReason, DigestID: p.DigestID,
		Events: p.Count, FirstSeen: JSONTime(p.FirstSeen), LastSeen: JSONTime(p.LastSeen), LastEventID: p.LastEventID,
		LastWrite: JSONTime(p.LastWriteAt), Level: p.Level, Project: p.Project, Environment: p.Environment,
		Release: p.Release, SentryURL: p.Link,
	}
}

// ProblemShowJSON is one problem with its story, as `booty problems show
// --json` and GET /api/v1/problems/KEY answer: add, never rename.
type ProblemShowJSON struct {
	Problem  ProblemJSON `json:"problem"`
	Releases []string    `json:"releases"`
	Digest   *DigestJSON `json:"digest"`
	Timeline []EventJSON `json:"timeline"`
	Jobs     []JobJSON   `json:"jobs"`
	// Runs are the problem's builder and verifier runs, newest first.
	Runs []RunJSON `json:"runs"`
}

// DigestJSON is the digest a problem is folded into.
type DigestJSON struct {
	ID       int64  `json:"id"`
	Route    string `json:"route"`
	Repo     string `json:"repo"`
	Issue    int    `json:"issue"`
	IssueRef string `json:"issue_ref"`
	IssueURL string `json:"issue_url"`
}

// EventJSON is one line of the timeline.
type EventJSON struct {
	Time     *string `json:"time"`
	Source   string  `json:"source"`
	Resource string  `json:"resource"`
	Action   string  `json:"action"`
	Decision string  `json:"decision"`
	Reason   string  `json:"reason"`
	Detail   string  `json:"detail"`
	JobID    int64   `json:"job_id"`
}

// JobJSON is one of the problem's GitHub jobs.
type JobJSON struct {
	ID          int64   `json:"id"`
	Kind        string  `json:"kind"`
	Action      string  `json:"action"`
	State       string  `json:"state"`
	Parked      bool    `json:"parked"`
	Attempt     int     `json:"attempt"`
	MaxAttempts int     `json:"max_attempts"`
	CreatedAt   *string `json:"created_at"`
	FinishedAt  *string `json:"finished_at"`
	LastError   string  `json:"last_error"`
	// RetryCommand is the command that runs a parked job again; "" for
	// any other.
	RetryCommand string `json:"retry_command"`
}

// JSON is v as ProblemShowJSON; its slices are never nil.
func (v *ProblemView) JSON(links IssueLinks) ProblemShowJSON {
	out := ProblemShowJSON{Problem: NewProblemJSON(v.Problem, links), Releases: append([]string{}, v.ReleaseNames()...),
		Timeline: []EventJSON{}, Jobs: []JobJSON{}, Runs: []RunJSON{}}
	if d := v.Digest; d != nil {
		out.Digest = &DigestJSON{ID: d.ID, Route: d.Route, Repo: links.JSONRepo(d.Repo), Issue: d.IssueNumber,
			IssueRef: links.Ref(d.Repo, d.IssueNumber), IssueURL: links.URL(d.Repo, d.IssueNumber)}
	}
	for _, e := range v.Timeline() {
		out.Timeline = append(out.Timeline, EventJSON{Time: JSONTime(e.At), Source: e.Source, Resource: e.Resource,
			Action: e.Action, Decision: e.Decision, Reason: e.Reason, Detail: e.Detail, JobID: e.JobID})
	}
	for _, j := range v.Jobs {
		jj := JobJSON{ID: j.ID, Kind: j.Kind, Action: j.Action, State: JobStateName(j.State), Parked: store.IsParked(j.State),
			Attempt: j.Attempt, MaxAttempts: j.MaxAttempts, CreatedAt: JSONTime(j.CreatedAt), FinishedAt: JSONTime(j.FinalizedAt),
			LastError: j.LastError}
		if jj.Parked {
			jj.RetryCommand = RetryCommand(j.ID)
		}
		out.Jobs = append(out.Jobs, jj)
	}
	for _, r := range v.Runs {
		out.Runs = append(out.Runs, NewRunJSON(r, links))
	}
	return out
}

// JSONTime is t for JSON: RFC 3339 in UTC, null when zero.
func JSONTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339Nano)
	return &s
}
