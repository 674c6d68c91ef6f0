package alert

import "time"

// Step is the problem's state machine: from its lifecycle s and one input, it
// returns the next lifecycle, what booty must do, and the record of why. It
// is pure: now is the clock, and nothing is written anywhere.
//
// The rules, by input:
//   - an event files an issue for a problem without one; on an open issue
//     it comments or updates the body (OnRepeat); on an issue closed as
//     completed it is a pre-fix tail when its release was seen before the
//     close (commented once per close, else counted), otherwise a
//     regression: reopen with a comment naming the release, or a new issue
//     "Regression of #N" with OnRegression new_issue or when the close is
//     older than ReopenWindow; on an issue closed as not planned or as a
//     duplicate it is counted only;
//   - Sentry's actions never file: for a problem without an issue they only
//     record (a resolve's time). regressed is a regression as above, unless
//     it comes within RegressionDebounce of a resolve; when the regression
//     is a new issue, the next event files it. escalating reopens even a
//     not-planned close, with a comment. resolved and archived act on an
//     open issue per OnResolve and OnArchive. assigned comments the name;
//   - a person's close or reopen on GitHub is recorded and, with
//     SyncSentry, mirrored to Sentry; deleted, or transferred where booty
//     does not route, forgets the issue; transferred to a routed
//     repository follows it;
//   - an input ByBooty is the echo of booty's own call and is ignored;
//   - the fourth close/reopen flip within FlapWindow makes the issue flap:
//     booty labels it, comments once and flips no more; after FlapWindow
//     without a change of the requested state, it converges with one
//     action.
func Step(s Lifecycle, in Input, p Policy, now time.Time) (next Lifecycle, effects []Effect, t Transition) {
	m := &machine{s: s.clone(), in: in, p: p.withDefaults(), now: now, at: in.time(now)}
	m.s.State = s.state()
	from := m.s.State
	settled := m.settle()
	m.apply()
	if settled && m.in.Kind == InputTick {
		m.cause = CauseFlapSettled
	}
	return m.s, m.effects, Transition{From: from, To: m.s.State, Input: in.Kind, Reason: m.cause, At: now, Settled: settled}
}

// machine is one Step in progress.
type machine struct {
	s       Lifecycle
	in      Input
	p       Policy
	now     time.Time
	at      time.Time // when the input happened
	effects []Effect
	cause   Cause
}

func (m *machine) do(e Effect)   { m.effects = append(m.effects, e) }
func (m *machine) count(c Cause) { m.do(Effect{Kind: EffectCount}); m.cause = c }
func (m *machine) comment(c Comment, cause Cause) {
	m.do(Effect{Kind: EffectComment, Comment: c})
	m.cause = cause
}

func (m *machine) apply() {
	k := m.in.Kind
	switch {
	case m.in.ByBooty && (k.fromSentry() || k.fromGitHub()):
		m.cause = CauseOwnAction
	case k == InputEvent:
		m.s.see(m.in.Release, m.at)
		m.event()
	case k == InputEventHeld:
		m.s.see(m.in.Release, m.at)
		m.count(CauseCounted)
	case k == InputFiled:
		m.filed()
	case k.fromSentry():
		if k == InputSentryResolved {
			m.s.ResolvedAt = m.at
		}
		if !m.s.State.hasIssue() {
			m.cause = CauseNoIssue
			return
		}
		m.sentry()
	case k.fromGitHub():
		if !m.s.State.hasIssue() {
			m.cause = CauseNoIssue
			return
		}
		m.github()
	case k == InputTick:
		m.cause = CauseTick
	default:
		m.cause = CauseUnknownInput
	}
}

