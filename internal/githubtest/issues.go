package githubtest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// GitHub's limits on issue and comment text, in characters.
const (
	maxTitleChars = 256
	maxBodyChars  = 65536
	defaultPer    = 30
	maxPer        = 100
)

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	s.appRoutes(mux)
	mux.HandleFunc("GET /rate_limit", s.getRateLimit)
	mux.HandleFunc("GET /user", apiRoute(s.getUser))
	mux.HandleFunc("GET /repos/{owner}/{repo}", s.repoRoute(docsGetRepo, s.getRepo))
	mux.HandleFunc("GET /repos/{owner}/{repo}/issues", s.repoRoute(docsListIssues, s.listIssues))
	mux.HandleFunc("POST /repos/{owner}/{repo}/issues", s.repoRoute(docsCreateIssue, s.writeRoute(docsCreateIssue, s.createIssue)))
	mux.HandleFunc("GET /repos/{owner}/{repo}/issues/{number}", s.repoRoute(docsGetIssue, s.getIssue))
	mux.HandleFunc("PATCH /repos/{owner}/{repo}/issues/{number}", s.repoRoute(docsUpdateIssue, s.writeRoute(docsUpdateIssue, s.updateIssue)))
	mux.HandleFunc("GET /repos/{owner}/{repo}/issues/{number}/comments", s.repoRoute(docsListComments, s.listComments))
	mux.HandleFunc("GET /repos/{owner}/{repo}/pulls", s.repoRoute(docsListPulls, s.listPulls))
	mux.HandleFunc("POST /repos/{owner}/{repo}/pulls", s.repoRoute(docsCreatePull, s.writeRoute(docsCreatePull, s.createPull)))
	mux.HandleFunc("POST /repos/{owner}/{repo}/statuses/{sha}", s.repoRoute(docsCreateStatus, s.writeRoute(docsCreateStatus, s.createStatus)))
	mux.HandleFunc("GET /repos/{owner}/{repo}/commits/{ref}/statuses", s.repoRoute(docsListStatuses, s.listStatuses))
	mux.HandleFunc("GET /repos/{owner}/{repo}/collaborators/{username}/permission", s.repoRoute(docsGetPermission, s.getPermission))
	mux.HandleFunc("POST /repos/{owner}/{repo}/issues/{number}/labels", s.repoRoute(docsAddLabels, s.writeRoute(docsAddLabels, s.addLabels)))
	mux.HandleFunc("POST /repos/{owner}/{repo}/issues/{number}/comments", s.repoRoute(docsCreateComment, s.writeRoute(docsCreateComment, s.createComment)))
	// {name...} because go-github puts a label name into the path unescaped,
	// so a name such as "area/github" arrives as two segments.
	mux.HandleFunc("GET /repos/{owner}/{repo}/labels/{name...}", s.repoRoute(docsGetLabel, s.getLabel))
	mux.HandleFunc("POST /repos/{owner}/{repo}/labels", s.repoRoute(docsCreateLabel, s.writeRoute(docsCreateLabel, s.createLabel)))
	// GitHub answers 404, not 405, for a method a path does not have, and
	// this pattern matches every method, so ServeMux never answers 405.
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { notFound(w, docsRoot) })
	return mux
}

// repoRoute answers 404 for any repository but the one served, as GitHub
// does for repositories a token cannot see, and so for an installation's
// token outside the installation.
func (s *Server) repoRoute(docs string, h http.HandlerFunc) http.HandlerFunc {
	return apiRoute(func(w http.ResponseWriter, r *http.Request) {
		owner, repo := r.PathValue("owner"), r.PathValue("repo")
		if !strings.EqualFold(owner, s.opts.Owner) || !strings.EqualFold(repo, s.opts.Repo) {
			notFound(w, docs)
			return
		}
		if in := callerOf(r).inst; in != nil && !in.covers(owner, repo) {
			notFound(w, docs)
			return
		}
		h(w, r)
	})
}

