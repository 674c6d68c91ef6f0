// Package intake takes a verified Sentry webhook from the wire to a durable
// decision: parse, filter, and record the decision with its job in one
// transaction.
package intake

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"booty/internal/alert"
	"booty/internal/route"
	"booty/internal/sentry"
	"booty/internal/store"
	"booty/internal/storm"
)

// Store is the part of the store intake writes to.
type Store interface {
	Transact(ctx context.Context, fn func(tx *store.Tx) error) error
	// TransactProblem is Transact for a decision about one problem, which
	// the store may share with the same problem's other decisions.
	TransactProblem(ctx context.Context, key string, fn func(tx *store.Tx) error) error
}

var _ Store = (*store.Store)(nil)

// EnqueueFunc adds, inside tx, the job that applies an accepted decision,
// and returns its id.
type EnqueueFunc func(ctx context.Context, tx *store.Tx, a *alert.Alert, d alert.Decision) (jobID int64, err error)

// Intake decides what to do with verified deliveries.
type Intake struct {
	pipeline *alert.Pipeline
	// routes is the routes table, nil when every alert takes pipeline;
	// pipelines holds each route's pipeline, built once.
	routes    *route.Table
	pipelines map[*route.Route]*alert.Pipeline
	store     Store
	enqueue   EnqueueFunc
	redact    func(string) string
	log       *slog.Logger
	now       func() time.Time
	// policy and notes follow Sentry's issue webhooks (WithLifecycle);
	// nil notes ignore them.
	policy alert.Policy
	notes  NoteFunc
	ticks  TickFunc
}

// New returns an Intake. redact rewrites a string from the payload without
// its secrets; it is applied to every string of a parsed delivery before
// anything is decided, stored, enqueued or logged, must not be nil, and must
// give the same answer for the same string (intake asks once per string of
// a delivery).
// now is the clock (time.Now outside tests).
func New(pl *alert.Pipeline, st Store, enqueue EnqueueFunc, redact func(string) string, log *slog.Logger, now func() time.Time) *Intake {
	if redact == nil {
		// Running without redaction would store secrets for ever in parked
		// jobs: refuse at startup rather than leak quietly.
		panic("intake.New: nil redactor")
	}
	return &Intake{pipeline: pl, store: st, enqueue: enqueue, redact: redact, log: log, now: now}
}

// NewRouted returns an Intake that matches every alert to a route of t
// first: an alert no route takes is ignored as no_route, one whose route
// drops it as dropped_by_route, and the others are decided by their
// route's pipeline (its min_level, cooldown and min_events). The other
// arguments are New's.
func NewRouted(t *route.Table, st Store, enqueue EnqueueFunc, redact func(string) string, log *slog.Logger, now func() time.Time) *Intake {
	in := New(nil, st, enqueue, redact, log, now)
	in.routes = t
	in.pipelines = make(map[*route.Route]*alert.Pipeline, len(t.Routes))
	for _, r := range t.Routes {
		in.pipelines[r] = alert.NewRoutePipeline(r.MinLevel, r.Cooldown, r.MinEvents)
	}
	return in
}

// Result is what became of one delivery.
type Result struct {
	Resource string
	Action   string
	Alert    *alert.Alert // nil when the delivery was not an event alert
	Decision alert.Decision
	// Route names the route the alert took; "" without a routes table,
	// and when no route matched.
	Route string
	// CooldownUntil is when the problem's quiet period ends, under the
	// cooldown in force, when the decision is alert.ReasonCooldown; zero
	// otherwise.
	CooldownUntil time.Time
}

// decideTimeout bounds a decision's statements once they run, whatever
// becomes of the request.
const decideTimeout = 30 * time.Second

