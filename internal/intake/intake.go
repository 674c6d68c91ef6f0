// Package intake takes a verified Sentry webhook from the wire to a durable
// decision: parse, filter, and record the decision with its job in one
// transaction.
package intake

import (
	"context"
	"log/slog"
	"time"

	"booty/internal/alert"
	"booty/internal/sentry"
	"booty/internal/store"
)

// Store is the part of the store intake writes to.
type Store interface {
	Accept(ctx context.Context, d store.Delivery, a *alert.Alert, decide store.DecideFunc, enqueue store.EnqueueFunc) (alert.Decision, error)
	RecordIgnored(ctx context.Context, d store.Delivery, reason alert.Reason) error
}

var _ Store = (*store.Store)(nil)

// Intake decides what to do with verified deliveries.
type Intake struct {
	pipeline *alert.Pipeline
	store    Store
	enqueue  store.EnqueueFunc
	log      *slog.Logger
	now      func() time.Time
}

// New returns an Intake. now is the clock (time.Now outside tests).
func New(pl *alert.Pipeline, st Store, enqueue store.EnqueueFunc, log *slog.Logger, now func() time.Time) *Intake {
	return &Intake{pipeline: pl, store: st, enqueue: enqueue, log: log, now: now}
}

// Result is what became of one delivery.
type Result struct {
	Resource string
	Action   string
	Alert    *alert.Alert // nil when the delivery was not an event alert
	Decision alert.Decision
	// CooldownUntil is when the problem's cooldown ends, for a cooldown
	// decision; the answer tells the sender. Zero when unknown.
	CooldownUntil time.Time
}

// Receive parses body and makes the decision durable. It returns a
// *sentry.PayloadError for a bad payload, and a store error when the
// decision could not be recorded (nothing was accepted then).
func (in *Intake) Receive(ctx context.Context, resource, requestID string, body []byte) (Result, error) {
	d, err := sentry.Parse(resource, body)
	if err != nil {
		return Result{}, err
	}
	res := Result{Resource: d.Resource, Action: d.Action, Alert: d.Alert}
	rec := store.Delivery{ReceivedAt: in.now(), RequestID: requestID, Resource: d.Resource, Action: d.Action}
	if d.Ignore != "" {
		res.Decision.Reason = d.Ignore
		return res, in.store.RecordIgnored(ctx, rec, d.Ignore)
	}
	a := d.Alert
	rec.ProblemKey, rec.EventID = a.ProblemKey, a.EventID
	if d.UnknownLevel {
		in.log.Warn("unknown event level; treated as error", "problem_key", a.ProblemKey, "level", a.LevelRaw)
	}
	if r := in.pipeline.Prefilter(a); r != "" {
		res.Decision.Reason = r
		return res, in.store.RecordIgnored(ctx, rec, r)
	}
	now := rec.ReceivedAt
	res.Decision, err = in.store.Accept(ctx, rec, a, func(prev alert.Problem) (alert.Decision, alert.Problem) {
		return in.pipeline.Decide(a, prev, now)
	}, in.enqueue)
	return res, err
}
