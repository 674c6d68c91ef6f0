package githubtest

import (
	"fmt"
	"slices"
	"strings"
)

// wireIssuesHook is the payload of an "issues" delivery.
type wireIssuesHook struct {
	Action     string           `json:"action"`
	Issue      wireIssue        `json:"issue"`
	Label      *wireLabel       `json:"label,omitempty"`
	Changes    *wireHookChanges `json:"changes,omitempty"`
	Repository wireRepository   `json:"repository"`
	Sender     wireUser         `json:"sender"`
}

// wireHookChanges is an issues delivery's "changes": the old title and
// body of an edit, where a transferred issue went, where an issue opened
// by a transfer came from.
type wireHookChanges struct {
	Title         *wireFrom       `json:"title,omitempty"`
	Body          *wireFrom       `json:"body,omitempty"`
	NewIssue      *wireIssue      `json:"new_issue,omitempty"`
	NewRepository *wireRepository `json:"new_repository,omitempty"`
	OldIssue      *wireIssue      `json:"old_issue,omitempty"`
	OldRepository *wireRepository `json:"old_repository,omitempty"`
}

type wireFrom struct {
	From string `json:"from"`
}

// wirePingHook is the payload of a "ping" delivery.
type wirePingHook struct {
	Zen        string         `json:"zen"`
	HookID     int64          `json:"hook_id"`
	Hook       wireHook       `json:"hook"`
	Repository wireRepository `json:"repository"`
	Sender     wireUser       `json:"sender"`
}

type wireHook struct {
	Type   string            `json:"type"`
	ID     int64             `json:"id"`
	Name   string            `json:"name"`
	Active bool              `json:"active"`
	Events []string          `json:"events"`
	Config map[string]string `json:"config"`
}

// issueHookLocked queues an "issues" delivery about is; the caller holds
// s.mu. label is the label added or removed, for labeled and unlabeled.
func (s *Server) issueHookLocked(base, action string, is *issue, sender wireUser, l *label, changes *wireHookChanges) {
	payload := wireIssuesHook{
		Action:     action,
		Issue:      s.wireIssueLocked(base, is),
		Changes:    changes,
		Repository: s.wireRepoLocked(base),
		Sender:     sender,
	}
	if l != nil {
		wl := s.wireLabel(base, l)
		payload.Label = &wl
	}
	if d, ok := s.hooks.deliveryLocked("issues", action, is.number, sender.Login, payload); ok {
		s.hooks.enqueue(d)
	}
}

// maintainer is the sender of the changes a test makes.
func (s *Server) maintainer(base string) wireUser {
	return s.user(base, maintainerLogin, maintainerID, "User")
}

// closeReasons are the state_reason values GitHub accepts when closing.
var closeReasons = []string{"completed", "not_planned", "duplicate"}

