package ghhook

import (
	"strings"
	"time"
)

// Kind is what booty makes of a delivery's X-GitHub-Event.
type Kind string

// The kinds of event booty handles; every other event is KindIgnored.
const (
	KindIssues      Kind = "issues"
	KindPullRequest Kind = "pull_request"
	KindPing        Kind = "ping"
	KindIgnored     Kind = "ignored"
)

// Event is one parsed delivery. Issue is set for KindIssues, PullRequest
// for KindPullRequest and Ping for KindPing; an ignored event carries only
// what every payload has.
type Event struct {
	Kind Kind
	// Name is the X-GitHub-Event header, trimmed and bounded in length.
	Name string
	// Action is the payload's "action" ("closed", "opened", …); "" for
	// events without one, such as ping.
	Action string
	// Repo is repository.full_name, "owner/name"; "" when the payload has
	// no repository (a ping for an organisation's or an App's hook).
	Repo string
	// Sender is who caused the event.
	Sender Actor
	// InstallationID is installation.id for a GitHub App's delivery, else 0.
	InstallationID int64

	Issue       *Issue
	PullRequest *PullRequest
	Ping        *Ping
}

// Actor is a GitHub account.
type Actor struct {
	Login string
	// Type is "User", "Bot" or "Organization", as GitHub sends it.
	Type string
	ID   int64
}

// Issue is the issue of an issues event, with what the action changed.
type Issue struct {
	Number int
	Title  string
	// State is "open" or "closed".
	State string
	// StateReason is "completed", "not_planned", "duplicate", "reopened"
	// or "".
	StateReason string
	// Labels are the issue's label names after the action.
	Labels []string
	// Label is the label added or removed, for labeled and unlabeled.
	Label string
	// Author is the login of the issue's author.
	Author   string
	ClosedAt time.Time
	HTMLURL  string

	// ProblemKey is the problem named by booty's hidden marker in the
	// body, "" when the body has none.
	ProblemKey string
	// PreviousProblemKey is the problem named by the marker in the body
	// before an edit (changes.body.from); "" when the edit left the body
	// alone or the old body had no marker.
	PreviousProblemKey string
	// MarkerRemoved reports an edit that took away the marker of
	// PreviousProblemKey: the body no longer names that problem, whether
	// it names none or another.
	MarkerRemoved bool

	// NewRepo and NewNumber say where a transferred issue went
	// (changes.new_repository.full_name, changes.new_issue.number).
	NewRepo   string
	NewNumber int
	// OldRepo and OldNumber say where an issue opened by a transfer came
	// from (changes.old_repository, changes.old_issue).
	OldRepo   string
	OldNumber int
}

// PullRequest is the pull request of a pull_request event.
type PullRequest struct {
	Number int
	Title  string
	// State is "open" or "closed".
	State  string
	Draft  bool
	Merged bool
	// HeadRef and HeadSHA are the branch and commit proposed; HeadRepo is
	// the repository the branch lives in ("owner/name"), which differs
	// from Event.Repo for a pull request from a fork.
	HeadRef, HeadSHA, HeadRepo string
	BaseRef                    string
	// Before and After are the old and new head commits of a synchronize.
	Before, After string
	HTMLURL       string
	// Author is the login of the pull request's author.
	Author string
}

// Ping is GitHub's first delivery to a new hook.
type Ping struct {
	Zen    string
	HookID int64
	// Events are the events the hook is subscribed to; "*" means all.
	Events []string
}

// IsOwnSender reports whether identity, booty's own GitHub login (a token
// user's login, or SLUG[bot] for a GitHub App), caused e: booty ignores the
// echoes of its own changes. Logins compare without regard to case, as
// GitHub treats them; an empty identity matches nothing.
func IsOwnSender(e *Event, identity string) bool {
	identity = strings.TrimSpace(identity)
	return e != nil && identity != "" && strings.EqualFold(e.Sender.Login, identity)
}