// event is an accepted event, its release already recorded.
func (m *machine) event() {
	switch m.s.State {
	case StateNone, StateGone, StateFiling:
		// For StateFiling the pipeline asks again after the cooldown:
		// the first create may have been parked or dropped.
		e := Effect{Kind: EffectFile, RegressionOf: m.s.RegressionOf}
		if e.RegressionOf != 0 {
			e.Comment = Comment{Kind: CommentRegression, Release: m.in.Release}
		}
		m.do(e)
		m.s.State = StateFiling
		m.cause = CauseFile
	case StateOpen:
		if m.p.OnRepeat == RepeatUpdate && !m.s.MarkerRemoved {
			m.do(Effect{Kind: EffectUpdateBody})
			m.cause = CauseRepeat
			return
		}
		m.comment(Comment{Kind: CommentRepeat}, CauseRepeat)
	case StateClosedCompleted:
		switch {
		case m.s.RegressionDue, !m.s.predatesClose(m.in.Release):
			m.regression(CommentRegression)
		case m.s.TailCommented:
			m.count(CauseTailCounted)
		default:
			m.s.TailCommented = true
			m.comment(Comment{Kind: CommentPreFixTail, Release: m.in.Release}, CausePreFixTail)
		}
	case StateClosedNotPlanned:
		m.count(CauseNotPlanned)
	case StateClosedDuplicate:
		m.count(CauseDuplicate)
	}
}

// regression is the problem back after a close as completed: reopen, or a
// new issue when the policy or the age of the close says so.
func (m *machine) regression(kind CommentKind) {
	c := Comment{Kind: kind, Release: m.in.Release}
	if m.p.OnRegression == RegressionNewIssue ||
		(!m.s.ClosedAt.IsZero() && m.now.Sub(m.s.ClosedAt) > m.p.ReopenWindow) {
		if m.in.Kind != InputEvent {
			// Filing stays driven by alert rules: Sentry's word makes
			// the next event file the regression, whatever its release.
			m.s.RegressionDue = true
			m.cause = CauseRegressionDue
			return
		}
		old := m.s.Issue
		m.do(Effect{Kind: EffectFile, RegressionOf: old, Comment: c})
		m.forget(StateFiling)
		m.s.RegressionOf = old
		m.cause = CauseNewIssue
		return
	}
	m.flip(StateOpen, false, CauseReopened, Effect{Kind: EffectReopen, Comment: c})
}

// filed is booty's create that landed: the new issue is the problem's, and
// what belonged to an old one is dropped.
func (m *machine) filed() {
	switch m.s.State {
	case StateNone, StateFiling, StateGone:
		m.s = Lifecycle{State: StateOpen, Issue: m.in.Issue, ResolvedAt: m.s.ResolvedAt, Releases: m.s.Releases}
		m.cause = CauseFiled
	default:
		m.cause = CauseNoChange
	}
}

// forget drops the issue and all that belongs to it, keeping what belongs
// to the problem: its releases and Sentry's last resolve.
func (m *machine) forget(to IssueState) {
	m.s = Lifecycle{State: to, ResolvedAt: m.s.ResolvedAt, Releases: m.s.Releases}
}

