package alert

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// closedAt is when the closed fixtures were closed: an hour before t0,
// within the default reopen window.
var closedAt = t0.Add(-time.Hour)

// fixture returns a lifecycle in state s: issue 7 when s has one, release
// "1.0" seen before the close.
func fixture(s IssueState) Lifecycle {
	l := Lifecycle{State: s, Releases: []ReleaseSeen{{Name: "1.0", FirstSeen: t0.Add(-48 * time.Hour), LastSeen: t0.Add(-2 * time.Hour)}}}
	if s.hasIssue() {
		l.Issue = 7
	}
	if s.Closed() {
		l.ClosedAt = closedAt
	}
	return l
}

// inputVariant is one input of the exhaustive table. Kinds with fields
// that change the outcome come in several variants.
type inputVariant struct {
	name string
	in   Input
}

func inputVariants() []inputVariant {
	return []inputVariant{
		{"event_new_release", Input{Kind: InputEvent, Release: "2.0", At: t0}},
		{"event_old_release", Input{Kind: InputEvent, Release: "1.0", At: t0}},
		{"event_held", Input{Kind: InputEventHeld, Release: "1.0", At: t0}},
		{"filed", Input{Kind: InputFiled, Issue: 9}},
		{"sentry_resolved", Input{Kind: InputSentryResolved, Resolution: "in next release"}},
		{"sentry_regressed", Input{Kind: InputSentryRegressed, Release: "2.0"}},
		{"sentry_escalating", Input{Kind: InputSentryEscalating}},
		{"sentry_unresolved_by_person", Input{Kind: InputSentryUnresolvedByPerson}},
		{"sentry_archive_expired", Input{Kind: InputSentryArchiveExpired}},
		{"sentry_archived", Input{Kind: InputSentryArchived}},
		{"sentry_assigned", Input{Kind: InputSentryAssigned, Assignee: "Jane Doe"}},
		{"github_closed_completed", Input{Kind: InputGitHubClosed, CloseReason: CloseCompleted}},
		{"github_closed_not_planned", Input{Kind: InputGitHubClosed, CloseReason: CloseNotPlanned}},
		{"github_closed_duplicate", Input{Kind: InputGitHubClosed, CloseReason: CloseDuplicate}},
		{"github_reopened", Input{Kind: InputGitHubReopened}},
		{"github_deleted", Input{Kind: InputGitHubDeleted}},
		{"github_transferred_routed", Input{Kind: InputGitHubTransferred, Repo: "acme/other", Issue: 12, RepoRouted: true}},
		{"github_transferred_unrouted", Input{Kind: InputGitHubTransferred, Repo: "acme/elsewhere", Issue: 12}},
		{"github_marker_removed", Input{Kind: InputGitHubMarkerRemoved}},
		{"github_labeled", Input{Kind: InputGitHubLabeled}},
		{"github_unlabeled", Input{Kind: InputGitHubUnlabeled}},
		{"tick", Input{Kind: InputTick}},
	}
}

// cell is one expected outcome of the exhaustive table.
type cell struct {
	to      IssueState
	effects []EffectKind
	cause   Cause
}

func kinds(es []Effect) []EffectKind {
	var ks []EffectKind
	for _, e := range es {
		ks = append(ks, e.Kind)
	}
	return ks
}

// noIssueCells is the row of a state without an issue: events file,
// everything from Sentry and GitHub is recorded and nothing more.
func noIssueCells(s IssueState) map[string]cell {
	m := map[string]cell{
		"event_new_release": {StateFiling, []EffectKind{EffectFile}, CauseFile},
		"event_old_release": {StateFiling, []EffectKind{EffectFile}, CauseFile},
		"event_held":        {s, []EffectKind{EffectCount}, CauseCounted},
		"filed":             {StateOpen, nil, CauseFiled},
		"tick":              {s, nil, CauseTick},
	}
	for _, v := range inputVariants() {
		if v.in.Kind.fromSentry() || v.in.Kind.fromGitHub() {
			m[v.name] = cell{s, nil, CauseNoIssue}
		}
	}
	return m
}

// githubCells is what a person's delete, transfer, marker and label
// actions do to an issue in state s: the same for every state with one.
func githubCells(s IssueState) map[string]cell {
	return map[string]cell{
		"github_deleted":              {StateGone, []EffectKind{EffectForgetIssue}, CauseDeleted},
		"github_transferred_routed":   {s, []EffectKind{EffectFollowIssue}, CauseFollowed},
		"github_transferred_unrouted": {StateGone, []EffectKind{EffectForgetIssue}, CauseMovedAway},
		"github_marker_removed":       {s, nil, CauseMarker},
		"github_labeled":              {s, nil, CauseLabel},
		"github_unlabeled":            {s, nil, CauseLabel},
		"tick":                        {s, nil, CauseTick},
	}
}

func with(m map[string]cell, more map[string]cell) map[string]cell {
	for k, v := range more {
		m[k] = v
	}
	return m
}

