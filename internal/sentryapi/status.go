package sentryapi

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Status is a change booty makes to a Sentry issue.
type Status int

// The changes booty makes, each one body of Sentry's "Update an Issue".
const (
	// ResolvedInNextRelease resolves the issue as fixed in the project's
	// next release, so that an event from a release before the fix does
	// not reopen it: {"status":"resolved","statusDetails":{"inNextRelease":true}}.
	// A project without releases refuses it (ErrNoRelease).
	ResolvedInNextRelease Status = iota + 1
	// Resolved resolves the issue now: {"status":"resolved"}. The fallback
	// for a project without releases.
	Resolved
	// ArchivedUntilEscalating archives the issue until Sentry sees it
	// escalate, as Sentry's "Archive → Until escalating" does:
	// {"status":"ignored","substatus":"archived_until_escalating","statusDetails":{}}.
	ArchivedUntilEscalating
	// Unresolved reopens the issue: {"status":"unresolved","substatus":"ongoing"}.
	Unresolved
)

// String names the change, for errors and logs.
func (s Status) String() string {
	switch s {
	case ResolvedInNextRelease:
		return "resolve in next release"
	case Resolved:
		return "resolve"
	case ArchivedUntilEscalating:
		return "archive until escalating"
	case Unresolved:
		return "unresolve"
	}
	return "Status(" + strconv.Itoa(int(s)) + ")"
}

// updateBody is the part of "Update an Issue"'s body booty sends; Sentry
// changes only the attributes it is sent.
type updateBody struct {
	Status        string         `json:"status"`
	Substatus     string         `json:"substatus,omitempty"`
	StatusDetails *statusDetails `json:"statusDetails,omitempty"`
}

type statusDetails struct {
	InNextRelease bool `json:"inNextRelease,omitempty"`
}

// body returns the JSON Sentry is sent for s, or false for an unknown s.
func (s Status) body() ([]byte, bool) {
	var b updateBody
	switch s {
	case ResolvedInNextRelease:
		b = updateBody{Status: "resolved", StatusDetails: &statusDetails{InNextRelease: true}}
	case Resolved:
		b = updateBody{Status: "resolved"}
	case ArchivedUntilEscalating:
		b = updateBody{Status: "ignored", Substatus: "archived_until_escalating", StatusDetails: &statusDetails{}}
	case Unresolved:
		b = updateBody{Status: "unresolved", Substatus: "ongoing"}
	default:
		return nil, false
	}
	out, err := json.Marshal(b)
	return out, err == nil
}

// keyPrefix starts the problem key of an event that names its Sentry
// issue (internal/sentry's problemKey).
const keyPrefix = "sentry:"

// maxIssueID is the longest id kept: Sentry's group ids are 64-bit.
const maxIssueID = 19

// IssueIDFromKey returns the Sentry issue id in a problem key of the form
// "sentry:<issue id>". ok is false for any other key, such as the
// "sentry:<project>:<hash>" of an event from before Sentry sent issue ids:
// there is no issue to update for those.
func IssueIDFromKey(problemKey string) (id string, ok bool) {
	id, found := strings.CutPrefix(problemKey, keyPrefix)
	if !found || !validIssueID(id) {
		return "", false
	}
	return id, true
}

// validIssueID reports whether id is a Sentry issue id as booty's keys
// spell it: 1 to 19 digits, no leading zero.
func validIssueID(id string) bool {
	if id == "" || len(id) > maxIssueID || id[0] == '0' {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	_, err := strconv.ParseInt(id, 10, 64)
	return err == nil
}
