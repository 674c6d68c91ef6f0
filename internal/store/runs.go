package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// RunKind names what a run did.
type RunKind string

// The kinds of run.
const (
	// RunBuild is the builder turning a labelled issue into a pull request.
	RunBuild RunKind = "build"
	// RunVerify is the verifier testing a pull request's head commit.
	RunVerify RunKind = "verify"
)

// OutcomeInterrupted is the outcome StartRun gives the unfinished runs of
// a job that starts again: the process running them died, or River gave
// the job up as stuck.
const OutcomeInterrupted = "interrupted"

// Run is one attempt of a builder or verifier job, as the status page and
// the CLI show it.
type Run struct {
	ID         int64
	Kind       RunKind
	JobID      int64 // the River job
	ProblemKey string
	Repo       string // "OWNER/NAME"
	Issue      int
	Pull       int // 0 until known
	Attempt    int
	// SHA is, for a build, the base commit, then the pushed commit; for a
	// verify, the head commit tested.
	SHA string
	// Outcome is "" while running; otherwise a short word chosen by the
	// worker ("pull_opened", "success", …).
	Outcome string
	// Detail is one line for people, at most MaxRunDetail runes.
	Detail string
	// Log is the tail of the output, at most MaxRunLog bytes. The lists
	// (ProblemRuns, RecentRuns) leave it empty: read it with Run.
	Log        string
	StartedAt  time.Time
	FinishedAt time.Time // zero while running
}

// Running reports whether the run has not finished.
func (r Run) Running() bool { return r.FinishedAt.IsZero() }

// Duration is how long the run took, or has taken by now while running.
func (r Run) Duration(now time.Time) time.Duration {
	end := r.FinishedAt
	if end.IsZero() {
		end = now
	}
	return max(end.Sub(r.StartedAt), 0)
}

// RunEnd is how a run ended, for FinishRun.
type RunEnd struct {
	Outcome, Detail, Log string
	// SHA and Pull replace the run's when set.
	SHA  string
	Pull int
	// At is when the run ended; zero is now.
	At time.Time
}

// StartRun records a run starting and returns its id. Runs of the same
// JobID still unfinished are first finished as OutcomeInterrupted (a job
// retried after a crash starts a new run). A zero StartedAt is now; the
// outcome and end of r are ignored, and its texts are bounded as FinishRun
// bounds them.
func (s *Store) StartRun(ctx context.Context, r Run) (int64, error) {
	if r.StartedAt.IsZero() {
		r.StartedAt = time.Now()
	}
	started := toMillis(r.StartedAt)
	var id int64
	err := s.Transact(ctx, func(tx *Tx) error {
		if r.JobID != 0 {
			if _, err := tx.exec(ctx, `UPDATE booty_runs SET outcome = $1, detail = $2, finished_ms = $3
				WHERE job_id = $4 AND finished_ms = 0`,
				OutcomeInterrupted, "job "+strconv.FormatInt(r.JobID, 10)+" started again before this run finished",
				started, r.JobID); err != nil {
				return err
			}
		}
		return tx.queryRow(ctx, `INSERT INTO booty_runs
			(kind, job_id, problem_key, repo, issue_number, pull_number, attempt, sha, detail, log, started_ms)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			clipWord(string(r.Kind)), r.JobID, cleanText(r.ProblemKey), cleanText(r.Repo), r.Issue, r.Pull, r.Attempt,
			clipWord(r.SHA), ClipDetail(r.Detail), ClipLog(r.Log), started).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("start %s run of job %d: %w", r.Kind, r.JobID, err)
	}
	return id, nil
}

// FinishRun records how run id ended: its outcome ("finished" when
// empty), detail and log, bounded (ClipDetail, ClipLog), and its SHA and
// pull request when end sets them. A run finished already, as interrupted
// by a retry that started meanwhile, takes the later word: it did end.
func (s *Store) FinishRun(ctx context.Context, id int64, end RunEnd) error {
	if end.At.IsZero() {
		end.At = time.Now()
	}
	if end.Outcome == "" {
		end.Outcome = "finished"
	}
	n, err := s.db.exec(ctx, `UPDATE booty_runs SET outcome = $1, detail = $2, log = $3,
			sha = CASE WHEN $4 = '' THEN sha ELSE $4 END,
			pull_number = CASE WHEN $5 = 0 THEN pull_number ELSE $5 END,
			finished_ms = $6
		WHERE id = $7`,
		clipWord(end.Outcome), ClipDetail(end.Detail), ClipLog(end.Log), clipWord(end.SHA), end.Pull, toMillis(end.At), id)
	if err != nil {
		return fmt.Errorf("finish run %d: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("finish run %d: %w", id, ErrNotFound)
	}
	return nil
}

// runListColumns are a run's columns but its log, for the lists.
const runListColumns = `id, kind, job_id, problem_key, repo, issue_number, pull_number, attempt, sha, outcome, detail,
	started_ms, finished_ms`

func scanRun(r row, withLog bool) (Run, error) {
	var (
		run               Run
		kind              string
		started, finished int64
	)
	dest := []any{&run.ID, &kind, &run.JobID, &run.ProblemKey, &run.Repo, &run.Issue, &run.Pull, &run.Attempt,
		&run.SHA, &run.Outcome, &run.Detail, &started, &finished}
	if withLog {
		dest = append(dest, &run.Log)
	}
	if err := r.Scan(dest...); err != nil {
		return Run{}, err
	}
	run.Kind, run.StartedAt, run.FinishedAt = RunKind(kind), fromMillis(started), fromMillis(finished)
	return run, nil
}

// Run returns run id with its log; ErrNotFound when there is none.
func (s *Store) Run(ctx context.Context, id int64) (Run, error) {
	r, err := scanRun(s.db.queryRow(ctx, `SELECT `+runListColumns+`, log FROM booty_runs WHERE id = $1`, id), true)
	if errors.Is(err, sql.ErrNoRows) {
		return Run{}, fmt.Errorf("read run %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Run{}, fmt.Errorf("read run %d: %w", id, err)
	}
	return r, nil
}

// ProblemRuns returns the runs of the problem with key, newest first: at
// most limit (all when limit is 0 or less), without their logs.
func (s *Store) ProblemRuns(ctx context.Context, key string, limit int) ([]Run, error) {
	runs, err := s.listRuns(ctx, `WHERE problem_key = $1`, limit, key)
	if err != nil {
		return nil, fmt.Errorf("read runs of %s: %w", key, err)
	}
	return runs, nil
}

// RecentRuns returns the runs of every problem, newest first: at most
// limit (all when limit is 0 or less), without their logs.
func (s *Store) RecentRuns(ctx context.Context, limit int) ([]Run, error) {
	runs, err := s.listRuns(ctx, ``, limit)
	if err != nil {
		return nil, fmt.Errorf("read recent runs: %w", err)
	}
	return runs, nil
}

func (s *Store) listRuns(ctx context.Context, where string, limit int, args ...any) ([]Run, error) {
	query := `SELECT ` + runListColumns + ` FROM booty_runs ` + where + ` ORDER BY started_ms DESC, id DESC`
	if limit > 0 {
		args = append(args, limit)
		query += ` LIMIT $` + strconv.Itoa(len(args))
	}
	rs, err := s.db.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []Run
	for rs.Next() {
		r, err := scanRun(rs, false)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rs.Err()
}