// CloseIssueAs closes issue n as a maintainer would on github.com, with
// reason "completed", "not_planned" or "duplicate" as its state_reason.
// Closing an issue that is already closed changes its reason and sends no
// webhook, as on GitHub.
func (s *Server) CloseIssueAs(n int, reason string) error {
	if !slices.Contains(closeReasons, reason) {
		return fmt.Errorf("close issue %d: reason %q is not one of %s", n, reason, strings.Join(closeReasons, ", "))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.issueLocked(n)
	if is == nil {
		return fmt.Errorf("close issue %d: no such issue", n)
	}
	wasOpen := is.state == "open"
	now := s.now()
	is.state, is.stateReason = "closed", reason
	is.closed, is.closedBy, is.updated = now, maintainerLogin, now
	if wasOpen {
		base := s.hookBase()
		s.issueHookLocked(base, "closed", is, s.maintainer(base), nil, nil)
	}
	return nil
}

// AddLabel puts label name on issue n, as a maintainer handing the issue
// to the builder does, creating the label if the repository lacks it.
func (s *Server) AddLabel(n int, name string) error {
	if strings.TrimSpace(name) == "" {
		return fmt.Errorf("add label to issue %d: empty name", n)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.issueLocked(n)
	if is == nil {
		return fmt.Errorf("add label to issue %d: no such issue", n)
	}
	l := s.labelLocked(name, "", "")
	if slices.Contains(is.labels, l) {
		return nil
	}
	is.labels = append(is.labels, l)
	is.updated = s.now()
	base := s.hookBase()
	s.issueHookLocked(base, "labeled", is, s.maintainer(base), l, nil)
	return nil
}

// EditIssueBody replaces the body of issue n, as a person editing it on
// github.com does, for example removing booty's hidden marker.
func (s *Server) EditIssueBody(n int, body string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.issueLocked(n)
	if is == nil {
		return fmt.Errorf("edit issue %d: no such issue", n)
	}
	if is.body == body {
		return nil
	}
	old := is.body
	is.body, is.updated = body, s.now()
	base := s.hookBase()
	s.issueHookLocked(base, "edited", is, s.maintainer(base), nil, &wireHookChanges{Body: &wireFrom{From: old}})
	return nil
}

// TransferIssue moves issue n to toRepo ("OWNER/REPO"), another repository
// of the same Repos, as a maintainer does, and returns its number there.
// The old repository sends "transferred" and the new one "opened", each
// naming the other issue in "changes". Afterwards the old issue answers
// 410 like a deleted one (GitHub answers 301 pointing at the new issue).
func (s *Server) TransferIssue(n int, toRepo string) (int, error) {
	var to *Server
	if s.peer != nil {
		to = s.peer(toRepo)
	}
	if to == nil || to == s {
		return 0, fmt.Errorf("transfer issue %d: repository %q is not another one of this stand-in's", n, toRepo)
	}
	base := s.hookBase()
	s.mu.Lock()
	is := s.issueLocked(n)
	if is == nil || is.deleted {
		s.mu.Unlock()
		return 0, fmt.Errorf("transfer issue %d: no such issue", n)
	}
	is.deleted = true
	moved := *is
	moved.labels = slices.Clone(is.labels)
	moved.assignees = slices.Clone(is.assignees)
	moved.comments = slices.Clone(is.comments)
	oldIssue, oldRepo := s.wireIssueLocked(base, is), s.wireRepoLocked(base)
	s.mu.Unlock()

	to.mu.Lock()
	ni := to.adoptLocked(&moved)
	newIssue, newRepo := to.wireIssueLocked(base, ni), to.wireRepoLocked(base)
	to.issueHookLocked(base, "opened", ni, to.maintainer(base), nil, &wireHookChanges{OldIssue: &oldIssue, OldRepository: &oldRepo})
	to.mu.Unlock()

	s.mu.Lock()
	s.issueHookLocked(base, "transferred", is, s.maintainer(base), nil, &wireHookChanges{NewIssue: &newIssue, NewRepository: &newRepo})
	s.mu.Unlock()
	return ni.number, nil
}

// adoptLocked files a copy of an issue from another repository under the
// next number; the caller holds s.mu.
func (s *Server) adoptLocked(from *issue) *issue {
	n := len(s.issues) + 1
	is := &issue{
		number:      n,
		user:        from.user,
		id:          firstIssueID + int64(n),
		title:       from.title,
		body:        from.body,
		state:       from.state,
		stateReason: from.stateReason,
		created:     from.created,
		updated:     s.now(),
		closed:      from.closed,
		closedBy:    from.closedBy,
		assignees:   from.assignees,
	}
	for _, l := range from.labels {
		is.labels = appendLabel(is.labels, s.labelLocked(l.name, l.color, l.description))
	}
	for _, c := range from.comments {
		is.comments = append(is.comments, &comment{id: s.nextCommentID, user: c.user, body: c.body, created: c.created, updated: c.updated})
		s.nextCommentID++
	}
	s.issues = append(s.issues, is)
	return is
}

// createHooksLocked queues the deliveries GitHub sends for a REST create,
// sent by the caller: opened, then labeled for each label it was created
// with. The caller holds s.mu.
func (s *Server) createHooksLocked(base string, is *issue, sender wireUser) {
	s.issueHookLocked(base, "opened", is, sender, nil, nil)
	for _, l := range is.labels {
		s.issueHookLocked(base, "labeled", is, sender, l, nil)
	}
}

// issueBefore is what an update may change, for the deliveries it causes.
type issueBefore struct {
	title, body, state string
	labels             []*label
}

func before(is *issue) issueBefore {
	return issueBefore{title: is.title, body: is.body, state: is.state, labels: slices.Clone(is.labels)}
}

// updateHooksLocked queues the deliveries GitHub sends for a REST update
// of is, sent by the caller: edited, then labeled and unlabeled, then
// closed or reopened. The caller holds s.mu.
func (s *Server) updateHooksLocked(base string, is *issue, was issueBefore, sender wireUser) {
	var ch wireHookChanges
	if is.title != was.title {
		ch.Title = &wireFrom{From: was.title}
	}
	if is.body != was.body {
		ch.Body = &wireFrom{From: was.body}
	}
	if ch.Title != nil || ch.Body != nil {
		s.issueHookLocked(base, "edited", is, sender, nil, &ch)
	}
	for _, l := range is.labels {
		if !slices.Contains(was.labels, l) {
			s.issueHookLocked(base, "labeled", is, sender, l, nil)
		}
	}
	for _, l := range was.labels {
		if !slices.Contains(is.labels, l) {
			s.issueHookLocked(base, "unlabeled", is, sender, l, nil)
		}
	}
	switch {
	case was.state == "open" && is.state == "closed":
		s.issueHookLocked(base, "closed", is, sender, nil, nil)
	case was.state == "closed" && is.state == "open":
		s.issueHookLocked(base, "reopened", is, sender, nil, nil)
	}
}
