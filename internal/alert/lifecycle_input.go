package alert

import "time"

// InputKind names what happened to a problem.
type InputKind string

// The inputs of Step. The Sentry and GitHub ones are converted from the
// parsed webhooks by their adapters.
const (
	// InputEvent is an event alert the pipeline accepted (Decide's
	// decision is create, comment or reopen); Step says what it means for
	// the issue.
	InputEvent InputKind = "event"
	// InputEventHeld is an event the pipeline counted but held (cooldown,
	// min_events, predates the close): Step only records its release.
	InputEventHeld InputKind = "event_held"
	// InputFiled is booty's create that landed: Issue is its number.
	InputFiled InputKind = "filed"

	InputSentryResolved           InputKind = "sentry_resolved"
	InputSentryRegressed          InputKind = "sentry_regressed"
	InputSentryEscalating         InputKind = "sentry_escalating"
	InputSentryUnresolvedByPerson InputKind = "sentry_unresolved_by_person"
	InputSentryArchiveExpired     InputKind = "sentry_archive_expired"
	InputSentryArchived           InputKind = "sentry_archived"
	InputSentryAssigned           InputKind = "sentry_assigned"

	// InputGitHubClosed carries CloseReason.
	InputGitHubClosed   InputKind = "github_closed"
	InputGitHubReopened InputKind = "github_reopened"
	InputGitHubDeleted  InputKind = "github_deleted"
	// InputGitHubTransferred carries the new Repo and Issue, and whether
	// booty routes to that repository.
	InputGitHubTransferred   InputKind = "github_transferred"
	InputGitHubMarkerRemoved InputKind = "github_marker_removed"
	// InputGitHubLabeled and InputGitHubUnlabeled change nothing yet; the
	// builder's trigger label will hook in here.
	InputGitHubLabeled   InputKind = "github_labeled"
	InputGitHubUnlabeled InputKind = "github_unlabeled"

	// InputTick is the clock alone: the job scheduled at SettleAt.
	InputTick InputKind = "tick"
)

// InputKinds lists every input kind, for tests.
var InputKinds = []InputKind{
	InputEvent, InputEventHeld, InputFiled,
	InputSentryResolved, InputSentryRegressed, InputSentryEscalating, InputSentryUnresolvedByPerson,
	InputSentryArchiveExpired, InputSentryArchived, InputSentryAssigned,
	InputGitHubClosed, InputGitHubReopened, InputGitHubDeleted, InputGitHubTransferred,
	InputGitHubMarkerRemoved, InputGitHubLabeled, InputGitHubUnlabeled,
	InputTick,
}

// fromSentry reports whether k is a Sentry issue action.
func (k InputKind) fromSentry() bool {
	switch k {
	case InputSentryResolved, InputSentryRegressed, InputSentryEscalating, InputSentryUnresolvedByPerson,
		InputSentryArchiveExpired, InputSentryArchived, InputSentryAssigned:
		return true
	}
	return false
}

// fromGitHub reports whether k is a GitHub issues action.
func (k InputKind) fromGitHub() bool {
	switch k {
	case InputGitHubClosed, InputGitHubReopened, InputGitHubDeleted, InputGitHubTransferred,
		InputGitHubMarkerRemoved, InputGitHubLabeled, InputGitHubUnlabeled:
		return true
	}
	return false
}

// Input is one thing that happened to a problem. Kind says which fields
// mean something. Strings come from webhooks and are untrusted data.
type Input struct {
	Kind InputKind
	// At is when it happened by its source: the event's time, the
	// webhook's action time. Zero means the now of Step.
	At time.Time
	// Release is the event's release, or the one Sentry names for a
	// regression.
	Release string
	// Resolution is how Sentry resolved the problem ("in next release",
	// "in release 1.2", …), for the resolve comment.
	Resolution string
	// Assignee is who Sentry assigned the problem to: a name, never
	// rendered as an @mention.
	Assignee string
	// CloseReason is GitHub's state_reason of a close.
	CloseReason CloseReason
	// ByBooty marks an outside action booty's own call caused: its close
	// or reopen coming back as a GitHub webhook, its sync to Sentry coming
	// back as a Sentry one. Step ignores it, so that no write loops.
	ByBooty bool
	// Issue is the number booty's create got (InputFiled), or the
	// issue's number after a transfer.
	Issue int
	// Repo is "OWNER/NAME" an issue was transferred to, and RepoRouted
	// whether booty's routes send problems there.
	Repo       string
	RepoRouted bool
}

// time returns when in happened, now when its source did not say.
func (in Input) time(now time.Time) time.Time {
	if in.At.IsZero() {
		return now
	}
	return in.At
}
