package ghhook

import (
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"

	"booty/internal/github"
)

// Caps on what one delivery can put into an Event, whatever a hostile or
// runaway payload holds. GitHub's own limits are lower (logins 39
// characters, titles 256, label names 50), so nothing real is cut.
const (
	maxShort   = 64  // event names, actions, states, types
	maxLogin   = 100 // logins, including "slug[bot]"
	maxRepo    = 200 // "owner/name"
	maxTitle   = 512 // issue and pull request titles
	maxLabel   = 256 // one label name
	maxLabels  = 100 // labels kept per issue
	maxURL     = 512
	maxRef     = 256 // branch names
	maxSHA     = 64  // SHA-1 or SHA-256, in hex
	maxKey     = 256 // problem keys: booty writes none longer
	maxZen     = 256
	maxEvents  = 64 // events a ping's hook lists
	maxErrText = 200
)

// PayloadError reports a delivery booty cannot read: an empty event name, a
// body that is not JSON, or a handled event without the fields booty needs.
// The server answers 400 or 422. Its message never quotes the payload.
type PayloadError struct {
	// Missing names the absent fields as JSON paths, e.g. "issue.number".
	Missing []string
	// Err is the JSON error, when the body is not JSON or a field has the
	// wrong type.
	Err error
}

// Error describes what is wrong, briefly.
func (e *PayloadError) Error() string {
	switch {
	case len(e.Missing) > 0:
		return "invalid github payload: missing " + strings.Join(e.Missing, ", ")
	case e.Err != nil:
		return "invalid github payload: " + clip(e.Err.Error(), maxErrText)
	}
	return "invalid github payload"
}

// Unwrap returns the underlying JSON error, if any.
func (e *PayloadError) Unwrap() error { return e.Err }

// Parse reads one delivery: event is the X-GitHub-Event header and body the
// raw bytes, already verified. An event booty does not handle is
// KindIgnored, not an error, as long as body is JSON. Every error is a
// *PayloadError.
func Parse(event string, body []byte) (*Event, error) {
	event = strings.TrimSpace(event)
	if event == "" {
		return nil, &PayloadError{Missing: []string{HeaderEvent}}
	}
	e := &Event{Name: clip(event, maxShort)}
	var err error
	switch strings.ToLower(event) {
	case "issues":
		e.Kind = KindIssues
		err = parseIssues(e, body)
	case "pull_request":
		e.Kind = KindPullRequest
		err = parsePullRequest(e, body)
	case "ping":
		e.Kind = KindPing
		err = parsePing(e, body)
	default:
		e.Kind = KindIgnored
		err = parseIgnored(e, body)
	}
	if err != nil {
		return nil, err
	}
	return e, nil
}

func decode(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return &PayloadError{Err: err}
	}
	return nil
}

// envelope copies what every payload has.
func (e *Event) envelope(w *wireEnvelope) {
	e.Action = clip(w.Action, maxShort)
	if w.Repository != nil {
		e.Repo = clip(w.Repository.FullName, maxRepo)
	}
	if w.Sender != nil {
		e.Sender = actor(w.Sender)
	}
	if w.Installation != nil {
		e.InstallationID = w.Installation.ID
	}
}

// missingEnvelope lists what an issues or pull_request event lacks of the
// envelope: booty needs the action, the repository, and the sender to tell
// its own changes from others'.
func (e *Event) missingEnvelope() []string {
	var missing []string
	if e.Action == "" {
		missing = append(missing, "action")
	}
	if e.Repo == "" {
		missing = append(missing, "repository.full_name")
	}
	if e.Sender.Login == "" {
		missing = append(missing, "sender.login")
	}
	return missing
}

func parseIssues(e *Event, body []byte) error {
	var w wireIssuesEvent
	if err := decode(body, &w); err != nil {
		return err
	}
	e.envelope(&w.wireEnvelope)
	missing := e.missingEnvelope()
	if w.Issue == nil {
		missing = append(missing, "issue")
	} else if w.Issue.Number <= 0 {
		missing = append(missing, "issue.number")
	}
	if len(missing) > 0 {
		return &PayloadError{Missing: missing}
	}
	e.Issue = issue(w.Issue, w.Label, w.Changes, e.Action)
	return nil
}

