package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"booty/internal/alert"
	"booty/internal/github"
	"booty/internal/intake"
	"booty/internal/store"
)

// NoteArgs is the job that tells a problem's issue what its lifecycle
// decided: a comment, and a reopen or a close before or after it. Its JSON
// is booty's own, like IssueArgs'.
type NoteArgs struct {
	ProblemKey string `json:"problem_key"`
	// Repo is the problem's repository ("" for the default) and Issue the
	// issue the note is for: a note for an issue the problem no longer
	// has is dropped.
	Repo  string `json:"repo,omitempty"`
	Issue int    `json:"issue"`
	// Do is "comment", "reopen" (then comment) or "close" (comment, then
	// close as CloseReason).
	Do          string `json:"do"`
	CloseReason string `json:"close_reason,omitempty"`
	// Label is the label an "add_label" note puts on the issue.
	Label   string `json:"label,omitempty"`
	Comment Note   `json:"comment"`
}

// Note is what the comment says (alert.Comment, as the job stores it).
type Note struct {
	Kind       string `json:"kind"`
	Release    string `json:"release,omitempty"`
	Resolution string `json:"resolution,omitempty"`
	Assignee   string `json:"assignee,omitempty"`
}

// Kind names the job in River's tables.
func (NoteArgs) Kind() string { return "github_note" }

// NoteEnqueuer returns the intake.NoteFunc that inserts NoteArgs jobs with
// c.
func NoteEnqueuer(c *Client) intake.NoteFunc {
	return func(ctx context.Context, tx *store.Tx, p alert.Problem, e alert.Effect) (int64, error) {
		args := NoteArgs{ProblemKey: p.Key, Repo: p.Repo, Issue: p.IssueNumber, Do: string(e.Kind), CloseReason: string(e.CloseReason), Label: e.Label,
			Comment: Note{Kind: string(e.Comment.Kind), Release: e.Comment.Release, Resolution: e.Comment.Resolution, Assignee: e.Comment.Assignee}}
		switch e.Kind {
		case alert.EffectComment, alert.EffectReopen, alert.EffectClose, alert.EffectAddLabel:
		default:
			return 0, fmt.Errorf("no note for effect %q", e.Kind)
		}
		res, err := c.InsertTx(ctx, tx, args, nil)
		if err != nil {
			return 0, err
		}
		return res.Job.ID, nil
	}
}

// noter runs NoteArgs jobs with a Worker's GitHub, budget and store.
type noter struct {
	river.WorkerDefaults[NoteArgs]
	w *Worker
}

// NextRetry backs off as issue jobs do.
func (n *noter) NextRetry(job *river.Job[NoteArgs]) time.Time {
	return n.w.cfg.Now().Add(Backoff(job.Attempt))
}

// Timeout bounds one attempt.
func (n *noter) Timeout(*river.Job[NoteArgs]) time.Duration { return AttemptTimeout }

// Work writes the note.
func (n *noter) Work(ctx context.Context, job *river.Job[NoteArgs]) error {
	w := n.w
	log := w.cfg.Log.With("job_id", job.ID, "problem_key", job.Args.ProblemKey, "note", job.Args.Do, "attempt", job.Attempt)
	return w.verdict(ctx, log, job.JobRow, job.Args.ProblemKey, w.note(ctx, log, job))
}

func (w *Worker) note(ctx context.Context, log *slog.Logger, job *river.Job[NoteArgs]) error {
	a := job.Args
	p, err := w.cfg.Store.Problem(ctx, a.ProblemKey)
	if err != nil {
		return err
	}
	if p.IssueNumber != a.Issue || !w.filed(a.Issue) {
		log.Info("the problem's issue changed since the note was decided; dropping it", "issue", p.IssueNumber, "note_for", a.Issue)
		return nil
	}
	gh, err := w.issuesOf(ctx, a.Repo)
	if err != nil {
		return err
	}
	is, err := gh.Issue(ctx, a.Issue)
	if errors.Is(err, github.ErrIssueGone) {
		log.Warn("the issue is gone; dropping the note", "issue", a.Issue)
		return nil
	}
	if err != nil {
		return err
	}
	marker := "<!-- booty:job=" + strconv.FormatInt(job.ID, 10) + " -->"
	commented := false
	if job.Attempt > 1 {
		if commented, err = gh.HasComment(ctx, a.Issue, marker, job.CreatedAt.Add(-time.Minute)); err != nil {
			return err
		}
	}
	comment := func(action string) error {
		if commented {
			return nil
		}
		if err := w.pace(ctx); err != nil {
			return err
		}
		c := alert.Comment{Kind: alert.CommentKind(a.Comment.Kind), Release: a.Comment.Release,
			Resolution: a.Comment.Resolution, Assignee: a.Comment.Assignee}
		return gh.Comment(ctx, a.Issue, w.cfg.Render.NoteBody(c, action)+"\n\n"+marker)
	}
	switch a.Do {
	case string(alert.EffectAddLabel):
		if err := w.pace(ctx); err != nil {
			return err
		}
		if err := gh.AddLabel(ctx, a.Issue, a.Label); err != nil {
			return err
		}
		log.Info("issue labelled", "issue", a.Issue, "label", a.Label)
	case string(alert.EffectReopen):
		if is.Closed {
			if err := w.pace(ctx); err != nil {
				return err
			}
			if err := gh.Reopen(ctx, a.Issue); err != nil {
				return err
			}
		}
		if err := comment("booty reopened the issue"); err != nil {
			return err
		}
		log.Info("issue reopened", "issue", a.Issue, "why", a.Comment.Kind)
	case string(alert.EffectClose):
		reason := a.CloseReason
		if reason == "" {
			reason = string(alert.CloseCompleted)
		}
		words := "as completed"
		if reason == string(alert.CloseNotPlanned) {
			words = "as not planned"
		}
		if err := comment("booty closes the issue " + words); err != nil {
			return err
		}
		if !is.Closed {
			if err := w.pace(ctx); err != nil {
				return err
			}
			if err := gh.Close(ctx, a.Issue, reason); err != nil {
				return err
			}
		}
		log.Info("issue closed", "issue", a.Issue, "reason", reason, "why", a.Comment.Kind)
	default:
		if err := comment(""); err != nil {
			return err
		}
		log.Info("issue commented", "issue", a.Issue, "why", a.Comment.Kind)
	}
	return nil
}
