package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"booty/internal/store"
)

// MaxRuns is the most runs a problem's view holds, the newest.
const MaxRuns = 100

// recentRuns is how many runs the home page lists.
const recentRuns = 10

// errNoRun answers a run page or API request for a run the store does not
// hold, or a path that names none.
var errNoRun = errors.New("no such run")

// RunPath is the path of run id's page on the status page, "/runs/ID": the
// verifier's commit status links there.
func RunPath(id int64) string { return "/runs/" + strconv.FormatInt(id, 10) }

// RunState is how the page and the CLI name where a run stands: its
// outcome, or "running".
func RunState(r store.Run) string {
	if r.Running() {
		return "running"
	}
	return r.Outcome
}

// FormatDuration shows how long a run took: to the second, or to the
// millisecond under a second.
func FormatDuration(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// runRow is a run as the pages show it.
type runRow struct {
	ID                  int64
	Href, Kind, State   string
	Running             bool
	ProblemKey, Problem string // the problem's key and page
	IssueRef, IssueURL  string
	PullRef, PullURL    string
	Attempt             int
	JobID               int64
	SHA, CommitURL      string
	Detail              string
	StartedAt, Finished time.Time
	Duration            string // how long it took, or has taken by now
}

func (h *handler) runRow(r store.Run) runRow {
	return runRow{ID: r.ID, Href: RunPath(r.ID), Kind: string(r.Kind), State: RunState(r), Running: r.Running(),
		ProblemKey: r.ProblemKey, Problem: problemHref(r.ProblemKey),
		IssueRef: h.links.Ref(r.Repo, r.Issue), IssueURL: webURL(h.links.URL(r.Repo, r.Issue)),
		PullRef: h.links.Ref(r.Repo, r.Pull), PullURL: webURL(h.links.PullURL(r.Repo, r.Pull)),
		Attempt: r.Attempt, JobID: r.JobID, SHA: r.SHA, CommitURL: webURL(h.links.CommitURL(r.Repo, r.SHA)),
		Detail: r.Detail, StartedAt: r.StartedAt, Finished: r.FinishedAt, Duration: FormatDuration(r.Duration(h.now()))}
}

func (h *handler) runRows(runs []store.Run) []runRow {
	rows := make([]runRow, len(runs))
	for i, r := range runs {
		rows[i] = h.runRow(r)
	}
	return rows
}

// RunTitle is a run in one line: its kind, issue, attempt and state.
func RunTitle(r store.Run, links IssueLinks) string {
	of := r.ProblemKey
	if r.Issue > 0 {
		of = links.Ref(r.Repo, r.Issue)
	}
	return fmt.Sprintf("%s of %s, attempt %d: %s", r.Kind, of, r.Attempt, RunState(r))
}

type runData struct {
	Status
	Name  string // the page's name in the browser: "run ID"
	Title string
	Row   runRow
	Log   string
	Error string
}

// readRun reads the run the path names.
func (h *handler) readRun(r *http.Request) (store.Run, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return store.Run{}, errNoRun
	}
	run, err := h.opts.Store.Run(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Run{}, fmt.Errorf("%w: %w", errNoRun, err)
	}
	return run, err
}

func (h *handler) runPage(w http.ResponseWriter, r *http.Request) {
	d := runData{Status: h.readStatus(r.Context()), Name: "run"}
	run, err := h.readRun(r)
	if err != nil {
		status, msg := statusOf(err)
		if status == http.StatusInternalServerError {
			h.logError(r, "read run", err)
		}
		d.Error = msg
		h.render(w, r, status, "run.html", d)
		return
	}
	d.Name, d.Title, d.Row, d.Log = "run "+strconv.FormatInt(run.ID, 10), RunTitle(run, h.links), h.runRow(run), run.Log
	h.render(w, r, http.StatusOK, "run.html", d)
}

func (h *handler) apiRun(w http.ResponseWriter, r *http.Request) {
	run, err := h.readRun(r)
	if err != nil {
		h.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, NewRunShowJSON(run, h.links))
}

// RunJSON is a run as the JSON API and the CLI's --json show it, without
// its log: add, never rename.
type RunJSON struct {
	ID int64 `json:"id"`
	// Page is the run's page on the status page (RunPath).
	Page       string `json:"page"`
	Kind       string `json:"kind"`
	JobID      int64  `json:"job_id"`
	ProblemKey string `json:"problem_key"`
	Repo       string `json:"repo"`
	Issue      int    `json:"issue"`
	IssueRef   string `json:"issue_ref"`
	IssueURL   string `json:"issue_url"`
	Pull       int    `json:"pull"`
	PullURL    string `json:"pull_url"`
	Attempt    int    `json:"attempt"`
	SHA        string `json:"sha"`
	// Running says the run has not finished; Outcome is "" until it has.
	Running    bool    `json:"running"`
	Outcome    string  `json:"outcome"`
	Detail     string  `json:"detail"`
	StartedAt  *string `json:"started_at"`
	FinishedAt *string `json:"finished_at"`
}

// NewRunJSON is r as JSON, its issue and pull request named by links.
func NewRunJSON(r store.Run, links IssueLinks) RunJSON {
	return RunJSON{ID: r.ID, Page: RunPath(r.ID), Kind: string(r.Kind), JobID: r.JobID, ProblemKey: r.ProblemKey,
		Repo: links.JSONRepo(r.Repo), Issue: r.Issue, IssueRef: links.Ref(r.Repo, r.Issue), IssueURL: links.URL(r.Repo, r.Issue),
		Pull: r.Pull, PullURL: links.PullURL(r.Repo, r.Pull), Attempt: r.Attempt, SHA: r.SHA, Running: r.Running(),
		Outcome: r.Outcome, Detail: r.Detail, StartedAt: JSONTime(r.StartedAt), FinishedAt: JSONTime(r.FinishedAt)}
}

// RunShowJSON is one run with its log, as GET /api/v1/runs/ID and `booty
// runs show --json` answer: add, never rename.
type RunShowJSON struct {
	Run RunJSON `json:"run"`
	Log string  `json:"log"`
}

// NewRunShowJSON is r with its log as JSON.
func NewRunShowJSON(r store.Run, links IssueLinks) RunShowJSON {
	return RunShowJSON{Run: NewRunJSON(r, links), Log: r.Log}
}