// lifecycleTable states every cell of state × input under DefaultPolicy
// with SyncSentry.
func lifecycleTable() map[IssueState]map[string]cell {
	const (
		open = StateOpen
		cc   = StateClosedCompleted
		np   = StateClosedNotPlanned
		dup  = StateClosedDuplicate
	)
	e := func(ks ...EffectKind) []EffectKind { return ks }
	return map[IssueState]map[string]cell{
		StateNone:   noIssueCells(StateNone),
		StateFiling: noIssueCells(StateFiling),
		StateGone:   noIssueCells(StateGone),
		open: with(githubCells(open), map[string]cell{
			"event_new_release":           {open, e(EffectComment), CauseRepeat},
			"event_old_release":           {open, e(EffectComment), CauseRepeat},
			"event_held":                  {open, e(EffectCount), CauseCounted},
			"filed":                       {open, nil, CauseNoChange},
			"sentry_resolved":             {open, e(EffectComment), CauseResolved},
			"sentry_regressed":            {open, e(EffectComment), CauseRegressed},
			"sentry_escalating":           {open, e(EffectComment), CauseEscalating},
			"sentry_unresolved_by_person": {open, nil, CauseNoChange},
			"sentry_archive_expired":      {open, nil, CauseNoChange},
			"sentry_archived":             {open, e(EffectComment), CauseArchived},
			"sentry_assigned":             {open, e(EffectComment), CauseAssigned},
			"github_closed_completed":     {cc, e(EffectSentryResolve), CauseClosed},
			"github_closed_not_planned":   {np, e(EffectSentryArchive), CauseClosed},
			"github_closed_duplicate":     {dup, nil, CauseClosed},
			"github_reopened":             {open, nil, CauseNoChange},
		}),
		cc: with(githubCells(cc), map[string]cell{
			"event_new_release":           {open, e(EffectReopen), CauseReopened},
			"event_old_release":           {cc, e(EffectComment), CausePreFixTail},
			"event_held":                  {cc, e(EffectCount), CauseCounted},
			"filed":                       {cc, nil, CauseNoChange},
			"sentry_resolved":             {cc, nil, CauseNoChange},
			"sentry_regressed":            {open, e(EffectReopen), CauseReopened},
			"sentry_escalating":           {open, e(EffectReopen), CauseReopened},
			"sentry_unresolved_by_person": {open, e(EffectReopen), CauseUnresolved},
			"sentry_archive_expired":      {cc, nil, CauseNoChange},
			"sentry_archived":             {cc, nil, CauseNoChange},
			"sentry_assigned":             {cc, e(EffectComment), CauseAssigned},
			"github_closed_completed":     {cc, nil, CauseNoChange},
			"github_closed_not_planned":   {np, nil, CauseClosed},
			"github_closed_duplicate":     {dup, nil, CauseClosed},
			"github_reopened":             {open, e(EffectSentryUnresolve), CauseReopenedBy},
		}),
		np: with(githubCells(np), map[string]cell{
			"event_new_release":           {np, e(EffectCount), CauseNotPlanned},
			"event_old_release":           {np, e(EffectCount), CauseNotPlanned},
			"event_held":                  {np, e(EffectCount), CauseCounted},
			"filed":                       {np, nil, CauseNoChange},
			"sentry_resolved":             {np, nil, CauseNoChange},
			"sentry_regressed":            {np, nil, CauseNotPlanned},
			"sentry_escalating":           {open, e(EffectReopen), CauseReopened},
			"sentry_unresolved_by_person": {np, nil, CauseNotPlanned},
			"sentry_archive_expired":      {np, nil, CauseNoChange},
			"sentry_archived":             {np, nil, CauseNoChange},
			"sentry_assigned":             {np, e(EffectComment), CauseAssigned},
			"github_closed_completed":     {cc, nil, CauseClosed},
			"github_closed_not_planned":   {np, nil, CauseNoChange},
			"github_closed_duplicate":     {dup, nil, CauseClosed},
			"github_reopened":             {open, e(EffectSentryUnresolve), CauseReopenedBy},
		}),
		dup: with(githubCells(dup), map[string]cell{
			"event_new_release":           {dup, e(EffectCount), CauseDuplicate},
			"event_old_release":           {dup, e(EffectCount), CauseDuplicate},
			"event_held":                  {dup, e(EffectCount), CauseCounted},
			"filed":                       {dup, nil, CauseNoChange},
			"sentry_resolved":             {dup, nil, CauseNoChange},
			"sentry_regressed":            {dup, nil, CauseDuplicate},
			"sentry_escalating":           {dup, nil, CauseDuplicate},
			"sentry_unresolved_by_person": {dup, nil, CauseDuplicate},
			"sentry_archive_expired":      {dup, nil, CauseNoChange},
			"sentry_archived":             {dup, nil, CauseNoChange},
			"sentry_assigned":             {dup, nil, CauseDuplicate},
			"github_closed_completed":     {cc, nil, CauseClosed},
			"github_closed_not_planned":   {np, nil, CauseClosed},
			"github_closed_duplicate":     {dup, nil, CauseNoChange},
			"github_reopened":             {open, e(EffectSentryUnresolve), CauseReopenedBy},
		}),
	}
}

