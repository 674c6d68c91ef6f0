package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"booty/internal/alert"
	"booty/internal/store"
)

// ErrNewerCreateQueued is why a parked create cannot be retried: a newer
// create for the same problem is already queued, and two would race to
// file two issues. Drop the parked one instead.
var ErrNewerCreateQueued = errors.New("a newer create for that problem is already queued; drop this one instead")

// Why a job is parked, as booty's operators see it (River calls these
// states cancelled and discarded).
const (
	// ParkedRefused: GitHub refused the write, or booty could not make it
	// (a bad job); it waits for a person to fix the cause.
	ParkedRefused = "refused"
	// ParkedGaveUp: the write failed through every attempt (RetrySpan).
	ParkedGaveUp = "gave-up"
)

// Parked is a job that stopped for good and waits for an operator.
type Parked struct {
	ID int64
	// State is ParkedRefused or ParkedGaveUp.
	State      string
	ProblemKey string
	Action     alert.Action
	Attempt    int
	CreatedAt  time.Time
	StoppedAt  time.Time
	LastError  string
}

// Spool is the operator's view of parked jobs: the GitHub writes that
// stopped for good, replayable at will.
type Spool struct{ c *Client }

// NewSpool returns a Spool over c.
func NewSpool(c *Client) *Spool { return &Spool{c: c} }

// List returns every parked job, oldest first.
func (s *Spool) List(ctx context.Context) ([]Parked, error) {
	var out []Parked
	err := s.each(ctx, store.ParkedStates(), func(j *rivertype.JobRow) bool {
		out = append(out, toParked(j))
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("list parked jobs: %w", err)
	}
	return out, nil
}

// each calls f with every GitHub issue job in states, oldest first, until
// f returns false.
func (s *Spool) each(ctx context.Context, states []rivertype.JobState, f func(*rivertype.JobRow) bool) error {
	const page = 1000
	params := river.NewJobListParams().Kinds(IssueArgs{}.Kind()).States(states...).First(page)
	for {
		res, err := s.c.JobList(ctx, params)
		if err != nil {
			return err
		}
		for _, j := range res.Jobs {
			if !f(j) {
				return nil
			}
		}
		if len(res.Jobs) < page {
			return nil
		}
		params = params.After(res.LastCursor)
	}
}

func toParked(j *rivertype.JobRow) Parked {
	p := Parked{ID: j.ID, State: ParkedRefused, Attempt: j.Attempt, CreatedAt: j.CreatedAt}
	if j.State == rivertype.JobStateDiscarded {
		p.State = ParkedGaveUp
	}
	var args IssueArgs
	if json.Unmarshal(j.EncodedArgs, &args) == nil {
		p.ProblemKey, p.Action = args.ProblemKey, args.Action
	}
	if j.FinalizedAt != nil {
		p.StoppedAt = *j.FinalizedAt
	}
	if n := len(j.Errors); n > 0 {
		p.LastError = j.Errors[n-1].Error
	}
	return p
}

// Retry makes parked job id run again at once, with a fresh set of
// attempts. A create whose problem has a newer create queued is refused
// with ErrNewerCreateQueued.
func (s *Spool) Retry(ctx context.Context, id int64) error {
	j, err := s.parked(ctx, "retry", id)
	if err != nil {
		return err
	}
	if err := s.checkNoNewerCreate(ctx, j); err != nil {
		return fmt.Errorf("retry job %d: %w", id, err)
	}
	// River's JobRetry gives a job that used up its attempts just one more.
	// The attempt count itself stays: it is what makes a create look for
	// its marker first.
	if err := store.GrantAttempts(ctx, s.c.Executor(), id, MaxAttempts); err != nil {
		return fmt.Errorf("retry job %d: %w", id, err)
	}
	if _, err := s.c.JobRetry(ctx, id); err != nil {
		if isUniqueViolation(err) {
			// A create queued between the check and now.
			err = ErrNewerCreateQueued
		}
		return fmt.Errorf("retry job %d: %w", id, err)
	}
	return nil
}

// checkNoNewerCreate refuses to retry create j while another create for its
// problem is live: River's unique index would refuse it with a bare
// constraint error.
func (s *Spool) checkNoNewerCreate(ctx context.Context, j *rivertype.JobRow) error {
	var args IssueArgs
	if json.Unmarshal(j.EncodedArgs, &args) != nil || args.Action != alert.ActionCreate {
		return nil
	}
	found := false
	err := s.each(ctx, liveStates, func(o *rivertype.JobRow) bool {
		var oa IssueArgs
		if o.ID != j.ID && json.Unmarshal(o.EncodedArgs, &oa) == nil && oa.Action == alert.ActionCreate && oa.ProblemKey == args.ProblemKey {
			found = true
		}
		return !found
	})
	if err != nil {
		return err
	}
	if found {
		return ErrNewerCreateQueued
	}
	return nil
}

// Drop deletes parked job id: its GitHub write will never happen.
func (s *Spool) Drop(ctx context.Context, id int64) error {
	if _, err := s.parked(ctx, "drop", id); err != nil {
		return err
	}
	if _, err := s.c.JobDelete(ctx, id); err != nil {
		return fmt.Errorf("drop job %d: %w", id, err)
	}
	return nil
}

// parked returns job id, refusing one that is not parked: retrying or
// dropping a live job would race the worker running it.
func (s *Spool) parked(ctx context.Context, verb string, id int64) (*rivertype.JobRow, error) {
	j, err := s.c.JobGet(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("%s job %d: %w", verb, id, err)
	}
	if !store.IsParked(j.State) {
		return nil, fmt.Errorf("%s job %d: it is not parked (it is %s)", verb, id, userState(j.State))
	}
	return j, nil
}

// userState names a live job's state in booty's words.
func userState(s rivertype.JobState) string {
	switch s {
	case rivertype.JobStateCompleted:
		return "done"
	case rivertype.JobStateRunning:
		return "running"
	case rivertype.JobStateRetryable:
		return "waiting to retry"
	}
	return "waiting to run"
}

// isUniqueViolation reports whether err is the database refusing a row
// for River's unique index (SQLite's SQLITE_CONSTRAINT_UNIQUE, PostgreSQL's
// 23505).
func isUniqueViolation(err error) bool {
	var sqlite interface{ Code() int }
	if errors.As(err, &sqlite) && sqlite.Code() == 2067 {
		return true
	}
	var pg interface{ SQLState() string }
	return errors.As(err, &pg) && pg.SQLState() == "23505"
}