// sentry is a Sentry action on a problem with an issue.
func (m *machine) sentry() {
	st := m.s.State
	switch m.in.Kind {
	case InputSentryResolved:
		m.cause = CauseResolved
		if st != StateOpen {
			m.cause = CauseNoChange
			return
		}
		c := Comment{Kind: CommentResolved, Resolution: m.in.Resolution}
		switch m.p.OnResolve {
		case ChoiceComment:
			m.comment(c, CauseResolved)
		case ChoiceClose:
			m.flip(StateClosedCompleted, false, CauseResolved, Effect{Kind: EffectClose, CloseReason: CloseCompleted, Comment: c})
		}
	case InputSentryArchived:
		m.cause = CauseArchived
		if st != StateOpen {
			m.cause = CauseNoChange
			return
		}
		c := Comment{Kind: CommentArchived}
		switch m.p.OnArchive {
		case ChoiceComment:
			m.comment(c, CauseArchived)
		case ChoiceClose:
			m.flip(StateClosedNotPlanned, false, CauseArchived, Effect{Kind: EffectClose, CloseReason: CloseNotPlanned, Comment: c})
		}
	case InputSentryRegressed:
		if !m.s.ResolvedAt.IsZero() && !m.at.Before(m.s.ResolvedAt) && m.at.Sub(m.s.ResolvedAt) <= RegressionDebounce {
			m.cause = CauseDebounced
			return
		}
		switch st {
		case StateOpen:
			m.comment(Comment{Kind: CommentRegression, Release: m.in.Release}, CauseRegressed)
		case StateClosedCompleted:
			m.regression(CommentRegression)
		default:
			m.leftAlone()
		}
	case InputSentryEscalating:
		switch st {
		case StateOpen:
			m.comment(Comment{Kind: CommentEscalating}, CauseEscalating)
		case StateClosedCompleted:
			m.regression(CommentEscalating)
		case StateClosedNotPlanned:
			m.flip(StateOpen, false, CauseReopened, Effect{Kind: EffectReopen, Comment: Comment{Kind: CommentEscalating}})
		default:
			m.leftAlone()
		}
	case InputSentryUnresolvedByPerson:
		switch st {
		case StateClosedCompleted:
			m.flip(StateOpen, false, CauseUnresolved, Effect{Kind: EffectReopen, Comment: Comment{Kind: CommentUnresolved}})
		case StateOpen:
			m.cause = CauseNoChange
		default:
			m.leftAlone()
		}
	case InputSentryAssigned:
		if st == StateClosedDuplicate {
			m.leftAlone()
			return
		}
		m.comment(Comment{Kind: CommentAssigned, Assignee: m.in.Assignee}, CauseAssigned)
	case InputSentryArchiveExpired:
		// The archive's condition lapsed: Sentry unresolves the issue and
		// will say escalating or regressed when it matters.
		m.cause = CauseNoChange
	}
}

// leftAlone is an input booty leaves to a person's close as not planned or
// as a duplicate.
func (m *machine) leftAlone() {
	if m.s.State == StateClosedDuplicate {
		m.cause = CauseDuplicate
		return
	}
	m.cause = CauseNotPlanned
}

// github is a person's action on the problem's issue.
func (m *machine) github() {
	st := m.s.State
	switch m.in.Kind {
	case InputGitHubClosed:
		to := closedState(m.in.CloseReason)
		switch {
		case st == StateOpen:
			m.flip(to, true, CauseClosed, m.syncClose(to)...)
		case st != to:
			// A closed issue's reason edited: no flip, and Sentry
			// already heard of the close.
			m.s.State = to
			m.s.TailCommented = false
			if m.s.Flapping.Active() && m.s.Flapping.Want.Closed() {
				m.s.Flapping.Want = to
				m.s.Flapping.WantByPerson = true
			}
			m.cause = CauseClosed
		default:
			m.cause = CauseNoChange
		}
	case InputGitHubReopened:
		if st == StateOpen {
			m.cause = CauseNoChange
			return
		}
		var sync []Effect
		if m.p.SyncSentry {
			sync = append(sync, Effect{Kind: EffectSentryUnresolve})
		}
		m.flip(StateOpen, true, CauseReopenedBy, sync...)
	case InputGitHubDeleted:
		m.do(Effect{Kind: EffectForgetIssue})
		m.forget(StateGone)
		m.cause = CauseDeleted
	case InputGitHubTransferred:
		if !m.in.RepoRouted || m.in.Issue == 0 {
			m.do(Effect{Kind: EffectForgetIssue})
			m.forget(StateGone)
			m.cause = CauseMovedAway
			return
		}
		m.do(Effect{Kind: EffectFollowIssue, Repo: m.in.Repo, Issue: m.in.Issue})
		m.s.Issue = m.in.Issue
		m.cause = CauseFollowed
	case InputGitHubMarkerRemoved:
		m.s.MarkerRemoved = true
		m.cause = CauseMarker
	case InputGitHubLabeled, InputGitHubUnlabeled:
		m.cause = CauseLabel
	}
}

// syncClose returns the Sentry call that mirrors a person's close to to.
func (m *machine) syncClose(to IssueState) []Effect {
	if !m.p.SyncSentry {
		return nil
	}
	switch to {
	case StateClosedCompleted:
		return []Effect{{Kind: EffectSentryResolve}}
	case StateClosedNotPlanned:
		return []Effect{{Kind: EffectSentryArchive}}
	}
	// A duplicate's Sentry issue is a person's to merge.
	return nil
}