func issue(w *wireIssue, l *wireLabel, ch *wireIssueChanges, action string) *Issue {
	is := &Issue{
		Number:  w.Number,
		Title:   clip(w.Title, maxTitle),
		State:   clip(w.State, maxShort),
		HTMLURL: clip(w.HTMLURL, maxURL),
	}
	if w.StateReason != nil {
		is.StateReason = clip(*w.StateReason, maxShort)
	}
	if w.User != nil {
		is.Author = clip(w.User.Login, maxLogin)
	}
	if w.ClosedAt != nil {
		is.ClosedAt = w.ClosedAt.UTC()
	}
	for _, wl := range w.Labels {
		if len(is.Labels) == maxLabels {
			break
		}
		if name := clip(wl.Name, maxLabel); name != "" {
			is.Labels = append(is.Labels, name)
		}
	}
	if l != nil {
		is.Label = clip(l.Name, maxLabel)
	}
	body := ""
	if w.Body != nil {
		body = *w.Body
	}
	is.ProblemKey = problemKey(body)
	if ch == nil {
		return is
	}
	if action == "edited" && ch.Body != nil && ch.Body.From != nil {
		is.PreviousProblemKey = problemKey(*ch.Body.From)
		is.MarkerRemoved = is.PreviousProblemKey != "" && !github.ContainsMarker(body, is.PreviousProblemKey)
	}
	if ch.NewRepository != nil {
		is.NewRepo = clip(ch.NewRepository.FullName, maxRepo)
	}
	if ch.NewIssue != nil {
		is.NewNumber = max(ch.NewIssue.Number, 0)
	}
	if ch.OldRepository != nil {
		is.OldRepo = clip(ch.OldRepository.FullName, maxRepo)
	}
	if ch.OldIssue != nil {
		is.OldNumber = max(ch.OldIssue.Number, 0)
	}
	return is
}

// problemKey is the key of booty's marker in body, "" when there is none
// or it is longer than any key booty writes.
func problemKey(body string) string {
	key, ok := github.MarkerKey(body)
	if !ok || len(key) > maxKey {
		return ""
	}
	return key
}

func parsePullRequest(e *Event, body []byte) error {
	var w wirePullRequestEvent
	if err := decode(body, &w); err != nil {
		return err
	}
	e.envelope(&w.wireEnvelope)
	missing := e.missingEnvelope()
	pr := w.PullRequest
	if pr == nil {
		missing = append(missing, "pull_request")
	} else {
		if pr.Number <= 0 && w.Number <= 0 {
			missing = append(missing, "pull_request.number")
		}
		if pr.Head == nil || pr.Head.SHA == "" {
			missing = append(missing, "pull_request.head.sha")
		}
	}
	if len(missing) > 0 {
		return &PayloadError{Missing: missing}
	}
	out := &PullRequest{
		Number:  cmpOr(pr.Number, w.Number),
		Title:   clip(pr.Title, maxTitle),
		State:   clip(pr.State, maxShort),
		Draft:   pr.Draft,
		Merged:  pr.Merged,
		HTMLURL: clip(pr.HTMLURL, maxURL),
		HeadRef: clip(pr.Head.Ref, maxRef),
		HeadSHA: clip(pr.Head.SHA, maxSHA),
		Before:  clip(w.Before, maxSHA),
		After:   clip(w.After, maxSHA),
	}
	if pr.Head.Repo != nil {
		out.HeadRepo = clip(pr.Head.Repo.FullName, maxRepo)
	}
	if pr.Base != nil {
		out.BaseRef = clip(pr.Base.Ref, maxRef)
	}
	if pr.User != nil {
		out.Author = clip(pr.User.Login, maxLogin)
	}
	e.PullRequest = out
	return nil
}

func parsePing(e *Event, body []byte) error {
	var w wirePingEvent
	if err := decode(body, &w); err != nil {
		return err
	}
	// A ping has no action, and no repository when the hook belongs to an
	// organisation or an App, so nothing of the envelope is required.
	e.envelope(&w.wireEnvelope)
	p := &Ping{Zen: clip(w.Zen, maxZen), HookID: w.HookID}
	if w.Hook != nil {
		for _, ev := range w.Hook.Events {
			if len(p.Events) == maxEvents {
				break
			}
			p.Events = append(p.Events, clip(ev, maxShort))
		}
	}
	e.Ping = p
	return nil
}

// parseIgnored reads what it can of an event booty does not handle: only a
// body that is not JSON at all is an error.
func parseIgnored(e *Event, body []byte) error {
	var w wireEnvelope
	err := json.Unmarshal(body, &w)
	if _, wrongType := errors.AsType[*json.UnmarshalTypeError](err); err != nil && !wrongType {
		return &PayloadError{Err: err}
	}
	e.envelope(&w)
	return nil
}

func actor(w *wireUser) Actor {
	return Actor{Login: clip(w.Login, maxLogin), Type: clip(w.Type, maxShort), ID: w.ID}
}

// clip returns s as valid UTF-8 (a header need not be), without NUL bytes
// (PostgreSQL text cannot hold them) and cut to at most n bytes on a rune
// boundary. A cut string is copied so the
// Event does not pin a large payload in memory.
func clip(s string, n int) string {
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return strings.Clone(s[:i])
}

func cmpOr(v, fallback int) int {
	if v == 0 {
		return fallback
	}
	return v
}
