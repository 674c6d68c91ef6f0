package alert

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// move is one input of a sequence and what Step must answer. at is since
// t0; an input without At happens then.
type move struct {
	at      time.Duration
	in      Input
	want    IssueState
	effects []EffectKind
	cause   Cause
}

// play runs moves from s and returns the last lifecycle and every move's
// effects.
func play(t *testing.T, s Lifecycle, p Policy, moves []move) (Lifecycle, [][]Effect) {
	t.Helper()
	var all [][]Effect
	for i, mv := range moves {
		now := t0.Add(mv.at)
		next, effects, tr := Step(s, mv.in, p, now)
		if next.State != mv.want || !slices.Equal(kinds(effects), mv.effects) || tr.Reason != mv.cause {
			t.Fatalf("move %d (%s at %v) from %s: got %s, %v, %s; want %s, %v, %s",
				i, mv.in.Kind, mv.at, s.state(), next.State, kinds(effects), tr.Reason, mv.want, mv.effects, mv.cause)
		}
		s = next
		all = append(all, effects)
	}
	return s, all
}

func ek(ks ...EffectKind) []EffectKind { return ks }

func event(release string) Input { return Input{Kind: InputEvent, Release: release} }

func TestPreFixTailOncePerClose(t *testing.T) {
	t.Parallel()
	const m = time.Minute
	_, effects := play(t, fixture(StateClosedCompleted), DefaultPolicy(), []move{
		{0, event("1.0"), StateClosedCompleted, ek(EffectComment), CausePreFixTail},
		{1 * m, event("1.0"), StateClosedCompleted, ek(EffectCount), CauseTailCounted},
		{2 * m, event("1.0"), StateClosedCompleted, ek(EffectCount), CauseTailCounted},
		{3 * m, Input{Kind: InputGitHubReopened}, StateOpen, nil, CauseReopenedBy},
		{4 * m, Input{Kind: InputGitHubClosed, CloseReason: CloseCompleted}, StateClosedCompleted, nil, CauseClosed},
		// A new close: one more tail comment.
		{5 * m, event("1.0"), StateClosedCompleted, ek(EffectComment), CausePreFixTail},
		{6 * m, event("1.0"), StateClosedCompleted, ek(EffectCount), CauseTailCounted},
	})
	want := Comment{Kind: CommentPreFixTail, Release: "1.0"}
	if diff := cmp.Diff(want, effects[0][0].Comment); diff != "" {
		t.Errorf("tail comment (-want +got):\n%s", diff)
	}
}

func TestRegressionByRelease(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		before  []Input // held events before the close at closedAt
		release string
		want    Cause
	}{
		{"release first seen after the close", nil, "2.0", CauseReopened},
		{"release seen before the close", nil, "1.0", CausePreFixTail},
		{"release first seen by a held event before the close", []Input{{Kind: InputEventHeld, Release: "1.1", At: closedAt.Add(-time.Second)}}, "1.1", CausePreFixTail},
		{"release first seen by a held event after the close", []Input{{Kind: InputEventHeld, Release: "1.1", At: closedAt.Add(time.Second)}}, "1.1", CauseReopened},
		{"event without a release", nil, "", CauseReopened},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := fixture(StateClosedCompleted)
			for _, in := range tt.before {
				s, _, _ = Step(s, in, DefaultPolicy(), t0)
			}
			next, effects, tr := Step(s, Input{Kind: InputEvent, Release: tt.release, At: t0}, DefaultPolicy(), t0)
			if tr.Reason != tt.want {
				t.Fatalf("reason = %s, want %s", tr.Reason, tt.want)
			}
			if tt.want != CauseReopened {
				return
			}
			want := []Effect{{Kind: EffectReopen, Comment: Comment{Kind: CommentRegression, Release: tt.release}}}
			if diff := cmp.Diff(want, effects); diff != "" {
				t.Errorf("effects (-want +got):\n%s", diff)
			}
			if next.State != StateOpen || !next.ClosedAt.IsZero() {
				t.Errorf("next = %s closed at %v, want open, no close time", next.State, next.ClosedAt)
			}
		})
	}
}

