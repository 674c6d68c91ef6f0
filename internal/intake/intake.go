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
	redact   func(string) string
	log      *slog.Logger
	now      func() time.Time
}

// New returns an Intake. redact rewrites a string from the payload without
// its secrets; it is applied to every string of a parsed delivery before
// anything is decided, stored, enqueued or logged, and must not be nil.
// now is the clock (time.Now outside tests).
func New(pl *alert.Pipeline, st Store, enqueue store.EnqueueFunc, redact func(string) string, log *slog.Logger, now func() time.Time) *Intake {
	if redact == nil {
		// Running without redaction would store secrets for ever in parked
		// jobs: refuse at startup rather than leak quietly.
		panic("intake.New: nil redactor")
	}
	return &Intake{pipeline: pl, store: st, enqueue: enqueue, redact: redact, log: log, now: now}
}

// Result is what became of one delivery.
type Result struct {
	Resource string
	Action   string
	Alert    *alert.Alert // nil when the delivery was not an event alert
	Decision alert.Decision
	// CooldownUntil is when the problem's quiet period ends, under the
	// cooldown in force, when the decision is alert.ReasonCooldown; zero
	// otherwise.
	CooldownUntil time.Time
}

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
		d.Alert.Redact(in.redact)
	}
	res := Result{Resource: d.Resource, Action: d.Action, Alert: d.Alert}
	rec := store.Delivery{ReceivedAt: in.now(), RequestID: in.redact(requestID), Resource: d.Resource, Action: d.Action}
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
	// The store runs decide once, inside its transaction; next is read
	// only after Accept has returned.
	var next alert.Problem
	res.Decision, err = in.store.Accept(ctx, rec, a, func(prev alert.Problem) (alert.Decision, alert.Problem) {
		var dec alert.Decision
		dec, next = in.pipeline.Decide(a, prev, now)
		return dec, next
	}, in.enqueue)
	if err == nil && res.Decision.Reason == alert.ReasonCooldown {
		res.CooldownUntil = in.pipeline.CooldownEnd(next)
	}
	return res, err
}
