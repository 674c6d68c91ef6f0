package alert

import (
	"slices"
	"time"
)

// IssueState is where a problem's GitHub issue stands in its lifecycle.
// Flapping is not a state but a flag on Lifecycle: a flapping issue is still
// open or closed.
type IssueState string

// The states of a problem's issue.
const (
	// StateNone is a problem booty has not filed an issue for.
	StateNone IssueState = "none"
	// StateFiling is a problem whose issue booty decided to file and whose
	// number it does not know yet.
	StateFiling IssueState = "filing"
	// StateOpen is an open issue.
	StateOpen IssueState = "open"
	// StateClosedCompleted is an issue closed as completed: fixed.
	StateClosedCompleted IssueState = "closed_completed"
	// StateClosedNotPlanned is an issue closed as not planned, by a person
	// or after a Sentry archive. booty never reopens it but for Sentry's
	// escalating.
	StateClosedNotPlanned IssueState = "closed_not_planned"
	// StateClosedDuplicate is an issue closed as a duplicate of another:
	// the other one is where the problem is followed, so booty writes to
	// this one no more.
	StateClosedDuplicate IssueState = "closed_duplicate"
	// StateGone is a problem whose issue was deleted or transferred to a
	// repository booty does not route to: the next event files a fresh
	// one.
	StateGone IssueState = "gone"
)

// IssueStates lists every state, for tests and for the CLI's help.
var IssueStates = []IssueState{
	StateNone, StateFiling, StateOpen, StateClosedCompleted, StateClosedNotPlanned, StateClosedDuplicate, StateGone,
}

// Closed reports whether s is one of the closed states.
func (s IssueState) Closed() bool {
	return s == StateClosedCompleted || s == StateClosedNotPlanned || s == StateClosedDuplicate
}

// hasIssue reports whether booty knows the problem's issue in state s.
func (s IssueState) hasIssue() bool { return s == StateOpen || s.Closed() }

// CloseReason is GitHub's state_reason of a closed issue.
type CloseReason string

// GitHub's reasons for closing an issue.
const (
	CloseCompleted  CloseReason = "completed"
	CloseNotPlanned CloseReason = "not_planned"
	CloseDuplicate  CloseReason = "duplicate"
)

// closedState returns the state of an issue closed for r. An empty or
// unknown reason is completed, GitHub's default.
func closedState(r CloseReason) IssueState {
	switch r {
	case CloseNotPlanned:
		return StateClosedNotPlanned
	case CloseDuplicate:
		return StateClosedDuplicate
	}
	return StateClosedCompleted
}

// closeReason is the reverse of closedState.
func closeReason(s IssueState) CloseReason {
	switch s {
	case StateClosedNotPlanned:
		return CloseNotPlanned
	case StateClosedDuplicate:
		return CloseDuplicate
	}
	return CloseCompleted
}

// Bounds that keep a Lifecycle small enough for one JSON column.
const (
	// MaxReleases is how many releases a Lifecycle remembers; the least
	// recently seen is forgotten first.
	MaxReleases = 20
	// FlapFlips is how many close/reopen flips an hour an issue may take;
	// one more makes it flapping.
	FlapFlips = 3
	// FlapWindow is the hour the flips are counted over, and the quiet
	// after which a flapping issue converges.
	FlapWindow = time.Hour
	// RegressionDebounce is how soon after a Sentry resolve a Sentry
	// regressed is taken for Sentry's own race (getsentry/sentry#30371)
	// and ignored.
	RegressionDebounce = 60 * time.Second
)

// LabelFlapping is the label booty puts on a flapping issue. It stays after
// the issue converges, as a record; a person removes it.
const LabelFlapping = "flapping"

// Lifecycle is the part of a problem's stored state that Step owns. It is
// meant to be stored as one JSON column next to the problem's columns: the
// releases dominate its size, which stays under 4 KB with MaxReleases long
// release names. The zero Lifecycle, "{}", is StateNone.
//
// State, Issue and ClosedAt supersede Problem's IssueClosed and
// IssueClosedAt and mirror IssueNumber: the store keeps Issue and
// Problem.IssueNumber equal.
type Lifecycle struct {
	State IssueState `json:"state,omitempty"`
	// Issue is the issue's number; 0 while there is none.
	Issue int `json:"issue,omitempty"`
	// ClosedAt is when the issue was closed; zero while it is open, or
	// when booty does not know.
	ClosedAt time.Time `json:"closed_at,omitzero"`
	// TailCommented reports that booty has commented on a pre-fix tail
	// since the issue was last closed.
	TailCommented bool `json:"tail_commented,omitempty"`
	// RegressionDue reports that Sentry said the problem regressed and
	// that the regression is a new issue: the next event files it.
	RegressionDue bool `json:"regression_due,omitempty"`
	// RegressionOf is the closed issue that the issue being filed is a
	// regression of, kept while filing so that a retried file links it
	// too.
	RegressionOf int `json:"regression_of,omitempty"`
	// MarkerRemoved reports that a person removed booty's marker from the
	// issue body: booty comments instead of editing the body.
	MarkerRemoved bool `json:"marker_removed,omitempty"`
	// ResolvedAt is when Sentry last resolved the problem, for the
	// debounce of a regressed that follows at once.
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	// Releases are the releases seen, at most MaxReleases.
	Releases []ReleaseSeen `json:"releases,omitempty"`
	// Flips are the times of the close/reopen flips of the last
	// FlapWindow, oldest first, at most FlapFlips.
	Flips []time.Time `json:"flips,omitempty"`
	// Flapping is set while the issue flaps.
	Flapping Flapping `json:"flapping,omitzero"`
}