func TestRegressionNewIssue(t *testing.T) {
	t.Parallel()
	const day = 24 * time.Hour
	newIssue := DefaultPolicy()
	newIssue.OnRegression = RegressionNewIssue
	week := DefaultPolicy()
	week.ReopenWindow = 7 * day
	tests := []struct {
		name     string
		p        Policy
		closedAt time.Time
		want     EffectKind
	}{
		{"within the window", DefaultPolicy(), t0.Add(-29 * day), EffectReopen},
		{"at the window's end", DefaultPolicy(), t0.Add(-30 * day), EffectReopen},
		{"past the window", DefaultPolicy(), t0.Add(-30*day - time.Second), EffectFile},
		{"past a shorter window", week, t0.Add(-8 * day), EffectFile},
		{"new_issue, closed an hour ago", newIssue, t0.Add(-time.Hour), EffectFile},
		{"close time unknown", DefaultPolicy(), time.Time{}, EffectReopen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := fixture(StateClosedCompleted)
			s.ClosedAt = tt.closedAt
			next, effects, _ := Step(s, event("2.0"), tt.p, t0)
			if len(effects) != 1 || effects[0].Kind != tt.want {
				t.Fatalf("effects = %v, want [%s]", kinds(effects), tt.want)
			}
			if tt.want == EffectReopen {
				return
			}
			want := Effect{Kind: EffectFile, RegressionOf: 7, Comment: Comment{Kind: CommentRegression, Release: "2.0"}}
			if diff := cmp.Diff(want, effects[0]); diff != "" {
				t.Errorf("file effect (-want +got):\n%s", diff)
			}
			if next.State != StateFiling || next.Issue != 0 || next.RegressionOf != 7 {
				t.Errorf("next = %+v, want filing, no issue, regression of 7", next)
			}
			// A retried file still links the old issue; the landed one
			// becomes the problem's issue.
			_, again, _ := Step(next, event("2.0"), tt.p, t0.Add(time.Hour))
			if len(again) != 1 || again[0].RegressionOf != 7 {
				t.Errorf("retried file = %+v, want one file, regression of 7", again)
			}
			filed, _, _ := Step(next, Input{Kind: InputFiled, Issue: 20}, tt.p, t0.Add(time.Minute))
			if filed.State != StateOpen || filed.Issue != 20 || filed.RegressionOf != 0 {
				t.Errorf("after filed = %+v, want open issue 20", filed)
			}
		})
	}
}

// TestSentryRegressionNewIssueWaitsForEvent checks that Sentry's regressed
// never files: when the regression is a new issue, the next event files
// it, even one of a release from before the close.
func TestSentryRegressionNewIssueWaitsForEvent(t *testing.T) {
	t.Parallel()
	p := DefaultPolicy()
	p.OnRegression = RegressionNewIssue
	play(t, fixture(StateClosedCompleted), p, []move{
		{0, Input{Kind: InputSentryRegressed}, StateClosedCompleted, nil, CauseRegressionDue},
		{time.Minute, event("1.0"), StateFiling, ek(EffectFile), CauseNewIssue},
	})
}

func TestRegressedDebounce(t *testing.T) {
	t.Parallel()
	closeOnResolve := DefaultPolicy()
	closeOnResolve.OnResolve = ChoiceClose
	tests := []struct {
		name  string
		p     Policy
		after time.Duration
		want  []move
	}{
		{"within 60s, comment policy", DefaultPolicy(), 60 * time.Second, []move{
			{0, Input{Kind: InputSentryRegressed}, StateOpen, nil, CauseDebounced}}},
		{"after 61s, comment policy", DefaultPolicy(), 61 * time.Second, []move{
			{0, Input{Kind: InputSentryRegressed}, StateOpen, ek(EffectComment), CauseRegressed}}},
		{"within 60s, close policy", closeOnResolve, 60 * time.Second, []move{
			{0, Input{Kind: InputSentryRegressed}, StateClosedCompleted, nil, CauseDebounced}}},
		{"after 61s, close policy", closeOnResolve, 61 * time.Second, []move{
			{0, Input{Kind: InputSentryRegressed}, StateOpen, ek(EffectReopen), CauseReopened}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, _, _ := Step(fixture(StateOpen), Input{Kind: InputSentryResolved, At: t0}, tt.p, t0)
			mv := tt.want[0]
			mv.at = tt.after
			play(t, s, tt.p, []move{mv})
		})
	}
}

