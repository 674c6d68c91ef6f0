package githubtest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// PullRequest is a snapshot of a pull request the stand-in holds.
type PullRequest struct {
	Number int    `json:"number"`
	Title  string `json:"title"`
	Body   string `json:"body"`
	Head   string `json:"head"`
	// HeadSHA is the commit Head points at, known when the stand-in has
	// the git remote (Options.GitRoot).
	HeadSHA string    `json:"head_sha,omitempty"`
	Base    string    `json:"base"`
	Draft   bool      `json:"draft"`
	State   string    `json:"state"`
	User    string    `json:"user"`
	At      time.Time `json:"created_at"`
}

// firstPullNumber numbers the stand-in's pull requests apart from its
// issues: on GitHub they share one sequence, which booty never relies on.
const firstPullNumber = 1000

const (
	docsListPulls      = "https://docs.github.com/rest/pulls/pulls#list-pull-requests"
	docsCreatePull     = "https://docs.github.com/rest/pulls/pulls#create-a-pull-request"
	docsGetPermission  = "https://docs.github.com/rest/collaborators/collaborators#get-repository-permissions-for-a-user"
	permissionNone     = "none"
	permissionDefault  = "write"
	maintainerPermRole = "admin"
)

// Pulls returns the pull requests opened so far, oldest first.
func (s *Server) Pulls() []PullRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]PullRequest(nil), s.pulls...)
}

// SetPermission gives login permission on the repository ("admin",
// "write", "read", "none"), as GET …/collaborators/{login}/permission
// answers it. Unset logins have "read"; the token's user and the
// maintainer have write and admin.
func (s *Server) SetPermission(login, permission string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.permissions == nil {
		s.permissions = map[string]string{}
	}
	s.permissions[strings.ToLower(login)] = permission
}

func (s *Server) permissionOf(login string) string {
	if p, ok := s.permissions[strings.ToLower(login)]; ok {
		return p
	}
	switch strings.ToLower(login) {
	case maintainerLogin:
		return maintainerPermRole
	case strings.ToLower(s.opts.Login):
		return permissionDefault
	}
	return "read"
}

func (s *Server) getPermission(w http.ResponseWriter, r *http.Request) {
	login := r.PathValue("username")
	s.mu.Lock()
	perm := s.permissionOf(login)
	s.mu.Unlock()
	if perm == permissionNone {
		notFound(w, docsGetPermission)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"permission": perm, "role_name": perm,
		"user": map[string]any{"login": login, "type": "User"}})
}

func (s *Server) createPull(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Title *string `json:"title"`
		Head  string  `json:"head"`
		Base  string  `json:"base"`
		Body  *string `json:"body"`
		Draft bool    `json:"draft"`
	}
	if !decodeBody(w, r, docsCreatePull, &req) {
		return
	}
	errs := append(checkTitle("PullRequest", req.Title, true), checkBody("PullRequest", req.Body)...)
	if req.Head == "" || req.Base == "" || req.Head == req.Base {
		errs = append(errs, wireFieldError{Resource: "PullRequest", Code: "invalid", Field: "head"})
	}
	if len(errs) > 0 {
		validationFailed(w, docsCreatePull, errs...)
		return
	}
	head := strings.TrimPrefix(req.Head, s.opts.Owner+":")
	sha := s.headSHA(head)
	if s.opts.GitRoot != "" && sha == "" {
		validationFailed(w, docsCreatePull, wireFieldError{Resource: "PullRequest", Code: "invalid", Field: "head"})
		return
	}
	base := apiBase(r)
	s.mu.Lock()
	for _, pr := range s.pulls {
		if pr.State == "open" && pr.Head == head && pr.Base == req.Base {
			s.mu.Unlock()
			validationFailed(w, docsCreatePull, wireFieldError{Resource: "PullRequest", Code: "custom",
				Message: "A pull request already exists for " + s.opts.Owner + ":" + head + "."})
			return
		}
	}
	pr := PullRequest{Number: firstPullNumber + len(s.pulls) + 1, Title: *req.Title, Body: derefString(req.Body),
		Head: head, HeadSHA: sha, Base: req.Base, Draft: req.Draft, State: "open", User: callerOf(r).login, At: s.now()}
	s.pulls = append(s.pulls, pr)
	s.pullHookLocked(base, "opened", pr, s.author(base, pr.User), "")
	out := s.wirePullLocked(base, pr)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, out)
}

