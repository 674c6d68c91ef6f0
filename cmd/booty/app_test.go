package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"booty/internal/githubtest"
)

const (
	testAppID   = 31337
	testAppSlug = "booty-e2e"
)

// appStandin starts a GitHub stand-in for acme/shop that serves the tests'
// GitHub App, installed on acme, and accepts no plain token.
func appStandin(t *testing.T) *githubtest.Server {
	t.Helper()
	return githubtest.NewServer(t, githubtest.Options{
		Token: "ghp_no_token_is_used_with_the_app_000", Owner: "acme", Repo: "shop",
		App: &githubtest.App{ID: testAppID, Slug: testAppSlug, PublicKey: &githubtest.AppKey(t).PublicKey},
	})
}

// appKeyFile writes key as GitHub hands an App's private key out, to a
// file for GITHUB_APP_PRIVATE_KEY_FILE.
func appKeyFile(t *testing.T, pemKey string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "app.pem")
	if err := os.WriteFile(path, []byte(pemKey), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestServeAsGitHubApp runs the built booty with a GitHub App's id and key
// file instead of a token: an alert becomes one issue authored by the
// App's bot, the marker lookup of a second problem finds the first's issue
// only by its own key, and deep health checks the App's access. Neither
// the key nor a token reaches the log.
func TestServeAsGitHubApp(t *testing.T) {
	t.Parallel()
	gh := appStandin(t)
	pemKey := githubtest.PKCS1PEM(githubtest.AppKey(t))
	env := []string{
		"SENTRY_WEBHOOK_SECRET=" + testSecret,
		"GITHUB_APP_ID=" + strconv.Itoa(testAppID),
		"GITHUB_APP_PRIVATE_KEY_FILE=" + appKeyFile(t, pemKey),
		"TARGET_REPO_URL=acme/shop",
		"GITHUB_API_URL=" + gh.URL,
		"BOOTY_DATABASE_URL=sqlite:" + filepath.Join(t.TempDir(), "booty.db"),
		"GITHUB_WRITE_INTERVAL=0",
		"BOOTY_LOG_FORMAT=json",
	}
	p := startBooty(t, env, "")
	defer p.stop(t)

	if got := deliver(t, p.url, "event_alert", fixture(t, "event_alert.triggered.json"), testSecret); got.Status != http.StatusAccepted {
		t.Fatalf("delivery: %d %s, want 202", got.Status, got.RawBody)
	}
	waitJobsDone(t, p, 20*time.Second)
	issues := gh.Issues()
	if len(issues) != 1 {
		t.Fatalf("got %d issues, want 1; logs:\n%s", len(issues), p.logs)
	}
	if is := issues[0]; is.User != testAppSlug+"[bot]" || !strings.Contains(is.Body, "<!-- booty:problem=") {
		t.Errorf("issue by %q, want one by %s[bot] with booty's marker:\n%s", is.User, testAppSlug, is.Body)
	}
	// The worker looked its marker up among the bot's issues, and never
	// asked GET /user, which GitHub refuses an installation.
	if n := gh.Count("GET", "/user"); n != 0 {
		t.Errorf("GET /user: %d calls, want none", n)
	}
	if n := gh.Count("GET", "/app"); n != 1 {
		t.Errorf("GET /app: %d calls, want 1 (the slug is kept)", n)
	}

	resp, err := http.Get(p.url + "/health?deep=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/health?deep=1: %d, want 200", resp.StatusCode)
	}
	logs := p.logs.String()
	if !strings.Contains(logs, "filing as a GitHub App") || !strings.Contains(logs, "GitHub access check ok") {
		t.Errorf("the log does not say booty files as the App and may:\n%s", logs)
	}
	for _, secret := range []string{"PRIVATE KEY", pemKey[40:80], "ghs_", "eyJ"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds a secret (%q)", secret)
		}
	}
}

// TestCheckConfigGitHubApp: check-config --github checks the App's access
// to the target repository and says clearly when it has none.
func TestCheckConfigGitHubApp(t *testing.T) {
	t.Parallel()
	gh := appStandin(t)
	good := githubtest.PKCS1PEM(githubtest.AppKey(t))
	tests := []struct {
		name     string
		id       int
		key      string
		repo     string
		wantCode int
		want     string
	}{
		{"installed", testAppID, good, "acme/shop", 0, "github ok: the GitHub App 31337 may write issues to acme/shop"},
		{"PKCS#8 key", testAppID, githubtest.PKCS8PEM(githubtest.AppKey(t)), "acme/shop", 0, "github ok"},
		{"wrong key", testAppID, githubtest.PKCS1PEM(githubtest.OtherKey(t)), "acme/shop", 1, "check the app id and the private key"},
		{"wrong app id", 4, good, "acme/shop", 1, "A JSON web token could not be decoded"},
		{"not installed on the owner", testAppID, good, "globex/shop", 1, "not installed on the repository"},
		{"repository it cannot see", testAppID, good, "acme/other", 1, "404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"SENTRY_WEBHOOK_SECRET": testSecret, "GITHUB_APP_ID": strconv.Itoa(tt.id),
				"GITHUB_APP_PRIVATE_KEY": tt.key, "TARGET_REPO_URL": tt.repo, "GITHUB_API_URL": gh.URL}
			code, out, errOut := runBooty(t, env, "check-config", "--github")
			if code != tt.wantCode || !strings.Contains(out+errOut, tt.want) {
				t.Errorf("exit %d, want %d with %q; output:\n%s%s", code, tt.wantCode, tt.want, out, errOut)
			}
			if strings.Contains(out+errOut, tt.key[40:80]) || strings.Contains(out+errOut, "ghs_") {
				t.Errorf("a secret reached the output:\n%s%s", out, errOut)
			}
		})
	}
}