// ReleaseSeen is one release of the problem's events.
type ReleaseSeen struct {
	Name string `json:"name"`
	// FirstSeen and LastSeen are event times.
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

// Flapping is the state of a flapping issue. The zero Flapping is an issue
// that does not flap.
type Flapping struct {
	// Since is when the issue started to flap.
	Since time.Time `json:"since,omitzero"`
	// QuietSince is when the requested state last changed; the issue
	// converges FlapWindow later.
	QuietSince time.Time `json:"quiet_since,omitzero"`
	// Want is the latest state asked for, by a person or by booty.
	Want IssueState `json:"want,omitempty"`
	// WantByPerson reports that a person's action on GitHub asked for
	// Want, which the issue is then already in.
	WantByPerson bool `json:"want_by_person,omitempty"`
}

// Active reports whether the issue flaps.
func (f Flapping) Active() bool { return !f.Since.IsZero() }

// SettleAt returns when a flapping issue converges, for the job that
// delivers InputTick then. ok is false when the issue does not flap.
func (l Lifecycle) SettleAt() (at time.Time, ok bool) {
	if !l.Flapping.Active() {
		return time.Time{}, false
	}
	return l.Flapping.QuietSince.Add(FlapWindow), true
}

// state returns l's state, StateNone for the zero Lifecycle.
func (l Lifecycle) state() IssueState {
	if l.State == "" {
		return StateNone
	}
	return l.State
}

// clone returns a copy of l that shares no slice with it.
func (l Lifecycle) clone() Lifecycle {
	l.Releases = slices.Clone(l.Releases)
	l.Flips = slices.Clone(l.Flips)
	return l
}

// release returns the remembered release named name.
func (l Lifecycle) release(name string) (ReleaseSeen, bool) {
	for _, r := range l.Releases {
		if r.Name == name {
			return r, true
		}
	}
	return ReleaseSeen{}, false
}

// see records an event of release name at t, forgetting the least recently
// seen release when the list is full. An event without a release leaves no
// trace: it can't tell a tail from a regression anyway.
func (l *Lifecycle) see(name string, t time.Time) {
	if name == "" {
		return
	}
	for i := range l.Releases {
		r := &l.Releases[i]
		if r.Name == name {
			if t.Before(r.FirstSeen) {
				r.FirstSeen = t
			}
			if t.After(r.LastSeen) {
				r.LastSeen = t
			}
			return
		}
	}
	if len(l.Releases) >= MaxReleases {
		oldest := 0
		for i, r := range l.Releases {
			if r.LastSeen.Before(l.Releases[oldest].LastSeen) {
				oldest = i
			}
		}
		l.Releases = slices.Delete(l.Releases, oldest, oldest+1)
	}
	l.Releases = append(l.Releases, ReleaseSeen{Name: name, FirstSeen: t, LastSeen: t})
}

// predatesClose reports whether release was seen before the issue's close:
// its events are a pre-fix tail. An event without a release, or of an issue
// closed at an unknown time, can't be told from a regression.
func (l Lifecycle) predatesClose(release string) bool {
	if release == "" || l.ClosedAt.IsZero() {
		return false
	}
	r, ok := l.release(release)
	return ok && !r.FirstSeen.After(l.ClosedAt)
}

// InitialLifecycle returns the lifecycle of a problem stored before booty
// kept one: open or closed (as completed, the only close booty knew) when it
// has an issue, filing when booty decided to file it, else none.
func InitialLifecycle(p *Problem) Lifecycle {
	switch {
	case p.IssueNumber != 0 && p.IssueClosed:
		return Lifecycle{State: StateClosedCompleted, Issue: p.IssueNumber, ClosedAt: p.IssueClosedAt}
	case p.IssueNumber != 0:
		return Lifecycle{State: StateOpen, Issue: p.IssueNumber}
	case p.Known() && !p.LastWriteAt.IsZero():
		return Lifecycle{State: StateFiling}
	}
	return Lifecycle{State: StateNone}
}
