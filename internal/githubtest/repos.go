package githubtest

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Repos is a stand-in for several repositories behind one API URL, as
// booty sees GitHub when its routes file into more than one repository.
// Each repository is a Server of its own (its issues, labels, faults and
// requests); requests under /repos/OWNER/REPO go to that repository's
// Server, and everything else (GET /user, the App's endpoints, the
// /_standin/ controls) to the first.
type Repos struct {
	// URL is the base URL with a trailing slash, for GITHUB_API_URL.
	URL string

	first   *Server
	servers map[string]*Server
	ts      *httptest.Server
}

// NewRepos starts a stand-in for the repositories named "OWNER/REPO" on a
// loopback port, each served with opts (its Owner and Repo replaced), and
// closes it when the test ends.
func NewRepos(tb testing.TB, opts Options, repos ...string) *Repos {
	tb.Helper()
	rs, err := StartRepos(opts, repos...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(rs.Close)
	return rs
}

// StartRepos is NewRepos outside a test (the benchmark): the caller closes
// the stand-in.
func StartRepos(opts Options, repos ...string) (*Repos, error) {
	if len(repos) == 0 {
		return nil, errors.New("githubtest.NewRepos: no repository")
	}
	rs := &Repos{servers: make(map[string]*Server, len(repos))}
	for _, full := range repos {
		owner, name, ok := strings.Cut(full, "/")
		if !ok || owner == "" || name == "" {
			rs.closeServers()
			return nil, fmt.Errorf("githubtest.NewRepos: %q is not OWNER/REPO", full)
		}
		o := opts
		o.Owner, o.Repo = owner, name
		s := New(o)
		if rs.first == nil {
			rs.first = s
		}
		rs.servers[strings.ToLower(full)] = s
	}
	rs.ts = httptest.NewServer(http.HandlerFunc(rs.serve))
	rs.URL = rs.ts.URL + "/"
	for _, s := range rs.servers {
		s.URL = rs.URL
		s.peer = rs.Repo
	}
	return rs, nil
}

// Repo returns the Server of the repository "OWNER/REPO", or nil when it
// is not served.
func (rs *Repos) Repo(full string) *Server { return rs.servers[strings.ToLower(full)] }

// Close stops listening and closes every repository's Server.
func (rs *Repos) Close() {
	rs.closeServers()
	rs.ts.Close()
}

func (rs *Repos) closeServers() {
	for _, s := range rs.servers {
		s.Close()
	}
}

func (rs *Repos) serve(w http.ResponseWriter, r *http.Request) {
	s := rs.first
	if isGitRequest(r) {
		owner, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		repo, _, _ := strings.Cut(rest, gitPathSuffix)
		if t := rs.Repo(owner + "/" + repo); t != nil {
			s = t
		}
	} else if rest, ok := strings.CutPrefix(r.URL.Path, "/repos/"); ok {
		parts := strings.SplitN(rest, "/", 3)
		if len(parts) >= 2 {
			if t := rs.Repo(parts[0] + "/" + parts[1]); t != nil {
				s = t
			}
		}
	}
	s.Handler().ServeHTTP(w, r)
}