// writeRoute refuses writes for a read-only token with GitHub's answer to a
// fine-grained token that lacks the permission.
func (s *Server) writeRoute(docs string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.opts.ReadOnly {
			msg := "Resource not accessible by personal access token"
			if callerOf(r).inst != nil {
				msg = msgNotByIntegration
			}
			writeError(w, http.StatusForbidden, msg, docs)
			return
		}
		h(w, r)
	}
}

func (s *Server) getRateLimit(w http.ResponseWriter, _ *http.Request) {
	used, reset := s.rate()
	core := wireRate{Limit: s.opts.RateLimit, Remaining: s.opts.RateLimit - used, Reset: reset.Unix(), Used: used, Resource: "core"}
	writeJSON(w, http.StatusOK, map[string]any{
		"resources": map[string]wireRate{"core": core},
		"rate":      core,
	})
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	if callerOf(r).inst != nil {
		// An installation is no user: GitHub refuses GET /user.
		writeError(w, http.StatusForbidden, msgNotByIntegration, "https://docs.github.com/rest/users/users#get-the-authenticated-user")
		return
	}
	writeJSON(w, http.StatusOK, s.user(apiBase(r), s.opts.Login, tokenUserID, "User"))
}

func (s *Server) getRepo(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	out := s.wireRepoLocked(apiBase(r))
	s.mu.Unlock()
	if callerOf(r).inst == nil {
		out.Permissions = &wirePermissions{
			Admin:    !s.opts.ReadOnly,
			Maintain: !s.opts.ReadOnly,
			Push:     !s.opts.ReadOnly,
			Triage:   !s.opts.ReadOnly,
			Pull:     true,
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// wireRepoLocked renders the repository without the caller's permissions,
// as webhook payloads carry it; the caller holds s.mu.
func (s *Server) wireRepoLocked(base string) wireRepository {
	open := 0
	for _, is := range s.issues {
		if is != nil && is.state == "open" {
			open++
		}
	}
	repoURL := s.repoAPIURL(base)
	return wireRepository{
		ID:            repoID,
		NodeID:        fmt.Sprintf("R_standin%d", repoID),
		Name:          s.opts.Repo,
		FullName:      s.opts.Owner + "/" + s.opts.Repo,
		Owner:         s.user(base, s.opts.Owner, ownerID, "Organization"),
		Private:       true,
		HTMLURL:       githubWebBaseURL + s.opts.Owner + "/" + s.opts.Repo,
		URL:           repoURL,
		IssuesURL:     repoURL + "/issues{/number}",
		LabelsURL:     repoURL + "/labels{/name}",
		DefaultBranch: "main",
		HasIssues:     !s.issuesDisabled.Load(),
		Visibility:    "private",
		OpenIssues:    open,
		CreatedAt:     "2024-01-01T00:00:00Z",
		UpdatedAt:     "2024-01-01T00:00:00Z",
	}
}

// labelName is one entry of an issue's "labels": GitHub accepts a name or an
// object with a name.
type labelName string

func (l *labelName) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err == nil {
		*l = labelName(name)
		return nil
	}
	var obj struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return fmt.Errorf("label: %w", err)
	}
	*l = labelName(obj.Name)
	return nil
}

type createIssueRequest struct {
	Title     *string     `json:"title"`
	Body      *string     `json:"body"`
	Labels    []labelName `json:"labels"`
	Assignees []string    `json:"assignees"`
}

type updateIssueRequest struct {
	Title       *string      `json:"title"`
	Body        *string      `json:"body"`
	State       *string      `json:"state"`
	StateReason *string      `json:"state_reason"`
	Labels      *[]labelName `json:"labels"`
}

type createCommentRequest struct {
	Body *string `json:"body"`
}

type createLabelRequest struct {
	Name        string `json:"name"`
	Color       string `json:"color"`
	Description string `json:"description"`
}

var errTrailingData = errors.New("trailing data after JSON value")

// decodeBody reads one JSON object from the request body, answering 400
// Problems parsing JSON, as GitHub does, when it cannot.
func decodeBody(w http.ResponseWriter, r *http.Request, docs string, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBody))
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errTrailingData
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "Problems parsing JSON", docs)
		return false
	}
	return true
}