func TestSentryResolveAndArchivePolicies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind    InputKind
		choice  SentryChoice
		want    IssueState
		effects []Effect
	}{
		{InputSentryResolved, ChoiceComment, StateOpen, []Effect{{Kind: EffectComment, Comment: Comment{Kind: CommentResolved, Resolution: "in next release"}}}},
		{InputSentryResolved, ChoiceClose, StateClosedCompleted, []Effect{{Kind: EffectClose, CloseReason: CloseCompleted, Comment: Comment{Kind: CommentResolved, Resolution: "in next release"}}}},
		{InputSentryResolved, ChoiceIgnore, StateOpen, nil},
		{InputSentryArchived, ChoiceComment, StateOpen, []Effect{{Kind: EffectComment, Comment: Comment{Kind: CommentArchived}}}},
		{InputSentryArchived, ChoiceClose, StateClosedNotPlanned, []Effect{{Kind: EffectClose, CloseReason: CloseNotPlanned, Comment: Comment{Kind: CommentArchived}}}},
		{InputSentryArchived, ChoiceIgnore, StateOpen, nil},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind)+"/"+string(tt.choice), func(t *testing.T) {
			t.Parallel()
			p := DefaultPolicy()
			p.OnResolve, p.OnArchive = tt.choice, tt.choice
			next, effects, _ := Step(fixture(StateOpen), Input{Kind: tt.kind, Resolution: "in next release"}, p, t0)
			if next.State != tt.want {
				t.Errorf("next state = %s, want %s", next.State, tt.want)
			}
			if diff := cmp.Diff(tt.effects, effects); diff != "" {
				t.Errorf("effects (-want +got):\n%s", diff)
			}
			if tt.want.Closed() && !next.ClosedAt.Equal(t0) {
				t.Errorf("closed at %v, want %v", next.ClosedAt, t0)
			}
		})
	}
}

func TestAssignedNamesWithoutMention(t *testing.T) {
	t.Parallel()
	_, effects, _ := Step(fixture(StateOpen), Input{Kind: InputSentryAssigned, Assignee: "@octocat"}, DefaultPolicy(), t0)
	want := []Effect{{Kind: EffectComment, Comment: Comment{Kind: CommentAssigned, Assignee: "@octocat"}}}
	// The name is data: the renderer, not Step, keeps it from mentioning.
	if diff := cmp.Diff(want, effects); diff != "" {
		t.Errorf("effects (-want +got):\n%s", diff)
	}
}

func TestNotPlanned(t *testing.T) {
	t.Parallel()
	_, effects := play(t, fixture(StateClosedNotPlanned), DefaultPolicy(), []move{
		{0, event("2.0"), StateClosedNotPlanned, ek(EffectCount), CauseNotPlanned},
		{time.Minute, event("3.0"), StateClosedNotPlanned, ek(EffectCount), CauseNotPlanned},
		{2 * time.Minute, Input{Kind: InputSentryRegressed}, StateClosedNotPlanned, nil, CauseNotPlanned},
		{3 * time.Minute, Input{Kind: InputSentryEscalating}, StateOpen, ek(EffectReopen), CauseReopened},
	})
	if got := effects[3][0].Comment.Kind; got != CommentEscalating {
		t.Errorf("reopen comment = %s, want %s", got, CommentEscalating)
	}
}

func TestRepeatPolicy(t *testing.T) {
	t.Parallel()
	update := DefaultPolicy()
	update.OnRepeat = RepeatUpdate
	play(t, fixture(StateOpen), update, []move{
		{0, event("1.0"), StateOpen, ek(EffectUpdateBody), CauseRepeat},
		{time.Minute, Input{Kind: InputGitHubMarkerRemoved}, StateOpen, nil, CauseMarker},
		// Without its marker booty can't find its section: it comments.
		{2 * time.Minute, event("1.0"), StateOpen, ek(EffectComment), CauseRepeat},
	})
}