// TestStepEveryStateEveryInput runs the cross product of every state and
// every input variant and checks each against its stated cell.
func TestStepEveryStateEveryInput(t *testing.T) {
	t.Parallel()
	table := lifecycleTable()
	variants := inputVariants()
	p := DefaultPolicy()
	p.SyncSentry = true

	covered := map[InputKind]bool{}
	for _, v := range variants {
		covered[v.in.Kind] = true
	}
	for _, k := range InputKinds {
		if !covered[k] {
			t.Errorf("input kind %s has no variant in the table", k)
		}
	}
	if len(table) != len(IssueStates) {
		t.Errorf("table has %d states, want %d", len(table), len(IssueStates))
	}
	for _, s := range IssueStates {
		row, ok := table[s]
		if !ok {
			t.Errorf("state %s has no row", s)
			continue
		}
		if len(row) != len(variants) {
			t.Errorf("state %s: row has %d cells, want %d", s, len(row), len(variants))
		}
		for _, v := range variants {
			t.Run(fmt.Sprintf("%s/%s", s, v.name), func(t *testing.T) {
				t.Parallel()
				want, ok := row[v.name]
				if !ok {
					t.Fatalf("cell not stated")
				}
				next, effects, tr := Step(fixture(s), v.in, p, t0)
				if next.State != want.to {
					t.Errorf("next state = %s, want %s", next.State, want.to)
				}
				if got := kinds(effects); !slices.Equal(got, want.effects) {
					t.Errorf("effects = %v, want %v", got, want.effects)
				}
				if tr.Reason != want.cause {
					t.Errorf("reason = %s, want %s", tr.Reason, want.cause)
				}
				if tr.From != s || tr.To != next.State || tr.Input != v.in.Kind || !tr.At.Equal(t0) {
					t.Errorf("transition = %+v, want from %s to %s on %s at %v", tr, s, next.State, v.in.Kind, t0)
				}
				if (next.Issue != 0) != next.State.hasIssue() && next.State != StateFiling {
					t.Errorf("next state %s with issue %d", next.State, next.Issue)
				}
			})
		}
	}
}

// TestStepByBootyIgnored checks every Sentry and GitHub input booty's own
// call caused, in every state: nothing changes, nothing is done.
func TestStepByBootyIgnored(t *testing.T) {
	t.Parallel()
	p := DefaultPolicy()
	p.SyncSentry = true
	for _, s := range IssueStates {
		for _, v := range inputVariants() {
			if !v.in.Kind.fromSentry() && !v.in.Kind.fromGitHub() {
				continue
			}
			in := v.in
			in.ByBooty = true
			next, effects, tr := Step(fixture(s), in, p, t0)
			if next.State != s || len(effects) != 0 || tr.Reason != CauseOwnAction {
				t.Errorf("%s/%s by booty: state %s, effects %v, reason %s; want %s, none, %s",
					s, v.name, next.State, kinds(effects), tr.Reason, s, CauseOwnAction)
			}
		}
	}
}

func TestStepUnknownInput(t *testing.T) {
	t.Parallel()
	next, effects, tr := Step(fixture(StateOpen), Input{Kind: "bogus"}, DefaultPolicy(), t0)
	if next.State != StateOpen || len(effects) != 0 || tr.Reason != CauseUnknownInput {
		t.Errorf("unknown input: state %s, effects %v, reason %s", next.State, kinds(effects), tr.Reason)
	}
}

// TestStepZeroLifecycle checks that the zero Lifecycle is StateNone.
func TestStepZeroLifecycle(t *testing.T) {
	t.Parallel()
	next, effects, tr := Step(Lifecycle{}, Input{Kind: InputEvent, At: t0}, Policy{}, t0)
	if tr.From != StateNone || next.State != StateFiling || !slices.Equal(kinds(effects), []EffectKind{EffectFile}) {
		t.Errorf("zero lifecycle + event: from %s to %s, effects %v; want none → filing, [file]", tr.From, next.State, kinds(effects))
	}
}

// TestStepDoesNotMutate checks that Step leaves its argument's slices alone.
func TestStepDoesNotMutate(t *testing.T) {
	t.Parallel()
	s := fixture(StateOpen)
	s.Flips = []time.Time{t0.Add(-2 * time.Hour), t0.Add(-time.Minute)}
	before := s.clone()
	Step(s, Input{Kind: InputEvent, Release: "3.0", At: t0}, DefaultPolicy(), t0)
	Step(s, Input{Kind: InputGitHubClosed}, DefaultPolicy(), t0)
	if !slices.Equal(s.Releases, before.Releases) || !slices.Equal(s.Flips, before.Flips) {
		t.Errorf("Step changed its argument: releases %v flips %v, want %v %v", s.Releases, s.Flips, before.Releases, before.Flips)
	}
}
