package intake

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"booty/internal/alert"
	"booty/internal/sentry"
	"booty/internal/store"
)

// NoteFunc adds, inside tx, the job that writes effect e (a comment, a
// reopen or a close) to problem p's issue, and returns its id.
type NoteFunc func(ctx context.Context, tx *store.Tx, p alert.Problem, e alert.Effect) (jobID int64, err error)

// WithLifecycle makes in follow Sentry's issue webhooks under policy p,
// writing what they change through notes. Without it they are ignored as
// not_event_alert, as before.
func (in *Intake) WithLifecycle(p alert.Policy, notes NoteFunc) *Intake {
	in.policy, in.notes = p, notes
	return in
}

// WithTicks makes in schedule the settling of a flapping issue with ticks.
func (in *Intake) WithTicks(ticks TickFunc) *Intake {
	in.ticks = ticks
	return in
}

// The reasons of a Sentry issue webhook's decision.
const (
	// ReasonNoIssue is a Sentry issue change of a problem booty has not
	// filed: booty files only on alert rules.
	ReasonNoIssue alert.Reason = "no_issue"
	// reasonLifecyclePrefix prefixes the cause of a lifecycle step that
	// wrote nothing ("lifecycle:debounced").
	reasonLifecyclePrefix = "lifecycle:"
)

// inputOf maps a Sentry issue change onto the lifecycle's input.
func inputOf(c *sentry.IssueChange) (alert.Input, bool) {
	// At stays zero, the time booty takes the delivery: the payload's
	// times are the events', and the debounce of a resolve's regressed is
	// between two webhooks.
	in := alert.Input{Resolution: c.Resolution, Assignee: c.Assignee}
	switch c.Kind {
	case sentry.IssueResolved:
		in.Kind = alert.InputSentryResolved
	case sentry.IssueRegressed:
		in.Kind = alert.InputSentryRegressed
	case sentry.IssueEscalating:
		in.Kind = alert.InputSentryEscalating
	case sentry.IssueUnresolvedByPerson:
		in.Kind = alert.InputSentryUnresolvedByPerson
	case sentry.IssueArchiveExpired:
		in.Kind = alert.InputSentryArchiveExpired
	case sentry.IssueArchived:
		in.Kind = alert.InputSentryArchived
	case sentry.IssueAssigned:
		in.Kind = alert.InputSentryAssigned
	default:
		return in, false
	}
	// booty's own calls back to Sentry come back as another integration's
	// action: they are not followed (no loops).
	in.ByBooty = c.Actor == sentry.ActorSentryApp
	return in, true
}

// receiveIssue applies a Sentry issue change to its problem: one lifecycle
// step, with its transition, the issue columns it changes and the jobs of
// its effects, in one transaction with the delivery record.
func (in *Intake) receiveIssue(ctx context.Context, rec store.Delivery, c *sentry.IssueChange) (Result, error) {
	res := Result{Resource: rec.Resource, Action: rec.Action}
	rec.ProblemKey = c.ProblemKey
	input, ok := inputOf(c)
	if !ok {
		res.Decision.Reason = alert.ReasonNotEventAlert
		return res, in.record(ctx, rec, alert.ReasonNotEventAlert)
	}
	now := rec.ReceivedAt
	err := in.store.Transact(ctx, func(tx *store.Tx) error {
		p, err := tx.Problem(ctx, c.ProblemKey)
		if errors.Is(err, store.ErrNotFound) || (err == nil && p.IssueNumber == 0) {
			res.Decision.Reason = ReasonNoIssue
			return tx.RecordDelivery(ctx, rec, string(ReasonNoIssue), 0)
		}
		if err != nil {
			return err
		}
		// Sentry's changes file nothing and sync nothing back: no syncs.
		st, err := takeStep(ctx, tx, p, input, in.policy, now, now, writes{notes: in.notes, ticks: in.ticks})
		if err != nil {
			return err
		}
		if st.jobs > 0 {
			res.Decision.Action = alert.Action(input.Kind)
		} else {
			res.Decision.Reason = alert.Reason(reasonLifecyclePrefix + string(st.t.Reason))
		}
		return tx.RecordDelivery(ctx, rec, res.Decision.String(), st.jobID)
	})
	if err != nil {
		res.Decision = alert.Decision{}
		return res, fmt.Errorf("apply sentry issue change of %s: %w", c.ProblemKey, err)
	}
	return res, nil
}

// mirror sets the lifecycle's issue state from the problem's columns,
// which the alert pipeline and GitHub's webhooks keep: they are what booty
// knows of the issue now.
func mirror(lc alert.Lifecycle, p alert.Problem) alert.Lifecycle {
	lc.Issue, lc.ClosedAt = p.IssueNumber, time.Time{}
	if p.IssueNumber != 0 {
		// A regression being filed has landed.
		lc.RegressionOf = 0
	}
	switch {
	case p.IssueNumber == 0:
		lc.State = alert.StateNone
	case !p.IssueClosed:
		lc.State = alert.StateOpen
	default:
		lc.ClosedAt = p.IssueClosedAt
		switch alert.CloseReason(p.IssueCloseReason) {
		case alert.CloseNotPlanned:
			lc.State = alert.StateClosedNotPlanned
		case alert.CloseDuplicate:
			lc.State = alert.StateClosedDuplicate
		default:
			lc.State = alert.StateClosedCompleted
		}
	}
	return lc
}

