package sentry

import (
	"strings"
	"time"
)

// IssueChange is what a Sentry `issue` webhook says happened to a problem.
// Every string is bounded; none is sanitized for markup (the renderer that
// puts one into GitHub does that).
type IssueChange struct {
	// ProblemKey is sentry:<data.issue.id>, the key an event alert of the
	// same Sentry issue gets.
	ProblemKey string
	// Kind is what happened; see IssueKind for how it is read.
	Kind IssueKind
	// Title is data.issue.title.
	Title string
	// Level is data.issue.level, as sent.
	Level string
	// Project is data.issue.project.slug, when it is a plain slug.
	Project string
	// Status and Substatus are data.issue.status and .substatus, as sent.
	Status, Substatus string

	// Resolution says how a resolved issue was resolved: "now",
	// "in_release", "in_next_release", "in_upcoming_release" or
	// "in_commit". data.resolution_type decides: "with_commit" (a commit or
	// pull request saying it fixes the issue) reads as "in_commit", and any
	// other word is kept, lower-cased. Without it statusDetails does:
	// inNextRelease, inUpcomingRelease, inRelease, inCommit, in that order.
	// It is "" for other kinds, and for a resolution the payload does not
	// describe.
	Resolution string
	// ResolvedIn is the release or commit a resolved issue names:
	// statusDetails.inRelease, else the hash in statusDetails.inCommit.
	ResolvedIn string

	// Assignee is who an assigned issue went to: a user's or team's name,
	// never an email address (a name that holds one is dropped).
	Assignee string
	// AssigneeType is "user" or "team", when Sentry says which.
	AssigneeType string

	// Actor is who made the change.
	Actor ActorType
	// Link is the issue's Sentry page (data.issue.web_url, else permalink),
	// only when it is an absolute http(s) URL.
	Link string
	// At is when the change happened, where the payload says: the first
	// event of a created issue, the newest event of a regressed or
	// escalating one. It is zero otherwise: nothing in the payload dates a
	// resolution, an archive or an assignment.
	At time.Time
}

// IssueKind is what an `issue` webhook reports. The action decides,
// except for "unresolved", which Sentry sends for several things and which
// is read from data.issue.substatus first, then from who acted (Actor):
//
//	action        substatus        actor                   kind
//	created       any              any                     created
//	resolved      any              any                     resolved
//	ignored       any              any                     archived
//	archived      any              any                     archived
//	assigned      any              any                     assigned
//	unassigned    any              any                     unassigned
//	unresolved    regressed        any                     regressed
//	unresolved    escalating       any                     escalating
//	unresolved    ongoing          application (Sentry)    archive_expired
//	unresolved    ongoing          user, sentry_app, none  unresolved_by_person
//	unresolved    other or none    application (Sentry)    regressed
//	unresolved    other or none    user, sentry_app, none  unresolved_by_person
//
// Sentry itself only reopens an issue when a new event regresses it, when
// it escalates, or when its archive runs out; anyone else reopening it
// (a person, another integration, a body without an actor) did so on
// purpose. Newer Sentry sends both "ignored" and "archived" for one
// archive, so an archive can arrive twice.
type IssueKind string

// The kinds of IssueChange.
const (
	IssueCreated            IssueKind = "created"
	IssueResolved           IssueKind = "resolved"
	IssueRegressed          IssueKind = "regressed"
	IssueEscalating         IssueKind = "escalating"
	IssueUnresolvedByPerson IssueKind = "unresolved_by_person"
	IssueArchiveExpired     IssueKind = "archive_expired"
	IssueArchived           IssueKind = "archived"
	IssueAssigned           IssueKind = "assigned"
	// IssueUnassigned is for an "unassigned" action, which Sentry does not
	// send today (it has no such webhook); it is read should it start.
	IssueUnassigned IssueKind = "unassigned"
)

// ActorType is who made an issue change, from the delivery's "actor"
// (top level, else data.actor).
type ActorType string

// The actors of IssueChange; "" is an actor the payload does not name.
const (
	// ActorUser is a person in Sentry.
	ActorUser ActorType = "user"
	// ActorApplication is Sentry itself: type "application" with id
	// "sentry" (or no id).
	ActorApplication ActorType = "application"
	// ActorSentryApp is an integration acting through Sentry's API: type
	// "application" with another id, its app's, or type "sentry_app".
	// booty's own calls back to Sentry come back as this.
	ActorSentryApp ActorType = "sentry_app"
)

// The Sentry issue substatuses classification reads.
const (
	substatusRegressed  = "regressed"
	substatusEscalating = "escalating"
	substatusOngoing    = "ongoing"
)

