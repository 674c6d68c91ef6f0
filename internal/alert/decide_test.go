package alert

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func TestDecision(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d            Decision
		wantAccepted bool
		wantString   string
	}{
		{Decision{Action: ActionCreate}, true, "create"},
		{Decision{Action: ActionComment}, true, "comment"},
		{Decision{Action: ActionReopen}, true, "reopen"},
		{Decision{Reason: ReasonCooldown}, false, "cooldown"},
		{Decision{Reason: ReasonDuplicate}, false, "duplicate"},
		{Decision{}, false, ""},
	}
	for _, tt := range tests {
		if got := tt.d.Accepted(); got != tt.wantAccepted {
			t.Errorf("%+v.Accepted() = %t, want %t", tt.d, got, tt.wantAccepted)
		}
		if got := tt.d.String(); got != tt.wantString {
			t.Errorf("%+v.String() = %q, want %q", tt.d, got, tt.wantString)
		}
	}
}

func TestProblemKnown(t *testing.T) {
	t.Parallel()
	if (&Problem{Key: "k", Count: 3}).Known() {
		t.Error("Problem without FirstSeen: Known() = true, want false")
	}
	if !(&Problem{FirstSeen: t0}).Known() {
		t.Error("Problem with FirstSeen: Known() = false, want true")
	}
}

func TestThreshold(t *testing.T) {
	t.Parallel()
	all := []Severity{SeverityDebug, SeverityInfo, SeverityWarning, SeverityError, SeverityFatal}
	for _, min := range all {
		for _, level := range all {
			want := Reason("")
			if level < min {
				want = ReasonBelowThreshold
			}
			got := Threshold(min).Check(&Alert{Level: level}, &Problem{}, t0)
			if got != want {
				t.Errorf("Threshold(%v) on %v = %q, want %q", min, level, got, want)
			}
		}
	}
}

func TestSampleFilter(t *testing.T) {
	t.Parallel()
	if got := SampleFilter().Check(&Alert{Sample: true, Level: SeverityFatal}, &Problem{}, t0); got != ReasonSampleEvent {
		t.Errorf("sample event: got %q, want %q", got, ReasonSampleEvent)
	}
	if got := SampleFilter().Check(&Alert{Level: SeverityFatal}, &Problem{}, t0); got != "" {
		t.Errorf("real event: got %q, want \"\"", got)
	}
}

