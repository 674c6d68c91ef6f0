package alert

import "time"

// Action is what booty does to GitHub for an accepted alert.
type Action string

// The actions of DESIGN.md's answer table.
const (
	ActionCreate  Action = "create"
	ActionComment Action = "comment"
	ActionReopen  Action = "reopen"
	// ActionFold lists a new problem in its route's storm digest instead
	// of filing its own issue: the route is over its budget of new issues.
	ActionFold Action = "fold"
	// ActionUpdate rewrites the Occurrences section of the open issue's
	// body instead of commenting (OBSV_ON_REPEAT=update).
	ActionUpdate Action = "update"
)

// Reason says why an alert was not acted on.
type Reason string

// The reasons of DESIGN.md's answer table.
const (
	ReasonNotEventAlert  Reason = "not_event_alert"
	ReasonNotTriggered   Reason = "not_triggered"
	ReasonBelowThreshold Reason = "below_threshold"
	ReasonSampleEvent    Reason = "sample_event"
	ReasonDuplicate      Reason = "duplicate"
	ReasonCooldown       Reason = "cooldown"
	// ReasonPredatesClose is a new event of a problem whose issue is
	// closed, but one that happened before the close: counted, and no
	// regression, since the fix may well have come after it. A replayed
	// old delivery is one.
	ReasonPredatesClose Reason = "predates_close"
	// ReasonNoRoute is an alert that no route of the routes file matches.
	ReasonNoRoute Reason = "no_route"
	// ReasonDroppedByRoute is an alert whose route says drop: true.
	ReasonDroppedByRoute Reason = "dropped_by_route"
	// ReasonBelowMinEvents is an event of a problem without an issue that
	// has not yet been seen its route's min_events times: counted, not
	// filed.
	ReasonBelowMinEvents Reason = "below_min_events"
	// ReasonClosedNotPlanned is an event of a problem whose issue a
	// person closed as not planned (or as a duplicate): counted, never
	// reopened by booty.
	ReasonClosedNotPlanned Reason = "closed_not_planned"
	// ReasonFolded is a new event of a problem listed in a storm digest
	// while the storm goes on: counted, and the digest shows the count.
	ReasonFolded Reason = "folded"
)

// Decision is the outcome of the pipeline: either an Action or a Reason.
type Decision struct {
	Action Action
	Reason Reason
	// Target is where an accepted decision writes: the problem's
	// repository and the new issue's labels and assignees, from its
	// route. Nil means the default repository with the trigger label
	// alone, as before routes.
	Target *Target
	// Digest is the storm digest an ActionFold lists the problem in, and
	// the one whose count a ReasonFolded changes.
	Digest int64
	// RegressionOf is the closed issue an ActionCreate files a regression
	// of: the new issue links it.
	RegressionOf int
}

// Target is the repository an issue goes to and what it is filed with.
type Target struct {
	// Route names the route that matched.
	Route string
	// Repo is "OWNER/NAME", the problem's repository; "" is the default
	// repository.
	Repo string
	// Labels are the new issue's labels, the trigger label first.
	Labels    []string
	Assignees []string
}

// Accepted reports whether GitHub must change.
func (d Decision) Accepted() bool { return d.Action != "" }

// String returns the action, or the reason when the alert was ignored.
func (d Decision) String() string {
	if d.Accepted() {
		return string(d.Action)
	}
	return string(d.Reason)
}

// Problem is booty's state for one problem: what it has seen and what it
// wrote to GitHub. The zero Problem is a problem seen for the first time.
type Problem struct {
	Key       string
	FirstSeen time.Time
	LastSeen  time.Time
	// Count is the number of distinct events seen.
	Count       int64
	LastEventID string
	// EventCounted reports that the event being decided is already among
	// the problem's counted events. The store fills it from the events it
	// keeps for the delivery retention, not only the last one, so that
	// alternating two old deliveries counts them once; Decide sets it in
	// the next state once it counts the event. It is not a column.
	EventCounted bool
	// IssueNumber is 0 until the issue exists.
	IssueNumber int
	IssueClosed bool
	// IssueCloseReason is GitHub's state_reason of the close, from its
	// issues webhook: "completed", "not_planned", "duplicate", or "" when
	// booty does not know (taken as completed).
	IssueCloseReason string
	// IssueClosedAt is when GitHub says the issue was closed; zero while it
	// is open, or when booty does not know.
	IssueClosedAt time.Time
	// LastWriteAt is when booty last decided to write to the issue
	// (create, comment, reopen). The cooldown is counted from it with the
	// configuration in force, so a changed OBSV_COOLDOWN_HOURS applies to
	// known problems at once.
	LastWriteAt time.Time
	// Route names the route the problem took when it was first seen, and
	// Repo ("OWNER/NAME") the repository its issue is filed in; both are
	// set at its first event and kept, so that a problem stays with its
	// issue when the routes change. Repo "" is the default repository.
	Route string
	Repo  string
	// Title, Level, Project, Environment, Release and Link (the Sentry
	// issue's URL) are what the latest event said of the problem, for
	// listing it: in a storm digest, on the status page. All redacted.
	Title       string
	Level       string
	Project     string
	Environment string
	Release     string
	Link        string
	// DigestID is the storm digest the problem was folded into, 0 when it
	// never was. A folded problem has no issue of its own until it is
	// promoted, and keeps DigestID after, so that the digest can link to
	// its issue.
	DigestID int64
}