// listPulls answers GET …/pulls with state and head (OWNER:BRANCH) filters.
func (s *Server) listPulls(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	state := cmpOr(q.Get("state"), "open")
	head := q.Get("head")
	base := apiBase(r)
	s.mu.Lock()
	out := []wirePull{}
	for i := len(s.pulls) - 1; i >= 0; i-- {
		pr := s.pulls[i]
		if (state != "all" && pr.State != state) || (head != "" && !strings.EqualFold(head, s.opts.Owner+":"+pr.Head)) {
			continue
		}
		out = append(out, s.wirePullLocked(base, pr))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// wirePull is a pull request as the API and webhooks render it.
type wirePull struct {
	Number  int         `json:"number"`
	Title   string      `json:"title"`
	Body    string      `json:"body"`
	Draft   bool        `json:"draft"`
	State   string      `json:"state"`
	Merged  bool        `json:"merged"`
	HTMLURL string      `json:"html_url"`
	URL     string      `json:"url"`
	User    wireUser    `json:"user"`
	Head    wirePullRef `json:"head"`
	Base    wirePullRef `json:"base"`
	Created string      `json:"created_at"`
}

type wirePullRef struct {
	Label string         `json:"label"`
	Ref   string         `json:"ref"`
	SHA   string         `json:"sha"`
	Repo  wireRepository `json:"repo"`
}

// wirePullHook is the payload of a "pull_request" delivery.
type wirePullHook struct {
	Action      string         `json:"action"`
	Number      int            `json:"number"`
	PullRequest wirePull       `json:"pull_request"`
	Before      string         `json:"before,omitempty"`
	After       string         `json:"after,omitempty"`
	Repository  wireRepository `json:"repository"`
	Sender      wireUser       `json:"sender"`
}

func (s *Server) wirePullLocked(base string, pr PullRequest) wirePull {
	repo := s.wireRepoLocked(base)
	return wirePull{Number: pr.Number, Title: pr.Title, Body: pr.Body, Draft: pr.Draft, State: pr.State,
		HTMLURL: fmt.Sprintf("%s%s/%s/pull/%d", githubWebBaseURL, s.opts.Owner, s.opts.Repo, pr.Number),
		URL:     s.repoAPIURL(base) + "/pulls/" + strconv.Itoa(pr.Number),
		User:    s.author(base, pr.User), Created: stamp(pr.At),
		Head: wirePullRef{Label: s.opts.Owner + ":" + pr.Head, Ref: pr.Head, SHA: pr.HeadSHA, Repo: repo},
		Base: wirePullRef{Label: s.opts.Owner + ":" + pr.Base, Ref: pr.Base, SHA: s.headSHA(pr.Base), Repo: repo}}
}

// pullHookLocked queues a "pull_request" delivery about pr; the caller
// holds s.mu. before is the old head of a synchronize.
func (s *Server) pullHookLocked(base, action string, pr PullRequest, sender wireUser, before string) {
	payload := wirePullHook{Action: action, Number: pr.Number, PullRequest: s.wirePullLocked(base, pr),
		Repository: s.wireRepoLocked(base), Sender: sender}
	if action == "synchronize" {
		payload.Before, payload.After = before, pr.HeadSHA
	}
	if d, ok := s.hooks.deliveryLocked("pull_request", action, pr.Number, sender.Login, payload); ok {
		s.hooks.enqueue(d)
	}
}