func TestDeletedAndTransferred(t *testing.T) {
	t.Parallel()
	s, _ := play(t, fixture(StateOpen), DefaultPolicy(), []move{
		{0, Input{Kind: InputGitHubTransferred, Repo: "acme/other", Issue: 12, RepoRouted: true}, StateOpen, ek(EffectFollowIssue), CauseFollowed},
	})
	if s.Issue != 12 {
		t.Errorf("followed issue = %d, want 12", s.Issue)
	}
	play(t, s, DefaultPolicy(), []move{
		{0, Input{Kind: InputGitHubDeleted}, StateGone, ek(EffectForgetIssue), CauseDeleted},
		{time.Minute, Input{Kind: InputSentryEscalating}, StateGone, nil, CauseNoIssue},
		{2 * time.Minute, event("2.0"), StateFiling, ek(EffectFile), CauseFile},
		{3 * time.Minute, Input{Kind: InputFiled, Issue: 30}, StateOpen, nil, CauseFiled},
	})
}

// TestFlapping runs an issue through four flips within an hour, then
// through its quiet hour.
func TestFlapping(t *testing.T) {
	t.Parallel()
	const m = time.Minute
	closed := Input{Kind: InputGitHubClosed, CloseReason: CloseCompleted}
	reopened := Input{Kind: InputGitHubReopened}
	s, effects := play(t, fixture(StateOpen), DefaultPolicy(), []move{
		{0, closed, StateClosedCompleted, nil, CauseClosed},
		{5 * m, reopened, StateOpen, nil, CauseReopenedBy},
		{10 * m, closed, StateClosedCompleted, nil, CauseClosed},
		// The fourth flip, booty's: not made.
		{15 * m, event("2.0"), StateClosedCompleted, ek(EffectAddLabel, EffectComment), CauseFlapStarted},
		// No more flips, no more comments.
		{16 * m, event("3.0"), StateClosedCompleted, nil, CauseFlapHeld},
		{20 * m, reopened, StateOpen, nil, CauseFlapHeld},
		{25 * m, closed, StateClosedCompleted, nil, CauseFlapHeld},
		// booty asks for open again: the quiet hour starts over.
		{30 * m, event("4.0"), StateClosedCompleted, nil, CauseFlapHeld},
		{40 * m, event("4.0"), StateClosedCompleted, nil, CauseFlapHeld},
	})
	if got := effects[3][0].Label; got != LabelFlapping {
		t.Errorf("label = %q, want %q", got, LabelFlapping)
	}
	if got := effects[3][1].Comment.Kind; got != CommentFlapping {
		t.Errorf("comment = %s, want %s", got, CommentFlapping)
	}
	at, ok := s.SettleAt()
	if want := t0.Add(90 * m); !ok || !at.Equal(want) {
		t.Fatalf("SettleAt = %v, %t; want %v, true", at, ok, want)
	}
	s, effects = play(t, s, DefaultPolicy(), []move{
		{90*m - time.Second, Input{Kind: InputTick}, StateClosedCompleted, nil, CauseTick},
		{90 * m, Input{Kind: InputTick}, StateOpen, ek(EffectReopen), CauseFlapSettled},
		{91 * m, Input{Kind: InputTick}, StateOpen, nil, CauseTick},
	})
	if got := effects[1][0].Comment.Kind; got != CommentSettled {
		t.Errorf("settle comment = %s, want %s", got, CommentSettled)
	}
	if s.Flapping.Active() || len(s.Flips) != 0 {
		t.Errorf("after settling: flapping %+v, flips %v; want neither", s.Flapping, s.Flips)
	}
	if _, ok := s.SettleAt(); ok {
		t.Error("SettleAt after settling: ok = true, want false")
	}
}