func checkTitle(resource string, title *string, required bool) []wireFieldError {
	switch {
	case title == nil && !required:
		return nil
	case title == nil || strings.TrimSpace(*title) == "":
		return []wireFieldError{{Resource: resource, Code: "missing_field", Field: "title"}}
	case utf8.RuneCountInString(*title) > maxTitleChars:
		return []wireFieldError{{Resource: resource, Code: "custom", Field: "title",
			Message: fmt.Sprintf("title is too long (maximum is %d characters)", maxTitleChars)}}
	}
	return nil
}

func checkBody(resource string, body *string) []wireFieldError {
	if body != nil && utf8.RuneCountInString(*body) > maxBodyChars {
		return []wireFieldError{{Resource: resource, Code: "custom", Field: "body",
			Message: fmt.Sprintf("body is too long (maximum is %d characters)", maxBodyChars)}}
	}
	return nil
}

// issuesOff answers 410 when the repository's issues are turned off, as
// GitHub does, and reports whether it did.
func (s *Server) issuesOff(w http.ResponseWriter, docs string) bool {
	if !s.issuesDisabled.Load() {
		return false
	}
	writeError(w, http.StatusGone, "Issues are disabled for this repo", docs)
	return true
}

// issueGone answers 410 for a deleted issue, as GitHub does.
func issueGone(w http.ResponseWriter, docs string) {
	writeError(w, http.StatusGone, "This issue was deleted", docs)
}

func (s *Server) createIssue(w http.ResponseWriter, r *http.Request) {
	var req createIssueRequest
	if !decodeBody(w, r, docsCreateIssue, &req) {
		return
	}
	if s.issuesOff(w, docsCreateIssue) {
		return
	}
	if errs := append(checkTitle("Issue", req.Title, true), checkBody("Issue", req.Body)...); len(errs) > 0 {
		validationFailed(w, docsCreateIssue, errs...)
		return
	}
	if errs := s.checkAssignees(req.Assignees); len(errs) > 0 {
		validationFailed(w, docsCreateIssue, errs...)
		return
	}
	base := apiBase(r)
	s.mu.Lock()
	now := s.now()
	n := len(s.issues) + 1
	is := &issue{
		number:  n,
		user:    callerOf(r).login,
		id:      firstIssueID + int64(n),
		title:   *req.Title,
		body:    derefString(req.Body),
		state:   "open",
		created: now,
		updated: now,
	}
	for _, name := range req.Labels {
		// GitHub drops the labels of a token without push access
		// without a word: the issue is created, unlabelled.
		if name != "" && !s.dropLabels.Load() {
			is.labels = appendLabel(is.labels, s.labelLocked(string(name), "", ""))
		}
	}
	for _, login := range req.Assignees {
		if !slices.ContainsFunc(is.assignees, func(a string) bool { return strings.EqualFold(a, login) }) {
			is.assignees = append(is.assignees, login)
		}
	}
	s.issues = append(s.issues, is)
	out := s.wireIssueLocked(base, is)
	s.createHooksLocked(base, is, s.author(base, is.user))
	s.mu.Unlock()
	w.Header().Set("Location", out.URL)
	writeJSON(w, http.StatusCreated, out)
}

// checkAssignees refuses the logins Options.Assignable does not list, the
// way GitHub answers a create naming a user it cannot assign.
func (s *Server) checkAssignees(logins []string) []wireFieldError {
	if s.opts.Assignable == nil {
		return nil
	}
	var errs []wireFieldError
	for _, login := range logins {
		if !slices.ContainsFunc(s.opts.Assignable, func(a string) bool { return strings.EqualFold(a, login) }) {
			errs = append(errs, wireFieldError{Resource: "Issue", Field: "assignees", Code: "invalid", Value: login})
		}
	}
	return errs
}

