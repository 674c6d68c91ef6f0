package githubtest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// PullRequest is a snapshot of a pull request the stand-in holds.
type PullRequest struct {
	Number int       `json:"number"`
	Title  string    `json:"title"`
	Body   string    `json:"body"`
	Head   string    `json:"head"`
	Base   string    `json:"base"`
	Draft  bool      `json:"draft"`
	User   string    `json:"user"`
	At     time.Time `json:"created_at"`
}

// firstPullNumber numbers the stand-in's pull requests apart from its
// issues: on GitHub they share one sequence, which booty never relies on.
const firstPullNumber = 1000

const (
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
	base := apiBase(r)
	s.mu.Lock()
	pr := PullRequest{Number: firstPullNumber + len(s.pulls) + 1, Title: *req.Title, Body: derefString(req.Body),
		Head: req.Head, Base: req.Base, Draft: req.Draft, User: callerOf(r).login, At: s.now()}
	s.pulls = append(s.pulls, pr)
	s.mu.Unlock()
	owner, repo := r.PathValue("owner"), r.PathValue("repo")
	web := strings.TrimSuffix(strings.Replace(base, "/api/v3/", "/", 1), "/")
	out := map[string]any{"number": pr.Number, "title": pr.Title, "body": pr.Body, "draft": pr.Draft, "state": "open",
		"html_url": web + "/" + owner + "/" + repo + "/pull/" + strconv.Itoa(pr.Number),
		"head":     map[string]any{"ref": pr.Head}, "base": map[string]any{"ref": pr.Base},
		"user": map[string]any{"login": pr.User}}
	b, _ := json.Marshal(out)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(b)
}
