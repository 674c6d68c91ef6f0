package main

import (
	"bufio"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	gh "github.com/google/go-github/v92/github"

	"booty/internal/github"
	"booty/internal/githubtest"
	"booty/internal/logtest"
)

const token = "ghp_integrationtoken"

type process struct {
	url    string
	stop   func() int
	stderr *logtest.Buffer
}

// start runs the command in-process as an operator would start it and
// returns once it has printed its URL.
func start(t *testing.T, args ...string) process {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	stderr := &logtest.Buffer{}
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, args, pw, stderr)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("reading the first line: %v (exit %d, stderr %s)", err, <-code, stderr)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	stopped := false
	p := process{url: strings.TrimSpace(line), stderr: stderr}
	p.stop = func() int {
		if stopped {
			return 0
		}
		stopped = true
		cancel()
		return <-code
	}
	t.Cleanup(func() { p.stop() })
	return p
}

func client(t *testing.T, base string) *gh.Client {
	t.Helper()
	c, err := gh.NewClient(gh.WithAuthToken(token), gh.WithURLs(&base, nil))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestServeAndKeepState(t *testing.T) {
	t.Parallel()
	statePath := filepath.Join(t.TempDir(), "standin.json")
	args := []string{"-listen", "127.0.0.1:0", "-token", token, "-repo", "acme/shop", "-state", statePath}

	p := start(t, args...)
	if !strings.HasPrefix(p.url, "http://127.0.0.1:") || !strings.HasSuffix(p.url, "/") {
		t.Fatalf("got first line %q, want http://127.0.0.1:PORT/", p.url)
	}
	c := client(t, p.url)
	if _, _, err := c.Issues.Create(t.Context(), "acme", "shop", gh.CreateIssueRequest{Title: "first", Labels: []string{"agent:builder"}}); err != nil {
		t.Fatal(err)
	}

	// A fault injected through the control endpoint reaches the API.
	resp, err := http.Post(p.url+"_standin/fail", "application/json", strings.NewReader(`{"fault":"commit_then_fail","status":502}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /_standin/fail: got %d, want 200", resp.StatusCode)
	}
	_, _, err = c.Issues.Create(t.Context(), "acme", "shop", gh.CreateIssueRequest{Title: "committed"})
	var er *gh.ErrorResponse
	if !errors.As(err, &er) || er.Response.StatusCode != http.StatusBadGateway {
		t.Fatalf("got %v, want a 502 ErrorResponse", err)
	}

	resp, err = http.Get(p.url + "_standin/issues")
	if err != nil {
		t.Fatal(err)
	}
	var issues []githubtest.Issue
	err = json.NewDecoder(resp.Body).Decode(&issues)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(issues) != 2 || issues[1].Title != "committed" {
		t.Fatalf("got issues %+v, want first and committed", issues)
	}

	if code := p.stop(); code != 0 {
		t.Fatalf("got exit %d, want 0; stderr:\n%s", code, p.stderr)
	}
	if strings.Contains(p.stderr.String(), token) {
		t.Errorf("stderr shows the token:\n%s", p.stderr)
	}

	// A second run starts from the saved state.
	p2 := start(t, args...)
	c2 := client(t, p2.url)
	is, _, err := c2.Issues.Get(t.Context(), "acme", "shop", 1)
	if err != nil {
		t.Fatal(err)
	}
	if is.GetTitle() != "first" || len(is.Labels) != 1 || is.Labels[0].Name != "agent:builder" {
		t.Errorf("restored issue 1: got %q %v, want first [agent:builder]", is.GetTitle(), is.Labels)
	}
	next, _, err := c2.Issues.Create(t.Context(), "acme", "shop", gh.CreateIssueRequest{Title: "third"})
	if err != nil {
		t.Fatal(err)
	}
	if next.GetNumber() != 3 {
		t.Errorf("next number after restore: got %d, want 3", next.GetNumber())
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	corrupt := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(corrupt, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"no repo", []string{"-token", "t"}, 2},
		{"repo without owner", []string{"-repo", "shop"}, 2},
		{"repo with extra part", []string{"-repo", "a/b/c"}, 2},
		{"unknown flag", []string{"-repo", "a/b", "-bogus"}, 2},
		{"corrupt state", []string{"-repo", "a/b", "-state", corrupt}, 1},
		{"bad listen address", []string{"-repo", "a/b", "-listen", "256.0.0.1:bad"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr strings.Builder
			if got := run(t.Context(), tt.args, &stdout, &stderr); got != tt.want {
				t.Errorf("got exit %d, want %d; stderr:\n%s", got, tt.want, stderr.String())
			}
			if stdout.Len() != 0 {
				t.Errorf("got stdout %q, want nothing before a URL exists", stdout.String())
			}
		})
	}
}

func TestStateFileRoundTrip(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "s.json")
	want := state{
		Labels: []githubtest.Label{{Name: "agent:builder", Color: "0e8a16"}},
		Issues: []githubtest.Issue{{Number: 1, Title: "t", Labels: []string{"agent:builder"}, State: "open", Comments: []string{"c"}}},
	}
	if err := saveState(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := loadState(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}
	missing, err := loadState(filepath.Join(t.TempDir(), "absent.json"))
	if err != nil || len(missing.Issues) != 0 {
		t.Errorf("missing file: got %+v, %v; want empty state", missing, err)
	}
}

// TestHelp documents the control endpoints a person drives the stand-in
// with, and does nothing else.
func TestHelp(t *testing.T) {
	t.Parallel()
	var stdout, stderr strings.Builder
	if code := run(t.Context(), []string{"--help"}, &stdout, &stderr); code != 0 {
		t.Fatalf("--help: exit %d, want 0\n%s", code, stderr.String())
	}
	for _, want := range []string{"-repo", "GET    /_standin/issues", "/_standin/issues/{number}/close", "/_standin/fail", "late_commit", "drop-labels", "issues-disabled"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("--help lacks %q:\n%s", want, stderr.String())
		}
	}
	if stdout.Len() != 0 {
		t.Errorf("--help printed a URL: it must not serve: %q", stdout.String())
	}
	if code := run(t.Context(), []string{"-repo", "a/b", "extra"}, &stdout, &stderr); code != 2 {
		t.Errorf("extra argument: exit %d, want 2", code)
	}
}

// TestServeApp: with -app-id and -app-key the stand-in serves a GitHub App
// installed on the repository's owner and on -app-owners, and booty's
// App client files through it as the App's bot.
func TestServeApp(t *testing.T) {
	t.Parallel()
	key := githubtest.AppKey(t)
	dir := t.TempDir()
	private, public := filepath.Join(dir, "app.pem"), filepath.Join(dir, "app.pub")
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	for path, content := range map[string]string{
		private: githubtest.PKCS1PEM(key),
		public:  string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})),
	} {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, keyFile := range []string{private, public} {
		t.Run(filepath.Base(keyFile), func(t *testing.T) {
			t.Parallel()
			p := start(t, "-listen", "127.0.0.1:0", "-token", token, "-repo", "acme/shop",
				"-app-id", "99", "-app-key", keyFile, "-app-slug", "booty-dev", "-app-owners", "globex")
			cs, err := github.NewAppClients(&http.Client{}, p.url, github.App{ID: 99, Key: key}, "test")
			if err != nil {
				t.Fatal(err)
			}
			if err := cs.CheckAccess(t.Context(), "acme", "shop"); err != nil {
				t.Fatalf("CheckAccess acme/shop: %v", err)
			}
			c, err := cs.ClientFor(t.Context(), "acme", "shop")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.CreateIssue(t.Context(), "by the app", "body", nil); err != nil {
				t.Fatal(err)
			}
			if who, err := c.Creator(t.Context()); err != nil || who != "booty-dev[bot]" {
				t.Errorf("Creator: got %q, %v, want booty-dev[bot]", who, err)
			}
			// globex has an installation too (its repository is not served).
			err = cs.CheckAccess(t.Context(), "globex", "site")
			if err == nil || errors.Is(err, github.ErrAppNotInstalled) {
				t.Errorf("CheckAccess globex/site: got %v, want the repository's 404, not a missing installation", err)
			}
		})
	}
}

func TestAppUsageErrors(t *testing.T) {
	t.Parallel()
	notKey := filepath.Join(t.TempDir(), "not.pem")
	if err := os.WriteFile(notKey, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"-repo", "a/b", "-app-id", "5"},
		{"-repo", "a/b", "-app-key", notKey},
		{"-repo", "a/b", "-app-id", "5", "-app-key", notKey},
		{"-repo", "a/b", "-app-id", "5", "-app-key", filepath.Join(t.TempDir(), "missing.pem")},
	} {
		var stdout, stderr strings.Builder
		if got := run(t.Context(), args, &stdout, &stderr); got != 2 || !strings.Contains(stderr.String(), "-app-") {
			t.Errorf("%q: got exit %d, stderr %q, want 2 naming the -app- flag", args, got, stderr.String())
		}
	}
}
