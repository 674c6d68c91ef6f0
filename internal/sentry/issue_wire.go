package sentry

import (
	"bytes"
	"encoding/json"
	"strings"
)

// The wire types of an `issue` delivery hold only the fields booty uses,
// decoded leniently as event alerts are: ids may be numbers or strings,
// and a field of an unexpected type is skipped, not an error. Issue
// payloads carry no long lists, so they are decoded in one pass.

// issueEnvelope is an `issue` delivery. data.issue is kept raw so that an
// issue that is not an object is told apart from one without fields.
type issueEnvelope struct {
	Action lenientString `json:"action"`
	Actor  actor         `json:"actor"`
	Data   struct {
		Issue          json.RawMessage `json:"issue"`
		ResolutionType lenientString   `json:"resolution_type"`
		Assignee       assigneeWire    `json:"assignee"`
		Actor          actor           `json:"actor"`
	} `json:"data"`
}

// issueWire is data.issue, Sentry's serialized issue.
type issueWire struct {
	ID        lenientString `json:"id"`
	Title     string        `json:"title"`
	Level     lenientString `json:"level"`
	Status    lenientString `json:"status"`
	Substatus lenientString `json:"substatus"`
	WebURL    string        `json:"web_url"`
	Permalink string        `json:"permalink"`
	FirstSeen lenientTime   `json:"firstSeen"`
	LastSeen  lenientTime   `json:"lastSeen"`
	Project   struct {
		Slug string `json:"slug"`
	} `json:"project"`
	StatusDetails statusDetails `json:"statusDetails"`
	AssignedTo    assigneeWire  `json:"assignedTo"`
}

// statusDetails is data.issue.statusDetails: how a resolved issue was
// resolved (an archived one's conditions are not read).
type statusDetails struct {
	InRelease         lenientString `json:"inRelease"`
	InNextRelease     bool          `json:"inNextRelease"`
	InUpcomingRelease bool          `json:"inUpcomingRelease"`
	InCommit          commitRef     `json:"inCommit"`
}

// commitRef is statusDetails.inCommit: Sentry's serialized commit, whose
// "id" is the commit hash, or the {"commit": ..., "repository": ...} its
// API takes, or a bare hash. It holds the hash, or "".
type commitRef string

// UnmarshalJSON never fails; see commitRef.
func (c *commitRef) UnmarshalJSON(data []byte) error {
	data = bytes.TrimLeft(data, " \t\r\n")
	if len(data) == 0 {
		return nil
	}
	switch data[0] {
	case '"':
		*c = commitRef(unquote(data))
	case '{':
		var obj struct {
			ID     lenientString `json:"id"`
			Commit lenientString `json:"commit"`
		}
		_ = json.Unmarshal(data, &obj)
		id := obj.ID
		if strings.TrimSpace(string(id)) == "" {
			id = obj.Commit
		}
		*c = commitRef(id)
	}
	return nil
}

// actor is a delivery's "actor": who made the change.
type actor struct {
	Type lenientString `json:"type"`
	ID   lenientString `json:"id"`
}

// assigneeWire is data.assignee or data.issue.assignedTo. Its email is
// never read.
type assigneeWire struct {
	Type lenientString `json:"type"`
	Name string        `json:"name"`
}

// parseIssue decodes an `issue` delivery. change is nil, with no error,
// for an action booty does not know; a known action without a usable
// data.issue.id is a *PayloadError.
func parseIssue(body []byte) (action string, change *IssueChange, err error) {
	var env issueEnvelope
	if err := decode(body, &env); err != nil {
		return "", nil, err
	}
	action = clip(string(env.Action), maxShort)

	var iw issueWire
	isObject := isJSONObject(env.Data.Issue)
	if isObject {
		// A type mismatch inside data.issue skips that field only; the
		// raw bytes are already known to be valid JSON.
		_ = decode(env.Data.Issue, &iw)
	}
	substatus := clip(strings.TrimSpace(string(iw.Substatus)), maxShort)
	who := actorType(env.Actor)
	if who == "" {
		who = actorType(env.Data.Actor)
	}
	kind, known := issueKind(action, substatus, who)
	if !known {
		return action, nil, nil
	}
	if !isObject {
		return "", nil, &PayloadError{Missing: []string{"data.issue"}}
	}
	key, ok := groupKey(string(iw.ID))
	if !ok {
		return "", nil, &PayloadError{Missing: []string{"data.issue.id"}}
	}

	c := &IssueChange{
		ProblemKey: key,
		Kind:       kind,
		Title:      clip(iw.Title, maxField),
		Level:      clip(strings.TrimSpace(string(iw.Level)), maxShort),
		Status:     clip(strings.TrimSpace(string(iw.Status)), maxShort),
		Substatus:  substatus,
		Actor:      who,
	}
	if slug := strings.TrimSpace(iw.Project.Slug); len(slug) <= maxShort && isKeyText(slug) {
		c.Project = slug
	}
	for _, u := range []string{iw.WebURL, iw.Permalink} {
		if _, ok := httpURL(u); ok {
			c.Link = u
			break
		}
	}
	switch kind {
	case IssueCreated:
		c.At = iw.FirstSeen.t
		if c.At.IsZero() {
			c.At = iw.LastSeen.t
		}
	case IssueRegressed, IssueEscalating:
		c.At = iw.LastSeen.t
	case IssueResolved:
		c.Resolution, c.ResolvedIn = resolution(string(env.Data.ResolutionType), &iw.StatusDetails)
	case IssueAssigned:
		c.Assignee, c.AssigneeType = assignee(env.Data.Assignee, iw.AssignedTo)
	}
	return action, c, nil
}

// isJSONObject reports whether raw, valid JSON, is an object.
func isJSONObject(raw json.RawMessage) bool {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	return len(raw) > 0 && raw[0] == '{'
}