// issueKind classifies an action; ok is false for an action booty does
// not know, which is ignored.
func issueKind(action, substatus string, actor ActorType) (kind IssueKind, ok bool) {
	switch normal(action) {
	case "created":
		return IssueCreated, true
	case "resolved":
		return IssueResolved, true
	case "ignored", "archived":
		return IssueArchived, true
	case "assigned":
		return IssueAssigned, true
	case "unassigned":
		return IssueUnassigned, true
	case "unresolved":
		return unresolvedKind(normal(substatus), actor), true
	}
	return "", false
}

// unresolvedKind reads an "unresolved" action; see IssueKind.
func unresolvedKind(substatus string, actor ActorType) IssueKind {
	bySentry := actor == ActorApplication
	switch {
	case substatus == substatusRegressed:
		return IssueRegressed
	case substatus == substatusEscalating:
		return IssueEscalating
	case substatus == substatusOngoing && bySentry:
		return IssueArchiveExpired
	case substatus != substatusOngoing && bySentry:
		return IssueRegressed
	}
	return IssueUnresolvedByPerson
}

// The Resolution values.
const (
	resolvedNow               = "now"
	resolvedInRelease         = "in_release"
	resolvedInNextRelease     = "in_next_release"
	resolvedInUpcomingRelease = "in_upcoming_release"
	resolvedInCommit          = "in_commit"
)

// resolution returns how an issue was resolved. data.resolution_type, which
// Sentry sends with every resolved webhook, decides:
//
//	resolution_type       Resolution
//	now                   now
//	in_release            in_release
//	in_next_release       in_next_release
//	in_upcoming_release   in_upcoming_release
//	in_commit             in_commit
//	with_commit           in_commit   (a commit or pull request that says it fixes the issue)
//	other                 lower-cased, if made of letters and "_"
//
// Without one, data.issue.statusDetails does: inNextRelease true gives
// in_next_release, inUpcomingRelease true in_upcoming_release, inRelease
// in_release, inCommit in_commit; else "". in is the release or commit
// statusDetails names (inRelease, else inCommit's id or commit), whatever
// resolution_type says.
func resolution(resolutionType string, sd *statusDetails) (res, in string) {
	in = clip(strings.TrimSpace(string(sd.InRelease)), maxField)
	if in == "" {
		in = clip(strings.TrimSpace(string(sd.InCommit)), maxField)
	}
	switch rt := normal(resolutionType); rt {
	case resolvedNow, resolvedInRelease, resolvedInNextRelease, resolvedInUpcomingRelease, resolvedInCommit:
		return rt, in
	case "with_commit":
		return resolvedInCommit, in
	case "":
	default:
		if isWord(rt) {
			return rt, in
		}
	}
	switch {
	case sd.InNextRelease:
		return resolvedInNextRelease, in
	case sd.InUpcomingRelease:
		return resolvedInUpcomingRelease, in
	case sd.InRelease != "":
		return resolvedInRelease, in
	case sd.InCommit != "":
		return resolvedInCommit, in
	}
	return "", in
}

// actorType reads a delivery's actor; see ActorType.
func actorType(a actor) ActorType {
	switch normal(string(a.Type)) {
	case "user":
		return ActorUser
	case "application":
		if id := normal(string(a.ID)); id == "" || id == "sentry" {
			return ActorApplication
		}
		return ActorSentryApp
	case "sentry_app":
		return ActorSentryApp
	}
	return ""
}

// assignee returns the display name and type of who an issue went to:
// data.assignee, else data.issue.assignedTo. A name holding an "@" may be
// an email address (Sentry shows a user without a name by their email)
// and is dropped.
func assignee(primary, fallback assigneeWire) (name, typ string) {
	a := primary
	if strings.TrimSpace(a.Name) == "" && a.Type == "" {
		a = fallback
	}
	name = clip(strings.TrimSpace(a.Name), maxShort)
	if strings.Contains(name, "@") {
		name = ""
	}
	switch t := normal(string(a.Type)); t {
	case "user", "team":
		typ = t
	}
	return name, typ
}

// normal returns s trimmed and lower-cased, for comparing what Sentry sends
// with the values booty knows; "" if it is longer than any of them can be.
func normal(s string) string {
	if s = strings.TrimSpace(s); len(s) > maxShort {
		return ""
	}
	return strings.ToLower(s)
}

// isWord reports whether s is non-empty and made of [a-z_].
func isWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && c != '_' {
			return false
		}
	}
	return true
}
