package githubtest

import (
	"encoding/base64"
	"net/http"
	"net/http/cgi"
	"os/exec"
	"path/filepath"
	"strings"
)

// gitPathSuffix marks a request for the repository's git remote:
// /OWNER/REPO.git/…, as github.com serves it.
const gitPathSuffix = ".git/"

// isGitRequest reports whether r is for the git remote rather than the API.
func isGitRequest(r *http.Request) bool {
	owner, rest, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	return ok && owner != "" && strings.Contains(rest, gitPathSuffix) && !strings.HasPrefix(r.URL.Path, "/repos/")
}

// serveGit serves the git remote over git's smart HTTP protocol with the
// git CLI's own http-backend, so clones and pushes are git's real ones. It
// asks for the credentials the API takes, as HTTP Basic with the token as
// the password, which is how git sends an http.extraHeader of GitHub's
// form. After a push it sends pull_request synchronize for every open pull
// request whose branch moved.
func (s *Server) serveGit(w http.ResponseWriter, r *http.Request) {
	if s.opts.GitRoot == "" {
		notFound(w, docsRoot)
		return
	}
	owner, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	repo, _, _ := strings.Cut(rest, gitPathSuffix)
	if !strings.EqualFold(owner, s.opts.Owner) || !strings.EqualFold(repo, s.opts.Repo) {
		notFound(w, docsRoot)
		return
	}
	login, ok := s.gitCaller(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="GitHub"`)
		http.Error(w, "Invalid username or token.", http.StatusUnauthorized)
		return
	}
	git, err := exec.LookPath("git")
	if err != nil {
		http.Error(w, "git is not installed", http.StatusInternalServerError)
		return
	}
	// http-backend finds the repository under GIT_PROJECT_ROOT by the
	// request's path, and takes pushes from a caller REMOTE_USER names.
	r.URL.Path = "/" + s.opts.Owner + "/" + s.opts.Repo + ".git/" + strings.SplitN(rest, gitPathSuffix, 2)[1]
	h := &cgi.Handler{Path: git, Args: []string{"http-backend"}, Root: "/",
		Env: []string{"GIT_PROJECT_ROOT=" + s.opts.GitRoot, "GIT_HTTP_EXPORT_ALL=1", "REMOTE_USER=" + login,
			"GIT_CONFIG_NOSYSTEM=1", "HOME=" + s.opts.GitRoot}}
	push := r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/git-receive-pack")
	h.ServeHTTP(w, r)
	if push {
		s.pushed(apiBase(r), login)
	}
}

// gitCaller returns the login a git request's credentials belong to.
func (s *Server) gitCaller(r *http.Request) (string, bool) {
	if s.opts.Token == "" {
		return s.opts.Login, true
	}
	scheme, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "basic") {
		return "", false
	}
	raw, err := base64.StdEncoding.DecodeString(cred)
	if err != nil {
		return "", false
	}
	_, password, _ := strings.Cut(string(raw), ":")
	// The API's own check, as a bearer token: the token or an App
	// installation's.
	probe := r.Clone(r.Context())
	probe.Header = http.Header{"Authorization": {"token " + password}}
	c, status, _ := s.authenticate(probe)
	if status != 0 {
		return "", false
	}
	return c.login, true
}

// bareRepo is the path of the repository's git remote, "" without one.
func (s *Server) bareRepo() string {
	if s.opts.GitRoot == "" {
		return ""
	}
	return filepath.Join(s.opts.GitRoot, s.opts.Owner, s.opts.Repo+".git")
}

// headSHA is the commit branch points at in the git remote, "" when it
// has no such branch or the stand-in has no remote.
func (s *Server) headSHA(branch string) string {
	dir := s.bareRepo()
	if dir == "" {
		return ""
	}
	cmd := exec.Command("git", "rev-parse", "--verify", "--quiet", "refs/heads/"+branch)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "GIT_CONFIG_NOSYSTEM=1", "HOME=" + dir}
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// pushed sends synchronize for the open pull requests whose branch a push
// by login moved, as GitHub does.
func (s *Server) pushed(base, login string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.pulls {
		pr := &s.pulls[i]
		if pr.State != "open" {
			continue
		}
		sha := s.headSHA(pr.Head)
		if sha == "" || sha == pr.HeadSHA {
			continue
		}
		before := pr.HeadSHA
		pr.HeadSHA = sha
		s.pullHookLocked(base, "synchronize", *pr, s.author(base, login), before)
	}
}

// hasCommit reports whether the git remote holds commit sha.
func (s *Server) hasCommit(sha string) bool {
	cmd := exec.Command("git", "cat-file", "-e", sha+"^{commit}")
	cmd.Dir = s.bareRepo()
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "GIT_CONFIG_NOSYSTEM=1", "HOME=" + cmd.Dir}
	return cmd.Run() == nil
}
