package worker

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/riverqueue/river"

	"booty/internal/github"
	"booty/internal/store"
	"booty/internal/storm"
)

// DigestArgs is the job that makes a storm digest's issue show what booty
// lists in it: it files the digest, then edits it as problems fold in, at
// most once every Config.DigestEvery. One job per digest lives at a time
// (digestOpts): folds while it waits join it, and a fold while it runs makes
// it run again, so that GitHub always ends up showing the last fold.
type DigestArgs struct {
	// DigestID is what makes the job unique; its JSON must not change.
	DigestID int64 `json:"digest_id" river:"unique"`
	// Repo is the digest's repository, "OWNER/NAME" ("" for the default),
	// for the log (the digest's row is what the job files into), and
	// Labels its issue's labels: the route's, without the trigger label.
	Repo   string   `json:"repo,omitempty"`
	Labels []string `json:"labels,omitempty"`
}

// Kind names the job in River's tables.
func (DigestArgs) Kind() string { return "github_digest" }

// digestOpts keep one job per digest waiting or running.
var digestOpts = &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: liveStates}}

// Digests is the part of booty's store the digest job uses: store.Store.
type Digests interface {
	Digest(ctx context.Context, id int64) (storm.Digest, error)
	DigestEntries(ctx context.Context, id int64) ([]storm.Entry, error)
	SetDigestIssue(ctx context.Context, id int64, number int) error
	DigestShown(ctx context.Context, id, version int64, at time.Time) error
}

var _ Digests = (*store.Store)(nil)

// digester runs DigestArgs jobs with a Worker's GitHub, budget and store.
type digester struct {
	river.WorkerDefaults[DigestArgs]
	w *Worker
}

// NextRetry backs off as issue jobs do.
func (d *digester) NextRetry(job *river.Job[DigestArgs]) time.Time {
	return d.w.cfg.Now().Add(Backoff(job.Attempt))
}

// Timeout bounds one attempt.
func (d *digester) Timeout(*river.Job[DigestArgs]) time.Duration { return AttemptTimeout }

// Work files or edits the digest.
func (d *digester) Work(ctx context.Context, job *river.Job[DigestArgs]) error {
	w := d.w
	key := github.DigestKey(job.Args.DigestID)
	log := w.cfg.Log.With("job_id", job.ID, "digest", job.Args.DigestID, "attempt", job.Attempt)
	if job.Args.Repo != "" {
		log = log.With("repo", job.Args.Repo)
	}
	return w.verdict(ctx, log, job.JobRow, key, w.digest(ctx, log, job))
}

func (w *Worker) digest(ctx context.Context, log *slog.Logger, job *river.Job[DigestArgs]) error {
	if w.cfg.Hold != nil {
		if wait := w.cfg.Hold(); wait > 0 {
			return &errSnooze{wait: wait, why: "held until booty knows the issues it filed"}
		}
	}
	ds := w.cfg.Digests
	dg, err := ds.Digest(ctx, job.Args.DigestID)
	if err != nil {
		return err
	}
	if !dg.Stale() {
		return nil
	}
	now := w.cfg.Now()
	if next := storm.NextEdit(dg.ShownAt, w.cfg.DigestEvery); now.Before(next) {
		return &errSnooze{wait: next.Sub(now), why: "digest edited less than a minute ago"}
	}
	// The digest's own repository: a refresh job (a promotion's) names none.
	gh, err := w.issuesOf(ctx, dg.Repo)
	if err != nil {
		return err
	}
	es, err := ds.DigestEntries(ctx, dg.ID)
	if err != nil {
		return err
	}
	title := w.cfg.Render.DigestTitle(storm.Summarize(es), len(es))
	body := w.cfg.Render.DigestBody(dg, es, w.cfg.StormQuiet.String())
	if dg.IssueNumber == 0 {
		n, err := w.fileDigest(ctx, log, gh, job, title, body)
		if err != nil {
			return err
		}
		dg.IssueNumber = n
	} else {
		if err := w.pace(ctx); err != nil {
			return err
		}
		if err := gh.EditIssue(ctx, dg.IssueNumber, title, body); err != nil {
			return err
		}
		log.Info("digest updated", "issue", dg.IssueNumber, "problems", len(es))
	}
	shownAt := w.cfg.Now()
	if err := ds.DigestShown(ctx, dg.ID, dg.Version, shownAt); err != nil {
		return err
	}
	// A fold that came while this ran found the job running and did not
	// make another: show it at the next edit. The check and the job's
	// completion are one transaction under the digest's lock, so a fold
	// either comes before (and is seen here) or after (and finds no job
	// alive, so it makes one).
	if w.finishDigest == nil {
		return nil
	}
	stale, err := w.finishDigest(ctx, job)
	if err != nil {
		return err
	}
	if stale {
		return &errSnooze{wait: storm.NextEdit(shownAt, w.cfg.DigestEvery).Sub(w.cfg.Now()), why: "problems folded while the digest was written"}
	}
	return nil
}

// fileDigest creates the digest's issue, or finds the one an earlier
// attempt created, and records it.
func (w *Worker) fileDigest(ctx context.Context, log *slog.Logger, gh Issues, job *river.Job[DigestArgs], title, body string) (int, error) {
	key := github.DigestKey(job.Args.DigestID)
	if job.Attempt > 1 {
		found, err := gh.FindIssues(ctx, key, job.CreatedAt.Add(-time.Minute))
		if err != nil {
			return 0, err
		}
		if len(found) > 0 {
			n := found[0].Number
			log.Info("found the digest of an earlier attempt", "issue", n)
			return n, w.cfg.Digests.SetDigestIssue(ctx, job.Args.DigestID, n)
		}
		if wait := w.lateCommitWait(job.JobRow); wait > 0 {
			return 0, &errSnooze{wait: wait, why: "waiting for a create GitHub may still commit"}
		}
	}
	labels := slices.DeleteFunc(slices.Clone(job.Args.Labels), func(l string) bool { return l == "" })
	if err := w.pace(ctx); err != nil {
		return 0, err
	}
	is, err := gh.CreateAssignedIssue(ctx, title, body, labels, nil)
	if err != nil {
		return 0, err
	}
	log.Info("digest filed", "issue", is.Number, "url", is.URL)
	if err := w.cfg.Digests.SetDigestIssue(ctx, job.Args.DigestID, is.Number); err != nil {
		return 0, fmt.Errorf("record digest issue %d: %w", is.Number, err)
	}
	return is.Number, nil
}

// refreshDigest makes digest id show a change to what it lists (a problem
// promoted to its own issue) at its next edit.
func (c *Client) refreshDigest(ctx context.Context, st *store.Store, id int64) error {
	return st.Transact(ctx, func(tx *store.Tx) error {
		if err := tx.TouchDigest(ctx, id); err != nil {
			return err
		}
		_, err := c.InsertTx(ctx, tx, DigestArgs{DigestID: id}, digestOpts)
		return err
	})
}

// finishDigest completes a digest job unless its digest changed since it
// was shown, which it reports.
func (c *Client) finishDigest(ctx context.Context, st *store.Store, job *river.Job[DigestArgs]) (stale bool, err error) {
	err = st.Transact(ctx, func(tx *store.Tx) error {
		d, err := tx.Digest(ctx, job.Args.DigestID)
		if err != nil {
			return err
		}
		if stale = d.Stale(); stale {
			return nil
		}
		return c.completeDigestTx(ctx, tx, job)
	})
	return stale, err
}