// Receive parses body and makes the decision durable. It returns a
// *sentry.PayloadError for a bad payload, and a store error when the
// decision could not be recorded (nothing was accepted then). Every string
// taken from the delivery is redacted first, so the problem, the delivery
// record, the job and the log hold no secret the redactor knows.
func (in *Intake) Receive(ctx context.Context, resource, requestID string, body []byte) (Result, error) {
	d, err := sentry.Parse(resource, body)
	if err != nil {
		return Result{}, err
	}
	d.Action = in.redact(d.Action)
	if d.Alert != nil {
		d.Alert.Redact(remembered(in.redact))
	}
	res := Result{Resource: d.Resource, Action: d.Action, Alert: d.Alert}
	rec := store.Delivery{ReceivedAt: in.now(), RequestID: in.redact(requestID), Resource: d.Resource, Action: d.Action}
	if c := d.Issue; c != nil && in.notes != nil {
		for _, s := range []*string{&c.Title, &c.Assignee, &c.ResolvedIn, &c.Resolution, &c.Link, &c.Project} {
			*s = in.redact(*s)
		}
		return in.receiveIssue(ctx, rec, c)
	}
	if d.Ignore != "" {
		res.Decision.Reason = d.Ignore
		return res, in.record(ctx, rec, d.Ignore)
	}
	a := d.Alert
	rec.ProblemKey, rec.EventID = a.ProblemKey, a.EventID
	if d.UnknownLevel {
		in.log.Warn("unknown event level; treated as error", "problem_key", a.ProblemKey, "level", a.LevelRaw)
	}
	pl := in.pipeline
	var rt *route.Route
	if in.routes != nil {
		v := in.routes.Match(a)
		switch {
		case !v.Matched():
			res.Decision.Reason = alert.ReasonNoRoute
			return res, in.record(ctx, rec, alert.ReasonNoRoute)
		case v.Dropped():
			res.Route, rec.Route = v.Route.Name, v.Route.Name
			res.Decision.Reason = alert.ReasonDroppedByRoute
			return res, in.record(ctx, rec, alert.ReasonDroppedByRoute)
		}
		rt, res.Route, rec.Route = v.Route, v.Route.Name, v.Route.Name
		pl = in.pipelines[v.Route]
	}
	if r := pl.Prefilter(a); r != "" {
		res.Decision.Reason = r
		return res, in.record(ctx, rec, r)
	}
	var next alert.Problem
	// Once its turn comes, the decision may share a transaction with other
	// deliveries' (TransactProblem): the sender hanging up must not cancel
	// their statements, River's insert included, since a cancelled
	// statement breaks the connection under all of them.
	txCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), decideTimeout)
	defer cancel()
	err = in.store.TransactProblem(ctx, a.ProblemKey, func(tx *store.Tx) error {
		// Locked until the commit: a concurrent delivery of the same
		// problem, on this replica or another, decides after this one.
		prev, err := tx.ProblemEvent(txCtx, a.ProblemKey, a.EventID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		res.Decision, next = pl.Decide(a, prev, rec.ReceivedAt)
		if !prev.Known() && rt != nil {
			// Set once: the problem keeps its repository for good.
			next.Route, next.Repo = rt.Name, rt.Repo.String()
		}
		if rt != nil {
			if err := in.weather(txCtx, tx, a, rt, prev, &res.Decision, &next, rec.ReceivedAt); err != nil {
				return err
			}
		}
		var step *lifeStep
		if in.notes != nil && res.Decision.Reason != alert.ReasonDuplicate {
			if step, err = in.live(txCtx, tx, a, prev, &res.Decision, &next, rec.ReceivedAt); err != nil {
				return err
			}
		}
		if err := tx.SaveProblem(txCtx, prev, next); err != nil {
			return err
		}
		if step != nil {
			if err := step.save(txCtx, tx, in.notes, in.ticks, next); err != nil {
				return err
			}
		}
		if next.EventCounted && !prev.EventCounted && a.EventID != "" {
			if err := tx.CountEvent(txCtx, a.ProblemKey, a.EventID, rec.ReceivedAt); err != nil {
				return err
			}
		}
		var jobID int64
		if res.Decision.Accepted() || res.Decision.Digest != 0 {
			if rt != nil {
				// The problem's repository, not the route's: a problem
				// stays where its issue is.
				res.Decision.Target = &alert.Target{Route: rt.Name, Repo: next.Repo,
					Labels: rt.IssueLabels(a), Assignees: rt.Assignees}
				if res.Decision.Digest != 0 {
					// A digest is for people, not for a builder.
					res.Decision.Target.Labels = digestLabels(res.Decision.Target.Labels, rt.TriggerLabel)
					res.Decision.Target.Assignees = nil
				}
			}
			if jobID, err = in.enqueue(txCtx, tx, a, res.Decision); err != nil {
				return fmt.Errorf("enqueue: %w", err)
			}
		}
		return tx.RecordDelivery(txCtx, rec, res.Decision.String(), jobID)
	})
	if err != nil {
		res.Decision = alert.Decision{}
		return res, fmt.Errorf("accept %s: %w", a.ProblemKey, err)
	}
	if res.Decision.Reason == alert.ReasonCooldown {
		res.CooldownUntil = pl.CooldownEnd(next)
	}
	return res, nil
}