// Folded reports whether the problem is listed in a storm digest and has
// no issue of its own: dedup and the cooldown treat the digest as its
// issue, so it is never filed twice.
func (p *Problem) Folded() bool { return p.DigestID != 0 && p.IssueNumber == 0 }

// CooldownEnd returns when the quiet period after booty's last write ends
// for a cooldown of d.
func (p *Problem) CooldownEnd(d time.Duration) time.Time { return p.LastWriteAt.Add(d) }

// closedSince returns the earliest moment the issue can have been closed:
// GitHub's closed_at, or, when that is unknown, booty's last write, since
// every write leaves the issue open.
func (p *Problem) closedSince() time.Time {
	if p.IssueClosedAt.After(p.LastWriteAt) {
		return p.IssueClosedAt
	}
	return p.LastWriteAt
}

// Known reports whether p was stored before.
func (p *Problem) Known() bool { return !p.FirstSeen.IsZero() }

// A Stage is one step of the pipeline. It returns the reason to stop, or ""
// to let the alert through to the next stage. Stages read the problem's
// state but never change it.
type Stage interface {
	Check(a *Alert, p *Problem, now time.Time) Reason
}

// StageFunc adapts a function to Stage.
type StageFunc func(a *Alert, p *Problem, now time.Time) Reason

// Check calls f.
func (f StageFunc) Check(a *Alert, p *Problem, now time.Time) Reason { return f(a, p, now) }

// Threshold stops alerts less severe than min.
func Threshold(min Severity) Stage {
	return StageFunc(func(a *Alert, _ *Problem, _ time.Time) Reason {
		if a.Level < min {
			return ReasonBelowThreshold
		}
		return ""
	})
}

// SampleFilter stops Sentry's sample event.
func SampleFilter() Stage {
	return StageFunc(func(a *Alert, _ *Problem, _ time.Time) Reason {
		if a.Sample {
			return ReasonSampleEvent
		}
		return ""
	})
}

// Dedup stops a second delivery of an event booty has already counted:
// several alert rules firing on one event, a redelivery, a replay.
func Dedup() Stage {
	return StageFunc(func(a *Alert, p *Problem, _ time.Time) Reason {
		if p.Known() && a.EventID != "" && (p.EventCounted || a.EventID == p.LastEventID) {
			return ReasonDuplicate
		}
		return ""
	})
}

// PredatesClose stops a regression whose event is not later than the
// close of the issue. The event's own time is covered by Sentry's
// signature; the delivery's Sentry-Hook-Timestamp header is not, so it
// proves nothing. An event without a time never reopens an issue.
func PredatesClose() Stage {
	return StageFunc(func(a *Alert, p *Problem, _ time.Time) Reason {
		if p.Known() && p.IssueNumber != 0 && p.IssueClosed && !a.Timestamp.After(p.closedSince()) {
			return ReasonPredatesClose
		}
		return ""
	})
}

// ClosedForGood stops the reopen of an issue closed as not planned or as a
// duplicate: a person decided it is not to be worked on (or is tracked
// elsewhere), and a new event does not change their mind.
func ClosedForGood() Stage {
	return StageFunc(func(_ *Alert, p *Problem, _ time.Time) Reason {
		if p.Known() && p.IssueNumber != 0 && p.IssueClosed && (p.IssueCloseReason == "not_planned" || p.IssueCloseReason == "duplicate") {
			return ReasonClosedNotPlanned
		}
		return ""
	})
}