// TestFlappingSettles checks how a flapping issue converges: by booty's
// call, by a sync of a person's last action, or not at all when there is
// nothing to do, and on whichever input comes first after the quiet hour.
func TestFlappingSettles(t *testing.T) {
	t.Parallel()
	flapping := func(state, want IssueState, byPerson bool) Lifecycle {
		s := fixture(state)
		s.Flapping = Flapping{Since: t0, QuietSince: t0, Want: want, WantByPerson: byPerson}
		return s
	}
	sync := DefaultPolicy()
	sync.SyncSentry = true
	tests := []struct {
		name    string
		s       Lifecycle
		p       Policy
		in      Input
		want    IssueState
		effects []EffectKind
		cause   Cause
	}{
		{"booty wants it closed", flapping(StateOpen, StateClosedNotPlanned, false), DefaultPolicy(), Input{Kind: InputTick},
			StateClosedNotPlanned, ek(EffectClose), CauseFlapSettled},
		{"a person closed it last, sync", flapping(StateClosedCompleted, StateClosedCompleted, true), sync, Input{Kind: InputTick},
			StateClosedCompleted, ek(EffectSentryResolve), CauseFlapSettled},
		{"a person reopened it last, sync", flapping(StateOpen, StateOpen, true), sync, Input{Kind: InputTick},
			StateOpen, ek(EffectSentryUnresolve), CauseFlapSettled},
		{"a person closed it last, no sync", flapping(StateClosedCompleted, StateClosedCompleted, true), DefaultPolicy(), Input{Kind: InputTick},
			StateClosedCompleted, nil, CauseFlapSettled},
		{"already there", flapping(StateOpen, StateOpen, false), DefaultPolicy(), Input{Kind: InputTick},
			StateOpen, nil, CauseFlapSettled},
		{"settled by the next event", flapping(StateClosedCompleted, StateOpen, false), DefaultPolicy(), event("2.0"),
			StateOpen, ek(EffectReopen, EffectComment), CauseRepeat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			next, effects, tr := Step(tt.s, tt.in, tt.p, t0.Add(FlapWindow))
			if next.State != tt.want || !slices.Equal(kinds(effects), tt.effects) || tr.Reason != tt.cause {
				t.Errorf("got %s, %v, %s; want %s, %v, %s", next.State, kinds(effects), tr.Reason, tt.want, tt.effects, tt.cause)
			}
			if !tr.Settled || next.Flapping.Active() {
				t.Errorf("settled = %t, flapping = %+v; want settled, not flapping", tr.Settled, next.Flapping)
			}
		})
	}
}

func TestOldFlipsDoNotCount(t *testing.T) {
	t.Parallel()
	s := fixture(StateOpen)
	s.Flips = []time.Time{t0.Add(-2 * time.Hour), t0.Add(-61 * time.Minute), t0.Add(-time.Hour)}
	next, effects, tr := Step(s, Input{Kind: InputGitHubClosed}, DefaultPolicy(), t0)
	if tr.Reason != CauseClosed || len(effects) != 0 {
		t.Fatalf("got %v, %s; want a plain close", kinds(effects), tr.Reason)
	}
	if want := []time.Time{t0}; !slices.Equal(next.Flips, want) {
		t.Errorf("flips = %v, want %v", next.Flips, want)
	}
}

func TestInitialLifecycle(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    Problem
		want Lifecycle
	}{
		{"new problem", Problem{}, Lifecycle{State: StateNone}},
		{"known, never written", Problem{FirstSeen: t0}, Lifecycle{State: StateNone}},
		{"create in flight", Problem{FirstSeen: t0, LastWriteAt: t0}, Lifecycle{State: StateFiling}},
		{"open issue", Problem{FirstSeen: t0, IssueNumber: 4}, Lifecycle{State: StateOpen, Issue: 4}},
		{"closed issue", Problem{FirstSeen: t0, IssueNumber: 4, IssueClosed: true, IssueClosedAt: closedAt},
			Lifecycle{State: StateClosedCompleted, Issue: 4, ClosedAt: closedAt}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, InitialLifecycle(&tt.p)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestCloseReasonDefault checks that a close without a known state_reason
// (older GitHub Enterprise servers send none) counts as completed.
func TestCloseReasonDefault(t *testing.T) {
	t.Parallel()
	for _, r := range []CloseReason{"", "reopened", "bogus"} {
		next, _, _ := Step(fixture(StateOpen), Input{Kind: InputGitHubClosed, CloseReason: r, At: closedAt}, DefaultPolicy(), t0)
		if next.State != StateClosedCompleted || !next.ClosedAt.Equal(closedAt) {
			t.Errorf("closed with reason %q: %s at %v, want %s at %v", r, next.State, next.ClosedAt, StateClosedCompleted, closedAt)
		}
	}
}

func TestReleasesSeen(t *testing.T) {
	t.Parallel()
	var l Lifecycle
	l.see("", t0)
	l.see("1.0", t0.Add(time.Hour))
	l.see("1.0", t0) // a late delivery of an older event
	l.see("1.0", t0.Add(30*time.Minute))
	want := []ReleaseSeen{{Name: "1.0", FirstSeen: t0, LastSeen: t0.Add(time.Hour)}}
	if diff := cmp.Diff(want, l.Releases); diff != "" {
		t.Errorf("releases (-want +got):\n%s", diff)
	}
}