// closeReasonOf is GitHub's state_reason of a closed state.
func closeReasonOf(s alert.IssueState) alert.CloseReason {
	switch s {
	case alert.StateClosedNotPlanned:
		return alert.CloseNotPlanned
	case alert.StateClosedDuplicate:
		return alert.CloseDuplicate
	case alert.StateClosedCompleted:
		return alert.CloseCompleted
	}
	return ""
}

// lifeStep is an event's lifecycle step, decided before the problem is
// saved and stored after.
type lifeStep struct {
	next    alert.Lifecycle
	effects []alert.Effect
	t       alert.Transition
	// record is whether the transition is worth a row: a held event that
	// changes nothing is not.
	record bool
	// forget clears the problem's issue: a regression filed anew.
	forget bool
}

// ReasonPreFixTail is an event of a release booty saw before the issue
// was closed as completed: the fix may not have reached it. Counted, and
// commented once per close; the issue stays closed.
const ReasonPreFixTail alert.Reason = "pre_fix_tail"

// live takes an event the pipeline decided (d, with next the problem's
// state after it) as a step of the problem's lifecycle, which may change
// the decision: a reopen becomes a pre-fix tail's comment, a new issue
// ("Regression of #N"), or nothing while the issue flaps.
func (in *Intake) live(ctx context.Context, tx *store.Tx, a *alert.Alert, prev alert.Problem, d *alert.Decision,
	next *alert.Problem, now time.Time) (*lifeStep, error) {
	var lc alert.Lifecycle
	if prev.Known() {
		var err error
		if lc, err = tx.Lifecycle(ctx, prev.Key); err != nil {
			return nil, err
		}
	}
	lc = mirror(lc, prev)
	kind := alert.InputEventHeld
	if d.Accepted() && d.Action != alert.ActionFold {
		kind = alert.InputEvent
	}
	st := &lifeStep{}
	st.next, st.effects, st.t = alert.Step(lc, alert.Input{Kind: kind, Release: a.Release, At: a.Timestamp}, in.policy, now)
	st.record = kind == alert.InputEvent || st.t.From != st.t.To
	if d.Action == alert.ActionComment && slices.ContainsFunc(st.effects, func(e alert.Effect) bool { return e.Kind == alert.EffectUpdateBody }) {
		// A quiet repeat: the issue's body says the new count.
		d.Action = alert.ActionUpdate
	}
	if d.Action != alert.ActionReopen {
		// Creates, comments and the rest stay the pipeline's.
		st.effects = nil
		return st, nil
	}
	for _, e := range st.effects {
		switch e.Kind {
		case alert.EffectReopen:
			st.effects = nil
			return st, nil
		case alert.EffectFile:
			// A regression filed anew: the problem forgets the closed
			// issue, and the create links it.
			d.Action, d.RegressionOf = alert.ActionCreate, e.RegressionOf
			st.effects, st.forget = nil, true
			return st, nil
		}
	}
	// Not reopened: the issue keeps its close.
	next.IssueClosed, next.IssueClosedAt, next.IssueCloseReason = prev.IssueClosed, prev.IssueClosedAt, prev.IssueCloseReason
	*d = alert.Decision{Reason: alert.Reason(reasonLifecyclePrefix + string(st.t.Reason))}
	if st.t.Reason == alert.CausePreFixTail || st.t.Reason == alert.CauseTailCounted {
		d.Reason = ReasonPreFixTail
	}
	return st, nil
}

// save stores the step of problem p (saved as p): its lifecycle, its
// transition and the notes of its effects.
func (st *lifeStep) save(ctx context.Context, tx *store.Tx, notes NoteFunc, ticks TickFunc, p alert.Problem) error {
	if err := tx.SaveLifecycle(ctx, p.Key, st.next); err != nil {
		return err
	}
	if st.record {
		if err := tx.RecordTransition(ctx, p.Key, st.t); err != nil {
			return err
		}
	}
	if st.forget {
		if err := tx.SetIssueState(ctx, p.Key, 0, false, time.Time{}, ""); err != nil {
			return err
		}
	}
	if _, _, err := applyEffects(ctx, tx, p, st.effects, notes, nil); err != nil {
		return err
	}
	return scheduleSettle(ctx, tx, p.Key, st.next, ticks)
}

// TickFunc schedules, inside tx, the lifecycle's tick of problem key at at:
// the moment a flapping issue may settle.
type TickFunc func(ctx context.Context, tx *store.Tx, key string, at time.Time) error