// remembered returns redact answering each string once: a stack trace
// repeats its file names, modules and source lines from frame to frame,
// and redacting is most of what intake spends on a delivery but parsing
// it. redact must be a function of its argument alone, as every redactor
// is.
func remembered(redact func(string) string) func(string) string {
	seen := make(map[string]string, 64)
	return func(s string) string {
		if r, ok := seen[s]; ok {
			return r
		}
		r := redact(s)
		seen[s] = r
		return r
	}
}

// weather applies the storm budget to the decision d about a, which took
// route rt, and to next, the problem's state after it (prev before):
//   - a new problem is filed while its route's budget and the global one
//     have room, and folded into the route's digest otherwise;
//   - a folded problem's new event is counted and shown in its digest while
//     the storm goes on, and promoted to its own issue, budget allowing,
//     once the storm has been quiet for StormQuiet, whatever the cooldown.
//
// Only a problem's first create takes from the budget: a create decided
// again after a parked or failed one is the same issue.
func (in *Intake) weather(ctx context.Context, tx *store.Tx, a *alert.Alert, rt *route.Route, prev alert.Problem,
	d *alert.Decision, next *alert.Problem, now time.Time) error {
	switch {
	case prev.Folded() && d.Reason != alert.ReasonDuplicate:
		dg, err := tx.Digest(ctx, prev.DigestID)
		if err != nil {
			return err
		}
		if storm.Quiet(dg.LastFoldAt, now, in.routes.StormQuiet) {
			v, err := in.takeIssue(ctx, tx, a, rt, now)
			if err != nil {
				return err
			}
			if v == storm.File {
				*d = alert.Decision{Action: alert.ActionCreate}
				next.LastWriteAt = now
				return nil
			}
		}
		*d = alert.Decision{Reason: alert.ReasonFolded, Digest: dg.ID}
		next.LastWriteAt = prev.LastWriteAt
		return tx.TouchDigest(ctx, dg.ID)
	case d.Action == alert.ActionCreate && prev.LastWriteAt.IsZero():
		v, err := in.takeIssue(ctx, tx, a, rt, now)
		if err != nil || v == storm.File {
			return err
		}
		dg, err := tx.Fold(ctx, rt.Name, next.Repo, now, in.routes.StormQuiet)
		if err != nil {
			return err
		}
		next.DigestID = dg.ID
		*d = alert.Decision{Action: alert.ActionFold, Digest: dg.ID}
	}
	return nil
}

// takeIssue asks route rt's budget of new issues and the global one for
// a's issue at now, and uses both when they have room.
func (in *Intake) takeIssue(ctx context.Context, tx *store.Tx, a *alert.Alert, rt *route.Route, now time.Time) (storm.Verdict, error) {
	b, err := tx.IssueBudgets(ctx, rt.Name)
	if err != nil {
		return storm.File, err
	}
	v, b := storm.Decide(b, rt.Budget, in.routes.Storm, a.Level >= alert.SeverityFatal, now)
	if v == storm.File {
		err = tx.SaveIssueBudgets(ctx, rt.Name, b)
	}
	return v, err
}

// digestLabels returns the labels of a route's issue without its trigger
// label.
func digestLabels(labels []string, trigger string) []string {
	var out []string
	for _, l := range labels {
		if !strings.EqualFold(l, trigger) {
			out = append(out, l)
		}
	}
	return out
}

// record records a delivery that was filtered before any problem state was
// read.
func (in *Intake) record(ctx context.Context, rec store.Delivery, reason alert.Reason) error {
	err := in.store.Transact(ctx, func(tx *store.Tx) error {
		return tx.RecordDelivery(ctx, rec, string(reason), 0)
	})
	if err != nil {
		return fmt.Errorf("record delivery: %w", err)
	}
	return nil
}