// MinEvents stops the create of a problem's issue until the problem has
// been seen n times, this event included. A problem with an issue passes:
// the threshold is for filing, not for keeping the issue up to date.
func MinEvents(n int) Stage {
	return StageFunc(func(_ *Alert, p *Problem, _ time.Time) Reason {
		if p.IssueNumber == 0 && p.Count+1 < int64(n) {
			return ReasonBelowMinEvents
		}
		return ""
	})
}

// Cooldown stops writes while the problem is in its quiet period of d,
// which starts with each decision to write: while its issue is being
// filed, and after each write to it. A closed issue is a regression and
// passes at once.
func Cooldown(d time.Duration) Stage {
	return StageFunc(func(_ *Alert, p *Problem, now time.Time) Reason {
		if !p.Known() || (p.IssueNumber != 0 && p.IssueClosed) {
			return ""
		}
		if now.Before(p.CooldownEnd(d)) {
			return ReasonCooldown
		}
		return ""
	})
}

// Pipeline decides what to do with an alert.
type Pipeline struct {
	// Stateless stages need no stored state: they run before the store is
	// touched, so filtered alerts cost no write lock.
	Stateless []Stage
	// Stateful stages read the problem's stored state.
	Stateful []Stage
	// Cooldown is the quiet period after each write to GitHub, for
	// CooldownEnd; the Cooldown stage holds its own copy.
	Cooldown time.Duration
}

// NewPipeline returns the pipeline of DESIGN.md: severity threshold, sample
// filter, dedup, regression check, cooldown.
func NewPipeline(min Severity, cooldown time.Duration) *Pipeline {
	return NewRoutePipeline(min, cooldown, 1)
}

// NewRoutePipeline returns the pipeline of one route: NewPipeline's, with
// the route's min_events before the cooldown. minEvents of 1 or less files
// at the first event.
func NewRoutePipeline(min Severity, cooldown time.Duration, minEvents int) *Pipeline {
	stateful := []Stage{Dedup(), ClosedForGood(), PredatesClose()}
	if minEvents > 1 {
		stateful = append(stateful, MinEvents(minEvents))
	}
	return &Pipeline{
		Stateless: []Stage{Threshold(min), SampleFilter()},
		Stateful:  append(stateful, Cooldown(cooldown)),
		Cooldown:  cooldown,
	}
}

// CooldownEnd returns when p's quiet period ends under this pipeline's
// cooldown.
func (pl *Pipeline) CooldownEnd(p Problem) time.Time { return p.CooldownEnd(pl.Cooldown) }

// Prefilter runs the stateless stages. It returns the reason to stop, or "".
func (pl *Pipeline) Prefilter(a *Alert) Reason {
	return run(pl.Stateless, a, &Problem{}, time.Time{})
}

// Decide runs the stateful stages against prev, the problem's stored state,
// and returns the decision with the state to store next. When the alert is
// a duplicate, next equals prev.
func (pl *Pipeline) Decide(a *Alert, prev Problem, now time.Time) (d Decision, next Problem) {
	next = prev
	if r := run(pl.Stateful, a, &prev, now); r != "" {
		if r != ReasonDuplicate {
			next.observe(a, now)
		}
		return Decision{Reason: r}, next
	}
	next.observe(a, now)
	next.LastWriteAt = now
	switch {
	case !prev.Known(), prev.IssueNumber == 0:
		// A problem still without an issue after its cooldown: its first
		// create was parked or dropped, or is still failing. Ask again;
		// the job queue keeps one create per problem in flight.
		d.Action = ActionCreate
	case prev.IssueClosed:
		d.Action = ActionReopen
		next.IssueClosed = false
		next.IssueClosedAt = time.Time{}
		next.IssueCloseReason = ""
	default:
		d.Action = ActionComment
	}
	return d, next
}

func run(stages []Stage, a *Alert, p *Problem, now time.Time) Reason {
	for _, s := range stages {
		if r := s.Check(a, p, now); r != "" {
			return r
		}
	}
	return ""
}

// observe counts a new event of the problem.
func (p *Problem) observe(a *Alert, now time.Time) {
	if !p.Known() {
		p.Key = a.ProblemKey
		p.FirstSeen = now
	}
	p.LastSeen = now
	p.Count++
	p.Title, p.Level, p.Project = a.Title, a.Level.String(), a.Project
	p.Environment, p.Release, p.Link = a.Environment, a.Release, a.IssueURL
	if a.EventID != "" {
		p.LastEventID = a.EventID
		p.EventCounted = true
	}
}
