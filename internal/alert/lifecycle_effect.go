package alert

import "time"

// EffectKind names what booty must do after a Step.
type EffectKind string

// The effects of Step. The store turns each into a job, in order.
const (
	// EffectFile files a new issue for the problem. RegressionOf, when not
	// 0, is the closed issue it is a regression of ("Regression of #N",
	// linking it), and Comment says which release. Once filed, the new
	// issue is the problem's issue (InputFiled).
	EffectFile EffectKind = "file"
	// EffectReopen reopens the issue with Comment.
	EffectReopen EffectKind = "reopen"
	// EffectClose closes the issue as CloseReason with Comment.
	EffectClose EffectKind = "close"
	// EffectComment comments Comment on the issue.
	EffectComment EffectKind = "comment"
	// EffectAddLabel adds Label to the issue.
	EffectAddLabel EffectKind = "add_label"
	// EffectUpdateBody rewrites the Occurrences section of booty's issue
	// body (count, last seen, latest event, releases); jobs for it are
	// coalesced per problem.
	EffectUpdateBody EffectKind = "update_body"
	// EffectForgetIssue clears the problem's issue number: the issue was
	// deleted or moved where booty does not follow.
	EffectForgetIssue EffectKind = "forget_issue"
	// EffectFollowIssue moves the problem to its transferred issue: Repo
	// and Issue.
	EffectFollowIssue EffectKind = "follow_issue"
	// EffectSentryResolve resolves the Sentry issue in the next release.
	EffectSentryResolve EffectKind = "sentry_resolve_next_release"
	// EffectSentryArchive archives the Sentry issue until it escalates.
	EffectSentryArchive EffectKind = "sentry_archive_until_escalating"
	// EffectSentryUnresolve unresolves the Sentry issue.
	EffectSentryUnresolve EffectKind = "sentry_unresolve"
	// EffectCount is an event that is counted and changes nothing else.
	EffectCount EffectKind = "count"
)

// Effect is one thing booty must do. Kind says which fields mean
// something.
type Effect struct {
	Kind         EffectKind  `json:"kind"`
	Comment      Comment     `json:"comment,omitzero"`
	CloseReason  CloseReason `json:"close_reason,omitempty"`
	RegressionOf int         `json:"regression_of,omitempty"`
	Label        string      `json:"label,omitempty"`
	Repo         string      `json:"repo,omitempty"`
	Issue        int         `json:"issue,omitempty"`
}

// CommentKind names what a comment says.
type CommentKind string

// The comments of Step.
const (
	// CommentRepeat is the problem seen again after the cooldown.
	CommentRepeat CommentKind = "repeat"
	// CommentPreFixTail is "still seen on Release, which predates the
	// fix": once per close.
	CommentPreFixTail CommentKind = "pre_fix_tail"
	// CommentRegression names the Release the problem came back in.
	CommentRegression CommentKind = "regression"
	// CommentResolved says Sentry resolved the problem, with Resolution.
	CommentResolved CommentKind = "resolved"
	// CommentArchived says Sentry archived the problem.
	CommentArchived CommentKind = "archived"
	// CommentAssigned names the Assignee, never as an @mention.
	CommentAssigned CommentKind = "assigned"
	// CommentEscalating says Sentry sees the problem escalating.
	CommentEscalating CommentKind = "escalating"
	// CommentUnresolved says a person unresolved the problem in Sentry.
	CommentUnresolved CommentKind = "unresolved"
	// CommentFlapping says booty stops closing and reopening the issue
	// until it has been quiet for FlapWindow.
	CommentFlapping CommentKind = "flapping"
	// CommentSettled says the flapping issue converged to its latest
	// requested state.
	CommentSettled CommentKind = "settled"
)

// Comment is what a comment says, as data: internal/github renders it and
// escapes the untrusted fields.
type Comment struct {
	Kind       CommentKind `json:"kind"`
	Release    string      `json:"release,omitempty"`
	Resolution string      `json:"resolution,omitempty"`
	Assignee   string      `json:"assignee,omitempty"`
}

// Cause names why a Step went the way it did; Transition records it so that
// a problem's history can be listed.
type Cause string

// The causes of Step.
const (
	CauseFile          Cause = "file"           // an event of a problem without an issue
	CauseFiled         Cause = "filed"          // booty's create landed
	CauseCounted       Cause = "counted"        // an event held by the pipeline, or with nothing more to do
	CauseRepeat        Cause = "repeat"         // an event of an open issue after the cooldown
	CausePreFixTail    Cause = "pre_fix_tail"   // first event of a pre-close release since the close
	CauseTailCounted   Cause = "tail_counted"   // a later one: counted only
	CauseNotPlanned    Cause = "not_planned"    // an event or action booty leaves to a not-planned close
	CauseDuplicate     Cause = "duplicate"      // an event or action booty leaves to the other issue
	CauseRegressed     Cause = "regressed"      // a regression of an open issue: commented
	CauseReopened      Cause = "reopened"       // a regression or escalation reopened the issue
	CauseNewIssue      Cause = "new_issue"      // a regression filed a new issue
	CauseRegressionDue Cause = "regression_due" // Sentry's regression, for the next event to file
	CauseDebounced     Cause = "debounced"      // a regressed right after a resolve
	CauseEscalating    Cause = "escalating"     // an escalation of an open issue: commented
	CauseUnresolved    Cause = "unresolved"     // a person unresolved the problem in Sentry
	CauseResolved      Cause = "resolved"       // a Sentry resolve, handled per OnResolve
	CauseArchived      Cause = "archived"       // a Sentry archive, handled per OnArchive
	CauseAssigned      Cause = "assigned"       // a Sentry assignment: commented
	CauseNoIssue       Cause = "no_issue"       // an action on a problem booty knows no issue of
	CauseNoChange      Cause = "no_change"      // an action that changes nothing in this state
	CauseClosed        Cause = "closed"         // a person closed the issue
	CauseReopenedBy    Cause = "reopened_by"    // a person reopened the issue
	CauseDeleted       Cause = "deleted"        // the issue was deleted
	CauseFollowed      Cause = "followed"       // the issue moved to a routed repository
	CauseMovedAway     Cause = "moved_away"     // the issue moved to an unrouted repository
	CauseMarker        Cause = "marker_removed" // a person removed booty's marker
	CauseLabel         Cause = "label"          // a label change, nothing to do yet
	CauseOwnAction     Cause = "own_action"     // the echo of booty's own call
	CauseFlapStarted   Cause = "flap_started"   // the flip that made the issue flap
	CauseFlapHeld      Cause = "flap_held"      // a flip asked for while flapping
	CauseFlapSettled   Cause = "flap_settled"   // a flapping issue converged
	CauseTick          Cause = "tick"           // the clock, with nothing to do
	CauseUnknownInput  Cause = "unknown_input"  // an input kind Step does not know
)

// Transition is one Step's record: the states before and after, why, and
// when. The store keeps them for a problem's history.
type Transition struct {
	From   IssueState `json:"from"`
	To     IssueState `json:"to"`
	Input  InputKind  `json:"input"`
	Reason Cause      `json:"reason"`
	At     time.Time  `json:"at"`
	// Settled reports that a flapping issue converged first, before the
	// input was taken.
	Settled bool `json:"settled,omitempty"`
}