// applyEffects turns a step's writes into jobs: comments, labels, reopens
// and closes through notes, calls to Sentry through syncs (nil: the sync is
// off). Effects on the store (forget, follow) are takeStep's. It returns
// how many jobs it queued, and the last one's id.
func applyEffects(ctx context.Context, tx *store.Tx, p alert.Problem, effects []alert.Effect, notes NoteFunc, syncs SyncFunc) (n int, jobID int64, err error) {
	for _, e := range effects {
		var queue func(context.Context, *store.Tx, alert.Problem, alert.Effect) (int64, error)
		what := "note"
		switch e.Kind {
		case alert.EffectComment, alert.EffectAddLabel, alert.EffectReopen, alert.EffectClose:
			queue = notes
		case alert.EffectSentryResolve, alert.EffectSentryArchive, alert.EffectSentryUnresolve:
			queue, what = syncs, "sentry sync"
		}
		if queue == nil {
			continue
		}
		if jobID, err = queue(ctx, tx, p, e); err != nil {
			return n, 0, fmt.Errorf("enqueue %s: %w", what, err)
		}
		n++
	}
	return n, jobID, nil
}

// writes are where a lifecycle step's effects go: notes for GitHub, syncs
// for Sentry, ticks for the settling of a flapping issue. A nil one writes
// nothing of its kind.
type writes struct {
	notes NoteFunc
	syncs SyncFunc
	ticks TickFunc
}

// stepped is a lifecycle step takeStep took and stored.
type stepped struct {
	prev, next alert.Lifecycle
	effects    []alert.Effect
	t          alert.Transition
	// p is the problem after the step's effects on the store (a
	// followed issue's repository and number).
	p alert.Problem
	// jobs counts the jobs its effects queued, and jobID is the last.
	jobs  int
	jobID int64
}

// takeStep takes input as a step of problem p's lifecycle inside tx (p
// read with tx.Problem, for its lock): it reads the stored lifecycle with
// the issue's state from p's columns, steps it, stores it and the
// transition, applies the step's effects (the store's, then the jobs of
// w), schedules the settling of a flapping issue, and writes the issue
// columns the step changed. closedAt is when the issue closed when the
// step does not know (the time of GitHub's event, or now).
func takeStep(ctx context.Context, tx *store.Tx, p alert.Problem, input alert.Input, policy alert.Policy,
	now, closedAt time.Time, w writes) (stepped, error) {
	lc, err := tx.Lifecycle(ctx, p.Key)
	if err != nil {
		return stepped{}, err
	}
	st := stepped{prev: mirror(lc, p), p: p}
	st.next, st.effects, st.t = alert.Step(st.prev, input, policy, now)
	if err := tx.SaveLifecycle(ctx, p.Key, st.next); err != nil {
		return stepped{}, err
	}
	if err := tx.RecordTransition(ctx, p.Key, st.t); err != nil {
		return stepped{}, err
	}
	for _, e := range st.effects {
		if e.Kind == alert.EffectFollowIssue {
			if err := tx.MoveIssue(ctx, p.Key, e.Repo, e.Issue); err != nil {
				return stepped{}, err
			}
			st.p.Repo, st.p.IssueNumber = e.Repo, e.Issue
		}
	}
	if st.jobs, st.jobID, err = applyEffects(ctx, tx, st.p, st.effects, w.notes, w.syncs); err != nil {
		return stepped{}, err
	}
	if err := scheduleSettle(ctx, tx, p.Key, st.next, w.ticks); err != nil {
		return stepped{}, err
	}
	if st.next.State != st.prev.State || st.next.Issue != st.prev.Issue {
		closed := st.next.State.Closed()
		if err := tx.SetIssueState(ctx, p.Key, st.next.Issue, closed, cmp.Or(st.next.ClosedAt, closedAt),
			string(closeReasonOf(st.next.State))); err != nil {
			return stepped{}, err
		}
	}
	return st, nil
}

// scheduleSettle schedules the tick that settles a flapping issue.
func scheduleSettle(ctx context.Context, tx *store.Tx, key string, lc alert.Lifecycle, ticks TickFunc) error {
	at, ok := lc.SettleAt()
	if !ok || ticks == nil {
		return nil
	}
	return ticks(ctx, tx, key, at)
}

// Tick takes the clock's step of problem key at now, inside tx: a flapping
// issue quiet for an hour settles to the state it was last asked to be in,
// with at most one write. It returns how long to wait when the issue is not
// due yet (its quiet began again), 0 otherwise.
func Tick(ctx context.Context, tx *store.Tx, key string, p alert.Policy, notes NoteFunc, syncs SyncFunc, now time.Time) (time.Duration, error) {
	prob, err := tx.Problem(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	lc, err := tx.Lifecycle(ctx, key)
	if err != nil {
		return 0, err
	}
	at, ok := mirror(lc, prob).SettleAt()
	if !ok {
		return 0, nil
	}
	if now.Before(at) {
		return at.Sub(now), nil
	}
	if _, err := takeStep(ctx, tx, prob, alert.Input{Kind: alert.InputTick}, p, now, now, writes{notes: notes, syncs: syncs}); err != nil {
		return 0, err
	}
	return 0, nil
}
