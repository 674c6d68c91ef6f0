package githubtest

import (
	"net/http"
	"regexp"
	"time"
)

const (
	docsCreateStatus = "https://docs.github.com/rest/commits/statuses#create-a-commit-status"
	docsListStatuses = "https://docs.github.com/rest/commits/statuses#list-commit-statuses-for-a-reference"
)

// CommitStatus is a commit status the stand-in holds.
type CommitStatus struct {
	SHA         string    `json:"sha"`
	State       string    `json:"state"`
	Context     string    `json:"context"`
	Description string    `json:"description,omitempty"`
	TargetURL   string    `json:"target_url,omitempty"`
	Creator     string    `json:"creator"`
	At          time.Time `json:"created_at"`
}

// Statuses returns the statuses posted for commit sha, oldest first.
func (s *Server) Statuses(sha string) []CommitStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []CommitStatus
	for _, st := range s.statuses {
		if st.SHA == sha {
			out = append(out, st)
		}
	}
	return out
}

var fullSHA = regexp.MustCompile(`^[0-9a-f]{40}$`)

// maxStatusDescription is the longest description GitHub keeps.
const maxStatusDescription = 140

func (s *Server) createStatus(w http.ResponseWriter, r *http.Request) {
	var req struct {
		State       string `json:"state"`
		TargetURL   string `json:"target_url"`
		Description string `json:"description"`
		Context     string `json:"context"`
	}
	if !decodeBody(w, r, docsCreateStatus, &req) {
		return
	}
	sha := r.PathValue("sha")
	var errs []wireFieldError
	switch req.State {
	case "error", "failure", "pending", "success":
	default:
		errs = append(errs, wireFieldError{Resource: "Status", Code: "custom", Field: "state",
			Message: "state is not included in the list"})
	}
	if len([]rune(req.Description)) > maxStatusDescription {
		errs = append(errs, wireFieldError{Resource: "Status", Code: "custom", Field: "description",
			Message: "description is too long (maximum is 140 characters)"})
	}
	if !fullSHA.MatchString(sha) || (s.opts.GitRoot != "" && !s.hasCommit(sha)) {
		validationFailed(w, docsCreateStatus, wireFieldError{Resource: "Status", Code: "custom", Field: "sha",
			Message: "No commit found for SHA: " + sha})
		return
	}
	if len(errs) > 0 {
		validationFailed(w, docsCreateStatus, errs...)
		return
	}
	st := CommitStatus{SHA: sha, State: req.State, Context: cmpOr(req.Context, "default"), Description: req.Description,
		TargetURL: req.TargetURL, Creator: callerOf(r).login, At: s.now()}
	s.mu.Lock()
	s.statuses = append(s.statuses, st)
	id := int64(len(s.statuses))
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{"id": id, "state": st.State, "context": st.Context,
		"description": st.Description, "target_url": st.TargetURL, "created_at": stamp(st.At),
		"creator": s.author(apiBase(r), st.Creator)})
}

// listStatuses answers GET …/commits/{ref}/statuses, newest first, as
// GitHub lists them. ref must be a commit SHA here.
func (s *Server) listStatuses(w http.ResponseWriter, r *http.Request) {
	base := apiBase(r)
	sts := s.Statuses(r.PathValue("ref"))
	out := make([]map[string]any, 0, len(sts))
	for i := len(sts) - 1; i >= 0; i-- {
		st := sts[i]
		out = append(out, map[string]any{"id": i + 1, "state": st.State, "context": st.Context,
			"description": st.Description, "target_url": st.TargetURL, "created_at": stamp(st.At),
			"creator": s.author(base, st.Creator)})
	}
	writeJSON(w, http.StatusOK, out)
}