func derefString(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// issueNumber parses the {number} path segment; anything but a positive
// integer names no issue.
func issueNumber(r *http.Request) int {
	n, err := strconv.Atoi(r.PathValue("number"))
	if err != nil || n < 1 {
		return 0
	}
	return n
}

func (s *Server) getIssue(w http.ResponseWriter, r *http.Request) {
	if s.issuesOff(w, docsGetIssue) {
		return
	}
	base := apiBase(r)
	is := s.lockIssue(w, r, docsGetIssue)
	if is == nil {
		return
	}
	out := s.wireIssueLocked(base, is)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) updateIssue(w http.ResponseWriter, r *http.Request) {
	var req updateIssueRequest
	if !decodeBody(w, r, docsUpdateIssue, &req) {
		return
	}
	errs := append(checkTitle("Issue", req.Title, false), checkBody("Issue", req.Body)...)
	if req.State != nil && *req.State != "open" && *req.State != "closed" {
		errs = append(errs, wireFieldError{Resource: "Issue", Code: "invalid", Field: "state"})
	}
	if req.StateReason != nil {
		switch *req.StateReason {
		case "completed", "not_planned", "reopened", "duplicate":
		default:
			errs = append(errs, wireFieldError{Resource: "Issue", Code: "invalid", Field: "state_reason"})
		}
	}
	if s.issuesOff(w, docsUpdateIssue) {
		return
	}
	base := apiBase(r)
	is := s.lockIssue(w, r, docsUpdateIssue)
	if is == nil {
		return
	}
	if len(errs) > 0 {
		s.mu.Unlock()
		validationFailed(w, docsUpdateIssue, errs...)
		return
	}
	now := s.now()
	was := before(is)
	if req.Title != nil {
		is.title = *req.Title
	}
	if req.Body != nil {
		is.body = *req.Body
	}
	if req.Labels != nil {
		is.labels = nil
		for _, name := range *req.Labels {
			if name != "" {
				is.labels = appendLabel(is.labels, s.labelLocked(string(name), "", ""))
			}
		}
	}
	reason := derefString(req.StateReason)
	switch {
	case req.State != nil && *req.State == "closed" && is.state == "open":
		is.state, is.stateReason = "closed", cmpOr(reason, "completed")
		is.closed, is.closedBy = now, callerOf(r).login
	case req.State != nil && *req.State == "open" && is.state == "closed":
		is.state, is.stateReason = "open", "reopened"
		is.closed, is.closedBy = time.Time{}, ""
	case reason != "" && is.state == "closed" && reason != "reopened":
		is.stateReason = reason
	}
	is.updated = now
	out := s.wireIssueLocked(base, is)
	s.updateHooksLocked(base, is, was, s.author(base, callerOf(r).login))
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) listIssues(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	state := cmpOr(q.Get("state"), "open")
	sortBy := cmpOr(q.Get("sort"), "created")
	direction := cmpOr(q.Get("direction"), "desc")
	var errs []wireFieldError
	invalid := func(field string) {
		errs = append(errs, wireFieldError{Resource: "Issue", Code: "invalid", Field: field})
	}
	if state != "open" && state != "closed" && state != "all" {
		invalid("state")
	}
	if sortBy != "created" && sortBy != "updated" && sortBy != "comments" {
		invalid("sort")
	}
	if direction != "asc" && direction != "desc" {
		invalid("direction")
	}
	since, ok := parseSince(q.Get("since"))
	if !ok {
		invalid("since")
	}
	if len(errs) > 0 {
		validationFailed(w, docsListIssues, errs...)
		return
	}
	if s.issuesOff(w, docsListIssues) {
		return
	}
	creator := q.Get("creator")
	var want []string
	for name := range strings.SplitSeq(q.Get("labels"), ",") {
		if name = strings.TrimSpace(name); name != "" {
			want = append(want, strings.ToLower(name))
		}
	}
	page, perPage := pageParams(q)

	base := apiBase(r)
	s.mu.Lock()
	var matched []*issue
	for _, is := range s.issues {
		if is != nil && !is.deleted && (state == "all" || is.state == state) && !is.updated.Before(since) && hasLabels(is, want) &&
			(creator == "" || strings.EqualFold(is.user, creator)) {
			matched = append(matched, is)
		}
	}
	slices.SortFunc(matched, func(a, b *issue) int {
		var c int
		switch sortBy {
		case "updated":
			c = a.updated.Compare(b.updated)
		case "comments":
			c = cmp.Compare(len(a.comments), len(b.comments))
		default:
			c = a.created.Compare(b.created)
		}
		// Timestamps have whole seconds; the number keeps ties in the
		// order the issues were made.
		c = cmp.Or(c, cmp.Compare(a.number, b.number))
		if direction == "desc" {
			return -c
		}
		return c
	})
	lo, hi := pageBounds(page, perPage, len(matched))
	out := make([]wireIssue, 0, hi-lo)
	for _, is := range matched[lo:hi] {
		out = append(out, s.wireIssueLocked(base, is))
	}
	s.mu.Unlock()
	setLink(w, r, page, perPage, len(matched))
	writeJSON(w, http.StatusOK, out)
}

func hasLabels(is *issue, want []string) bool {
	for _, name := range want {
		if !slices.ContainsFunc(is.labels, func(l *label) bool { return strings.ToLower(l.name) == name }) {
			return false
		}
	}
	return true
}

// parseSince reads GitHub's ISO 8601 "since"; empty means the beginning of
// time.
func parseSince(v string) (time.Time, bool) {
	if v == "" {
		return time.Time{}, true
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// pageParams reads page and per_page the forgiving way GitHub does: values
// out of range are clamped, not refused.
func pageParams(q url.Values) (page, perPage int) {
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page < 1 {
		page = 1
	}
	perPage, err = strconv.Atoi(q.Get("per_page"))
	if err != nil || perPage < 1 {
		perPage = defaultPer
	}
	return page, min(perPage, maxPer)
}

func pageBounds(page, perPage, total int) (lo, hi int) {
	if page-1 > total/perPage {
		return total, total
	}
	lo = min((page-1)*perPage, total)
	return lo, min(lo+perPage, total)
}

// setLink writes GitHub's Link header: prev and first once past page 1, next
// and last before the last page, each the request's own URL with another
// page.
func setLink(w http.ResponseWriter, r *http.Request, page, perPage, total int) {
	if total == 0 {
		return
	}
	last := (total + perPage - 1) / perPage
	var links []string
	add := func(p int, rel string) {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(p))
		u := apiBase(r) + strings.TrimPrefix(r.URL.Path, "/") + "?" + q.Encode()
		links = append(links, fmt.Sprintf("<%s>; rel=%q", u, rel))
	}
	if page > 1 {
		add(min(page-1, last), "prev")
	}
	if page < last {
		add(page+1, "next")
		add(last, "last")
	}
	if page > 1 {
		add(1, "first")
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
}

func (s *Server) createComment(w http.ResponseWriter, r *http.Request) {
	var req createCommentRequest
	if !decodeBody(w, r, docsCreateComment, &req) {
		return
	}
	var errs []wireFieldError
	if req.Body == nil || strings.TrimSpace(*req.Body) == "" {
		errs = append(errs, wireFieldError{Resource: "IssueComment", Code: "missing_field", Field: "body"})
	}
	errs = append(errs, checkBody("IssueComment", req.Body)...)
	if s.issuesOff(w, docsCreateComment) {
		return
	}
	base := apiBase(r)
	is := s.lockIssue(w, r, docsCreateComment)
	if is == nil {
		return
	}
	if len(errs) > 0 {
		s.mu.Unlock()
		validationFailed(w, docsCreateComment, errs...)
		return
	}
	now := s.now()
	c := &comment{id: s.nextCommentID, user: callerOf(r).login, body: *req.Body, created: now, updated: now}
	s.nextCommentID++
	is.comments = append(is.comments, c)
	is.updated = now
	out := s.wireComment(base, is, c)
	s.mu.Unlock()
	w.Header().Set("Location", out.URL)
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) listComments(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	since, ok := parseSince(q.Get("since"))
	if !ok {
		validationFailed(w, docsListComments, wireFieldError{Resource: "IssueComment", Code: "invalid", Field: "since"})
		return
	}
	page, perPage := pageParams(q)
	if s.issuesOff(w, docsListComments) {
		return
	}
	base := apiBase(r)
	is := s.lockIssue(w, r, docsListComments)
	if is == nil {
		return
	}
	var matched []*comment
	for _, c := range is.comments {
		if !c.updated.Before(since) {
			matched = append(matched, c)
		}
	}
	lo, hi := pageBounds(page, perPage, len(matched))
	out := make([]wireComment, 0, hi-lo)
	for _, c := range matched[lo:hi] {
		out = append(out, s.wireComment(base, is, c))
	}
	s.mu.Unlock()
	setLink(w, r, page, perPage, len(matched))
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getLabel(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	l, ok := s.labels[strings.ToLower(r.PathValue("name"))]
	s.mu.Unlock()
	if !ok {
		notFound(w, docsGetLabel)
		return
	}
	writeJSON(w, http.StatusOK, s.wireLabel(apiBase(r), l))
}

func (s *Server) createLabel(w http.ResponseWriter, r *http.Request) {
	var req createLabelRequest
	if !decodeBody(w, r, docsCreateLabel, &req) {
		return
	}
	color := strings.TrimPrefix(req.Color, "#")
	switch {
	case strings.TrimSpace(req.Name) == "":
		validationFailed(w, docsCreateLabel, wireFieldError{Resource: "Label", Code: "missing_field", Field: "name"})
		return
	case color != "" && !isHexColor(color):
		validationFailed(w, docsCreateLabel, wireFieldError{Resource: "Label", Code: "invalid", Field: "color"})
		return
	}
	s.mu.Lock()
	if _, ok := s.labels[strings.ToLower(req.Name)]; ok {
		s.mu.Unlock()
		validationFailed(w, docsCreateLabel, wireFieldError{Resource: "Label", Code: "already_exists", Field: "name"})
		return
	}
	l := s.labelLocked(req.Name, color, req.Description)
	s.mu.Unlock()
	out := s.wireLabel(apiBase(r), l)
	w.Header().Set("Location", out.URL)
	writeJSON(w, http.StatusCreated, out)
}

func isHexColor(c string) bool {
	if len(c) != 6 {
		return false
	}
	for _, r := range c {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}

// lockIssue takes s.mu and returns the request's issue, or answers 404 or
// 410 (a deleted issue), releases the lock and returns nil.
func (s *Server) lockIssue(w http.ResponseWriter, r *http.Request, docs string) *issue {
	s.mu.Lock()
	is := s.issueLocked(issueNumber(r))
	if is != nil && !is.deleted {
		return is
	}
	s.mu.Unlock()
	if is == nil {
		notFound(w, docs)
	} else {
		issueGone(w, docs)
	}
	return nil
}

// addLabels is POST /repos/{owner}/{repo}/issues/{number}/labels, whose
// body is a list of names (as go-github sends it) or {"labels": [...]}:
// the issue's labels after.
func (s *Server) addLabels(w http.ResponseWriter, r *http.Request) {
	var req addLabelsRequest
	if !decodeBody(w, r, docsAddLabels, &req) {
		return
	}
	if s.issuesOff(w, docsAddLabels) {
		return
	}
	base := apiBase(r)
	is := s.lockIssue(w, r, docsAddLabels)
	if is == nil {
		return
	}
	was := before(is)
	for _, name := range req.Labels {
		if name == "" {
			continue
		}
		if l := s.labelLocked(string(name), "", ""); !slices.Contains(is.labels, l) {
			is.labels = append(is.labels, l)
		}
	}
	is.updated = s.now()
	out := s.wireIssueLocked(base, is).Labels
	s.updateHooksLocked(base, is, was, s.author(base, callerOf(r).login))
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// addLabelsRequest is the body of addLabels, in either of GitHub's forms.
type addLabelsRequest struct {
	Labels []labelName `json:"labels"`
}

func (a *addLabelsRequest) UnmarshalJSON(b []byte) error {
	if len(bytes.TrimSpace(b)) > 0 && bytes.TrimSpace(b)[0] == '[' {
		return json.Unmarshal(b, &a.Labels)
	}
	type plain addLabelsRequest
	return json.Unmarshal(b, (*plain)(a))
}
