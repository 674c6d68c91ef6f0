package web

import (
	"fmt"
	"strings"
	"time"

	"booty/internal/config"
	"booty/internal/store"
)

// FilterError is a filter the operator gave that booty cannot read: the
// CLI names it as a flag, the API answers 400.
type FilterError struct {
	// Field is the filter's name: state, repo, since, limit, offset, page.
	Field string
	Value string
	// Want says what would do.
	Want string
	// Prefix is put before Field in the message: "--" for a flag.
	Prefix string
}

// Error implements error.
func (e *FilterError) Error() string {
	return fmt.Sprintf("%s%s %q: want %s", e.Prefix, e.Field, e.Value, e.Want)
}

// Filter is the operator's selection of problems, as given.
type Filter struct {
	State, Repo, Route, Since, Search string
	// Limit is the most problems; 0 is all.
	Limit int
}

// StoreFilter turns f into the store's filter. A repository that is the
// default one also matches the problems stored without one.
func (f Filter) StoreFilter(links IssueLinks, now time.Time) (store.ProblemFilter, error) {
	sf := store.ProblemFilter{Route: strings.TrimSpace(f.Route), Search: f.Search, Limit: max(f.Limit, 0)}
	if state := strings.ToLower(strings.TrimSpace(f.State)); state != "" {
		sf.State = store.ProblemState(state)
		if state == "none" {
			sf.State = store.StatePending
		}
		if !validState(sf.State) {
			return sf, &FilterError{Field: "state", Value: state, Want: "pending, open, closed or folded"}
		}
	}
	if repo := strings.TrimSpace(f.Repo); repo != "" {
		owner, name, err := config.ParseRepo(repo)
		if err != nil {
			return sf, &FilterError{Field: "repo", Value: repo, Want: "OWNER/REPO"}
		}
		r := owner + "/" + name
		sf.Repos = []string{r}
		if strings.EqualFold(r, links.DefaultRepo) {
			sf.Repos = append(sf.Repos, "")
		}
	}
	var err error
	sf.Since, err = ParseSince(f.Since, now)
	return sf, err
}

func validState(s store.ProblemState) bool {
	for _, v := range store.ProblemStates() {
		if s == v {
			return true
		}
	}
	return false
}

// ParseSince reads a since filter: a Go duration back from now ("1h",
// "30m") or an RFC 3339 time. "" is no bound (the zero time).
func ParseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d <= 0 {
			return time.Time{}, &FilterError{Field: "since", Value: s, Want: "a positive duration"}
		}
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, &FilterError{Field: "since", Value: s,
		Want: "a duration such as 1h or 30m, or an RFC 3339 time such as 2026-01-02T15:04:05Z"}
}