func TestDedup(t *testing.T) {
	t.Parallel()
	known := Problem{Key: "k", FirstSeen: t0, LastSeen: t0, Count: 1, LastEventID: "e1"}
	tests := []struct {
		name    string
		eventID string
		p       Problem
		want    Reason
	}{
		{"same event as last", "e1", known, ReasonDuplicate},
		{"new event", "e2", known, ""},
		{"no event id is never a duplicate", "", Problem{Key: "k", FirstSeen: t0, Count: 1}, ""},
		{"unknown problem", "e1", Problem{LastEventID: "e1"}, ""},
		{"counted before, not last", "e0", Problem{Key: "k", FirstSeen: t0, Count: 2, LastEventID: "e1", EventCounted: true}, ReasonDuplicate},
		{"no event id, counted flag stale", "", Problem{Key: "k", FirstSeen: t0, Count: 2, EventCounted: true}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Dedup().Check(&Alert{EventID: tt.eventID}, &tt.p, t0); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCooldown(t *testing.T) {
	t.Parallel()
	until := t0.Add(time.Hour)
	open := Problem{Key: "k", FirstSeen: t0, LastSeen: t0, Count: 1, IssueNumber: 7, LastWriteAt: t0}
	closed := open
	closed.IssueClosed = true
	pending := open
	pending.IssueNumber = 0
	pendingClosed := pending
	pendingClosed.IssueClosed = true
	tests := []struct {
		name string
		p    Problem
		now  time.Time
		want Reason
	}{
		{"unknown problem", Problem{}, t0, ""},
		{"open, within cooldown", open, until.Add(-time.Nanosecond), ReasonCooldown},
		{"open, cooldown ends", open, until, ""},
		{"open, after cooldown", open, until.Add(time.Hour), ""},
		{"closed, within cooldown", closed, t0, ""},
		{"closed, after cooldown", closed, until.Add(time.Hour), ""},
		{"issue pending, within cooldown", pending, t0, ReasonCooldown},
		{"issue pending, after cooldown", pending, until.Add(time.Hour), ""},
		{"issue pending but closed flag set, within cooldown", pendingClosed, t0, ReasonCooldown},
		{"issue pending but closed flag set, after cooldown", pendingClosed, until.Add(time.Hour), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Cooldown(time.Hour).Check(&Alert{EventID: "e2"}, &tt.p, tt.now); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPrefilter(t *testing.T) {
	t.Parallel()
	pl := NewPipeline(SeverityWarning, time.Hour)
	tests := []struct {
		name string
		a    Alert
		want Reason
	}{
		{"at threshold", Alert{Level: SeverityWarning}, ""},
		{"above threshold", Alert{Level: SeverityFatal}, ""},
		{"below threshold", Alert{Level: SeverityInfo}, ReasonBelowThreshold},
		{"sample event", Alert{Level: SeverityError, Sample: true}, ReasonSampleEvent},
		{"threshold runs first", Alert{Level: SeverityDebug, Sample: true}, ReasonBelowThreshold},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := pl.Prefilter(&tt.a); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestPipelineStages checks that Prefilter runs only the stateless stages,
// Decide only the stateful ones, and that the first reason stops the chain.
func TestPipelineStages(t *testing.T) {
	t.Parallel()
	var calls []string
	stage := func(name string, r Reason) Stage {
		return StageFunc(func(*Alert, *Problem, time.Time) Reason {
			calls = append(calls, name)
			return r
		})
	}
	pl := &Pipeline{
		Stateless: []Stage{stage("s1", ""), stage("s2", ReasonSampleEvent), stage("s3", "")},
		Stateful:  []Stage{stage("f1", ""), stage("f2", ReasonCooldown), stage("f3", "")},
	}
	a := &Alert{ProblemKey: "k", EventID: "e1"}

	if got := pl.Prefilter(a); got != ReasonSampleEvent {
		t.Errorf("Prefilter = %q, want %q", got, ReasonSampleEvent)
	}
	if diff := cmp.Diff([]string{"s1", "s2"}, calls); diff != "" {
		t.Errorf("Prefilter stages run (-want +got):\n%s", diff)
	}

	calls = nil
	if d, _ := pl.Decide(a, Problem{}, t0); d != (Decision{Reason: ReasonCooldown}) {
		t.Errorf("Decide = %+v, want reason %q", d, ReasonCooldown)
	}
	if diff := cmp.Diff([]string{"f1", "f2"}, calls); diff != "" {
		t.Errorf("Decide stages run (-want +got):\n%s", diff)
	}
}

// step is one alert in a Decide sequence. before applies what the worker
// did to the stored state since the previous step (filed the issue, saw it
// closed).
type step struct {
	name    string
	at      time.Duration // since t0
	eventID string
	before  func(p *Problem)
	want    Decision
	wantP   Problem
}

func issueFiled(n int) func(*Problem) { return func(p *Problem) { p.IssueNumber = n } }

func issueClosed(p *Problem) { p.IssueClosed = true }

func TestDecide(t *testing.T) {
	t.Parallel()
	const h = time.Hour
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	create := Decision{Action: ActionCreate}
	comment := Decision{Action: ActionComment}
	reopen := Decision{Action: ActionReopen}
	duplicate := Decision{Reason: ReasonDuplicate}
	cooldown := Decision{Reason: ReasonCooldown}

	tests := []struct {
		name     string
		cooldown time.Duration
		steps    []step
	}{
		{
			name:     "life of a problem",
			cooldown: 6 * h,
			steps: []step{
				{name: "first alert creates", at: 0, eventID: "e1", want: create,
					wantP: Problem{Key: "k", FirstSeen: at(0), LastSeen: at(0), Count: 1, LastEventID: "e1", LastWriteAt: at(0)}},
				{name: "same event again is a duplicate", at: time.Minute, eventID: "e1", before: issueFiled(7), want: duplicate,
					wantP: Problem{Key: "k", FirstSeen: at(0), LastSeen: at(0), Count: 1, LastEventID: "e1", IssueNumber: 7, LastWriteAt: at(0)}},
				{name: "new event within cooldown is counted", at: h, eventID: "e2", want: cooldown,
					wantP: Problem{Key: "k", FirstSeen: at(0), LastSeen: at(h), Count: 2, LastEventID: "e2", IssueNumber: 7, LastWriteAt: at(0)}},
				{name: "new event as cooldown ends comments", at: 6 * h, eventID: "e3", want: comment,
					wantP: Problem{Key: "k", FirstSeen: at(0), LastSeen: at(6 * h), Count: 3, LastEventID: "e3", IssueNumber: 7, LastWriteAt: at(6 * h)}},
				{name: "comment starts a new cooldown", at: 7 * h, eventID: "e4", want: cooldown,
					wantP: Problem{Key: "k", FirstSeen: at(0), LastSeen: at(7 * h), Count: 4, LastEventID: "e4", IssueNumber: 7, LastWriteAt: at(6 * h)}},
				{name: "closed issue reopens within cooldown", at: 8 * h, eventID: "e5", before: issueClosed, want: reopen,
					wantP: Problem{Key: "k", FirstSeen: at(0), LastSeen: at(8 * h), Count: 5, LastEventID: "e5", IssueNumber: 7, LastWriteAt: at(8 * h)}},
				{name: "reopen starts a new cooldown", at: 9 * h, eventID: "e6", want: cooldown,
					wantP: Problem{Key: "k", FirstSeen: at(0), LastSeen: at(9 * h), Count: 6, LastEventID: "e6", IssueNumber: 7, LastWriteAt: at(8 * h)}},
				{name: "after cooldown comments", at: 30 * h, eventID: "e7", want: comment,
					wantP: Problem{Key: "k", FirstSeen: at(0), LastSeen: at(30 * h), Count: 7, LastEventID: "e7", IssueNumber: 7, LastWriteAt: at(30 * h)}},
			},
		},
		{
			name:     "closed after cooldown reopens",
			cooldown: h,
			steps: []step{
				{name: "create", at: 0, eventID: "e1", want: create,
					wantP: Problem{Key: "k", FirstSeen: at(0), LastSeen: at(0), Count: 1, LastEventID: "e1", LastWriteAt: at(0)}},
				{name: "reopen", at: 48 * h, eventID: "e2", before: func(p *Problem) { p.IssueNumber = 3; p.IssueClosed = true }, want: reopen,
					wantP: Problem{Key: "k", FirstSeen: at(0), LastSeen: at(48 * h), Count: 2, LastEventID: "e2", IssueNumber: 3, LastWriteAt: at(48 * h)}},
			},
		},
		{
			name:     "create still pending, then asked for again",
			cooldown: h,
			steps: []step{
				{name: "create", at: 0, eventID: "e1", want: create,
					wantP: Problem{Key: "k", FirstSeen: at(0), LastSeen: at(0), Count: 1, LastEventID: "e1", LastWriteAt: at(0)}},
				{name: "within cooldown", at: time.Minute, eventID: "e2", want: cooldown,
					wantP: Problem{Key: "k", FirstSeen: at(0), LastSeen: at(time.Minute), Count: 2, LastEventID: "e2", LastWriteAt: at(0)}},
				// The first create was parked, dropped or is still failing:
				// after the cooldown the problem asks for an issue again.
				{name: "after cooldown, still no issue number", at: 5 * h, eventID: "e3", want: create,
					wantP: Problem{Key: "k", FirstSeen: at(0), LastSeen: at(5 * h), Count: 3, LastEventID: "e3", LastWriteAt: at(5 * h)}},
				{name: "within the new cooldown", at: 5*h + time.Minute, eventID: "e4", want: cooldown,
					wantP: Problem{Key: "k", FirstSeen: at(0), LastSeen: at(5*h + time.Minute), Count: 4, LastEventID: "e4", LastWriteAt: at(5 * h)}},
				{name: "issue filed, comment", at: 6 * h, eventID: "e5", before: issueFiled(9), want: comment,
					wantP: Problem{Key: "k", FirstSeen: at(0), LastSeen: at(6 * h), Count: 5, LastEventID: "e5", IssueNumber: 9, LastWriteAt: at(6 * h)}},
			},
		},
		{
			name:     "cooldown zero comments on every new event",
			cooldown: 0,
			steps: []step{
				{name: "create", at: 0, eventID: "e1", before: nil, want: create,
					wantP: Problem{Key: "k", FirstSeen: at(0), LastSeen: at(0), Count: 1, LastEventID: "e1", LastWriteAt: at(0)}},
				{name: "same instant, new event", at: 0, eventID: "e2", before: issueFiled(4), want: comment,
					wantP: Problem{Key: "k", FirstSeen: at(0), LastSeen: at(0), Count: 2, LastEventID: "e2", IssueNumber: 4, LastWriteAt: at(0)}},
				{name: "next event", at: time.Second, eventID: "e3", want: comment,
					wantP: Problem{Key: "k", FirstSeen: at(0), LastSeen: at(time.Second), Count: 3, LastEventID: "e3", IssueNumber: 4, LastWriteAt: at(time.Second)}},
				{name: "duplicate is still a duplicate", at: 2 * time.Second, eventID: "e3", want: duplicate,
					wantP: Problem{Key: "k", FirstSeen: at(0), LastSeen: at(time.Second), Count: 3, LastEventID: "e3", IssueNumber: 4, LastWriteAt: at(time.Second)}},
			},
		},
		{
			name:     "events without id are counted, never duplicates",
			cooldown: h,
			steps: []step{
				{name: "create", at: 0, eventID: "", want: create,
					wantP: Problem{Key: "k", FirstSeen: at(0), LastSeen: at(0), Count: 1, LastWriteAt: at(0)}},
				{name: "again", at: time.Minute, eventID: "", before: issueFiled(2), want: cooldown,
					wantP: Problem{Key: "k", FirstSeen: at(0), LastSeen: at(time.Minute), Count: 2, IssueNumber: 2, LastWriteAt: at(0)}},
				{name: "with id", at: 2 * time.Minute, eventID: "e1", want: cooldown,
					wantP: Problem{Key: "k", FirstSeen: at(0), LastSeen: at(2 * time.Minute), Count: 3, LastEventID: "e1", IssueNumber: 2, LastWriteAt: at(0)}},
				{name: "without id keeps the last id", at: 3 * time.Minute, eventID: "", want: cooldown,
					wantP: Problem{Key: "k", FirstSeen: at(0), LastSeen: at(3 * time.Minute), Count: 4, LastEventID: "e1", IssueNumber: 2, LastWriteAt: at(0)}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pl := NewPipeline(SeverityError, tt.cooldown)
			var p Problem
			for i, s := range tt.steps {
				if s.before != nil {
					s.before(&p)
				}
				// Events happen as they are delivered here; the replay tests
				// below send old ones.
				a := &Alert{ProblemKey: "k", EventID: s.eventID, Level: SeverityError, Timestamp: t0.Add(s.at)}
				if r := pl.Prefilter(a); r != "" {
					t.Fatalf("step %d (%s): Prefilter = %q, want \"\"", i, s.name, r)
				}
				p.EventCounted = false
				prev := p
				d, next := pl.Decide(a, p, t0.Add(s.at))
				if d != s.want {
					t.Errorf("step %d (%s): decision %q, want %q", i, s.name, d, s.want)
				}
				if got, want := next.EventCounted, s.eventID != "" && s.want.Reason != ReasonDuplicate; got != want {
					t.Errorf("step %d (%s): next EventCounted %t, want %t", i, s.name, got, want)
				}
				if diff := cmp.Diff(s.wantP, next, ignoreListing); diff != "" {
					t.Errorf("step %d (%s): next problem (-want +got):\n%s", i, s.name, diff)
				}
				if s.want.Reason == ReasonDuplicate {
					if diff := cmp.Diff(prev, next); diff != "" {
						t.Errorf("step %d (%s): duplicate changed the state (-prev +next):\n%s", i, s.name, diff)
					}
				}
				p = next
			}
		})
	}
}

func TestPredatesClose(t *testing.T) {
	t.Parallel()
	wrote := t0
	closedAt := t0.Add(2 * time.Hour)
	closed := Problem{Key: "k", FirstSeen: t0, LastSeen: t0, Count: 1, IssueNumber: 7, IssueClosed: true, IssueClosedAt: closedAt, LastWriteAt: wrote}
	closeUnknown := closed
	closeUnknown.IssueClosedAt = time.Time{}
	open := closed
	open.IssueClosed, open.IssueClosedAt = false, time.Time{}
	tests := []struct {
		name  string
		p     Problem
		event time.Time
		want  Reason
	}{
		{"event after the close reopens", closed, closedAt.Add(time.Second), ""},
		{"event at the close", closed, closedAt, ReasonPredatesClose},
		{"event before the close", closed, closedAt.Add(-time.Hour), ReasonPredatesClose},
		{"event without a time", closed, time.Time{}, ReasonPredatesClose},
		{"close time unknown: after the last write reopens", closeUnknown, wrote.Add(time.Second), ""},
		{"close time unknown: before the last write", closeUnknown, wrote.Add(-time.Second), ReasonPredatesClose},
		{"open issue is not its business", open, t0.Add(-time.Hour), ""},
		{"unknown problem", Problem{}, time.Time{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := PredatesClose().Check(&Alert{EventID: "e2", Timestamp: tt.event}, &tt.p, t0.Add(30*24*time.Hour)); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestDecideReplay plays the attacks of captured deliveries through the
// pipeline with an event set kept the way the store keeps it.
func TestDecideReplay(t *testing.T) {
	t.Parallel()
	const h = time.Hour
	type delivery struct {
		eventID string
		event   time.Duration // the event's own time, since t0
		at      time.Duration // when it is delivered, since t0
		closeAt time.Duration // if set, the issue is closed at this time before the delivery
		want    Decision
	}
	create := Decision{Action: ActionCreate}
	tests := []struct {
		name       string
		deliveries []delivery
		wantCount  int64
		wantWrites int
	}{
		{
			name: "alternating two captured deliveries",
			deliveries: []delivery{
				{eventID: "a", event: 0, at: 0, want: create},
				{eventID: "b", event: h, at: h, want: Decision{Reason: ReasonCooldown}},
				{eventID: "a", event: 0, at: 10 * h, want: Decision{Reason: ReasonDuplicate}},
				{eventID: "b", event: h, at: 20 * h, want: Decision{Reason: ReasonDuplicate}},
				{eventID: "a", event: 0, at: 30 * h, want: Decision{Reason: ReasonDuplicate}},
				{eventID: "b", event: h, at: 40 * h, want: Decision{Reason: ReasonDuplicate}},
			},
			wantCount: 2, wantWrites: 1,
		},
		{
			name: "replay after a close",
			deliveries: []delivery{
				{eventID: "a", event: 0, at: 0, want: create},
				{eventID: "a", event: 0, at: 30 * 24 * h, closeAt: 24 * h, want: Decision{Reason: ReasonDuplicate}},
				{eventID: "old", event: h, at: 30 * 24 * h, want: Decision{Reason: ReasonPredatesClose}},
				{eventID: "new", event: 25 * h, at: 30 * 24 * h, want: Decision{Action: ActionReopen}},
			},
			wantCount: 3, wantWrites: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pl := NewPipeline(SeverityError, 6*h)
			var p Problem
			counted := make(map[string]bool)
			writes := 0
			for i, dl := range tt.deliveries {
				if dl.closeAt != 0 {
					p.IssueNumber, p.IssueClosed, p.IssueClosedAt = 1, true, t0.Add(dl.closeAt)
				} else if p.Known() && p.IssueNumber == 0 {
					p.IssueNumber = 1
				}
				p.EventCounted = counted[dl.eventID]
				a := &Alert{ProblemKey: "k", EventID: dl.eventID, Level: SeverityError, Timestamp: t0.Add(dl.event)}
				d, next := pl.Decide(a, p, t0.Add(dl.at))
				if d != dl.want {
					t.Errorf("delivery %d (%s): decision %q, want %q", i, dl.eventID, d, dl.want)
				}
				if d.Accepted() {
					writes++
				}
				if next.EventCounted {
					counted[dl.eventID] = true
				}
				p = next
			}
			if p.Count != tt.wantCount || writes != tt.wantWrites {
				t.Errorf("got %d events counted and %d writes, want %d and %d", p.Count, writes, tt.wantCount, tt.wantWrites)
			}
		})
	}
}

// TestCooldownFollowsConfiguration checks that the quiet period is counted
// from the last write with the cooldown in force: lowering it applies to a
// problem decided under the old one.
func TestCooldownFollowsConfiguration(t *testing.T) {
	t.Parallel()
	const h = time.Hour
	old := NewPipeline(SeverityError, 6*h)
	a := &Alert{ProblemKey: "k", EventID: "e1", Level: SeverityError, Timestamp: t0}
	_, p := old.Decide(a, Problem{}, t0)
	p.IssueNumber = 3
	p.EventCounted = false

	lowered := NewPipeline(SeverityError, h)
	a2 := &Alert{ProblemKey: "k", EventID: "e2", Level: SeverityError, Timestamp: t0.Add(2 * h)}
	if d, _ := lowered.Decide(a2, p, t0.Add(2*h)); d != (Decision{Action: ActionComment}) {
		t.Errorf("two hours after the create with the cooldown lowered to one: got %q, want comment", d)
	}
	if d, _ := old.Decide(a2, p, t0.Add(2*h)); d != (Decision{Reason: ReasonCooldown}) {
		t.Errorf("two hours after the create with a six-hour cooldown: got %q, want cooldown", d)
	}
	if got, want := lowered.CooldownEnd(p), t0.Add(h); !got.Equal(want) {
		t.Errorf("CooldownEnd = %v, want %v", got, want)
	}
}

// ignoreListing leaves out of a comparison what a problem says of itself
// for listing (TestDecideKeepsListing checks it) and EventCounted.
var ignoreListing = cmpopts.IgnoreFields(Problem{}, "EventCounted", "Title", "Level", "Project", "Environment", "Release", "Link")

// TestDecideKeepsListing: a counted event leaves what the latest event says
// of the problem in its state; a duplicate changes nothing.
func TestDecideKeepsListing(t *testing.T) {
	t.Parallel()
	pl := NewPipeline(SeverityError, time.Hour)
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	a := &Alert{ProblemKey: "sentry:1", EventID: "e1", Level: SeverityFatal, Title: "boom", Project: "shop",
		Environment: "production", Release: "r1", IssueURL: "https://sentry.example/issues/1/", Timestamp: now}
	_, next := pl.Decide(a, Problem{}, now)
	want := Problem{Title: "boom", Level: "fatal", Project: "shop", Environment: "production", Release: "r1",
		Link: "https://sentry.example/issues/1/"}
	got := Problem{Title: next.Title, Level: next.Level, Project: next.Project, Environment: next.Environment,
		Release: next.Release, Link: next.Link}
	if got != want {
		t.Errorf("first event: got %+v, want %+v", got, want)
	}
	b := *a
	b.Release = "r2"
	if _, again := pl.Decide(&b, next, now.Add(time.Minute)); again.Release != "r1" {
		t.Errorf("a duplicate of the event changed the release to %q", again.Release)
	}
	b.EventID = "e2"
	next.EventCounted = false // as the store says of a new event
	if _, later := pl.Decide(&b, next, now.Add(2*time.Hour)); later.Release != "r2" {
		t.Errorf("a later event: release %q, want r2", later.Release)
	}
}

// TestClosedForGood: an issue a person closed as not planned or as a
// duplicate is never reopened by an event, which is still counted; one
// closed as completed, or for no known reason, is.
func TestClosedForGood(t *testing.T) {
	t.Parallel()
	pl := NewPipeline(SeverityError, time.Hour)
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		reason string
		want   string
	}{
		{"not_planned", "closed_not_planned"},
		{"duplicate", "closed_not_planned"},
		{"completed", "reopen"},
		{"", "reopen"},
	} {
		t.Run("reason "+tt.reason, func(t *testing.T) {
			t.Parallel()
			prev := Problem{Key: "sentry:1", FirstSeen: now.Add(-48 * time.Hour), LastSeen: now.Add(-24 * time.Hour), Count: 3,
				LastEventID: "e1", IssueNumber: 7, IssueClosed: true, IssueCloseReason: tt.reason,
				IssueClosedAt: now.Add(-time.Hour), LastWriteAt: now.Add(-24 * time.Hour)}
			a := &Alert{ProblemKey: "sentry:1", EventID: "e2", Level: SeverityError, Timestamp: now}
			d, next := pl.Decide(a, prev, now)
			if d.String() != tt.want {
				t.Errorf("decision %s, want %s", d, tt.want)
			}
			if next.Count != 4 {
				t.Errorf("count %d, want the event counted", next.Count)
			}
			if d.Action == ActionReopen && next.IssueCloseReason != "" {
				t.Errorf("a reopen keeps the close reason %q", next.IssueCloseReason)
			}
		})
	}
}
