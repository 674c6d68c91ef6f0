package github_test

import (
	"crypto/rsa"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"booty/internal/github"
	"booty/internal/githubtest"
)

const (
	appID   = 777001
	appSlug = "booty-test"
	appBot  = appSlug + "[bot]"
)

type appBundle struct {
	srv     *githubtest.Server
	clients *github.Clients
}

// setupApp starts a stand-in for acme/app that serves the App (slug
// booty-test, the key githubtest.AppKey) with the options of app, and
// returns it with Clients authenticating as the App with key (the App's
// own when nil).
func setupApp(t *testing.T, app githubtest.App, key *rsa.PrivateKey) appBundle {
	t.Helper()
	if app.ID == 0 {
		app.ID = appID
	}
	if app.Slug == "" {
		app.Slug = appSlug
	}
	app.PublicKey = &githubtest.AppKey(t).PublicKey
	srv := githubtest.NewServer(t, githubtest.Options{Token: clientToken, Owner: "acme", Repo: "app", App: &app})
	if key == nil {
		key = githubtest.AppKey(t)
	}
	return appBundle{srv: srv, clients: newAppClients(t, srv.URL, appID, key)}
}

func newAppClients(t *testing.T, apiURL string, id int64, key *rsa.PrivateKey) *github.Clients {
	t.Helper()
	cs, err := github.NewAppClients(&http.Client{Timeout: 10 * time.Second}, apiURL, github.App{ID: id, Key: key}, "test")
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func clientFor(t *testing.T, cs *github.Clients, owner, repo string) *github.Client {
	t.Helper()
	c, err := cs.ClientFor(t.Context(), owner, repo)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// noSecrets fails when err's text holds the App's private key, an
// installation token or a JWT.
func noSecrets(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	for _, s := range []string{"PRIVATE KEY", "ghs_", "eyJ", githubtest.PKCS1PEM(githubtest.AppKey(t))[40:80]} {
		if strings.Contains(msg, s) {
			t.Errorf("error holds a secret (%q): %s", s, msg)
		}
	}
}

// TestAppFilesAndFindsItsIssue creates an issue through the App: it is
// authored by the App's bot, and the marker lookup finds it again among
// the bot's issues. The installation is looked up once and its token
// fetched once for all the calls.
func TestAppFilesAndFindsItsIssue(t *testing.T) {
	t.Parallel()
	b := setupApp(t, githubtest.App{}, nil)
	c := clientFor(t, b.clients, "acme", "app")
	key := "sentry:4242"
	created, err := c.CreateIssue(t.Context(), "[error] TypeError — app.js:1", "body\n"+github.Marker(key), []string{"agent:builder"})
	if err != nil {
		t.Fatal(err)
	}
	is, _ := b.srv.Issue(created.Number)
	if is.User != appBot {
		t.Errorf("issue author: got %q, want %q", is.User, appBot)
	}
	if creator, err := c.Creator(t.Context()); err != nil || creator != appBot {
		t.Errorf("Creator: got %q, %v, want %q", creator, err, appBot)
	}
	found, err := c.FindIssues(t.Context(), key, time.Time{})
	if err != nil || !cmp.Equal([]int{created.Number}, numbers(found)) {
		t.Errorf("FindIssues: got %v, %v, want [%d]", numbers(found), err, created.Number)
	}
	if err := c.Comment(t.Context(), created.Number, "again"); err != nil {
		t.Fatal(err)
	}
	if err := b.clients.CheckAccess(t.Context(), "acme", "app"); err != nil {
		t.Errorf("CheckAccess: %v", err)
	}
	if again := clientFor(t, b.clients, "ACME", "App"); again != c {
		t.Error("ClientFor made a second client for the same repository")
	}
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{"POST", "/app/installations/*/access_tokens", 1},
		{"GET", "/app", 1},
		{"GET", "/user", 0},
	} {
		if n := b.srv.Count(tc.method, tc.path); n != tc.want {
			t.Errorf("%s %s: got %d calls, want %d", tc.method, tc.path, n, tc.want)
		}
	}
	// One lookup for the calls, one by CheckAccess, which asks afresh.
	if n := b.srv.Count("GET", "/repos/acme/app/installation"); n != 2 {
		t.Errorf("installation lookups: got %d, want 2", n)
	}
}

// TestAppOneInstallationPerOwner: the repositories of one owner share its
// installation and token, each owner has its own, and concurrent first
// calls make one lookup and one token exchange per owner.
func TestAppOneInstallationPerOwner(t *testing.T) {
	t.Parallel()
	b := setupApp(t, githubtest.App{Installations: []githubtest.Installation{
		{ID: 11, Account: "acme"},
		{ID: 12, Account: "globex", User: true},
	}}, nil)
	clients := []*github.Client{
		clientFor(t, b.clients, "acme", "app"),
		clientFor(t, b.clients, "acme", "web"),
		clientFor(t, b.clients, "globex", "site"),
	}
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			// The stand-in serves acme/app alone: the others answer 404,
			// after their installation's token was fetched.
			_, _ = clients[i%len(clients)].Issue(t.Context(), 1)
		})
	}
	wg.Wait()
	if n := b.srv.InstallationTokens(); n != 2 {
		t.Errorf("token exchanges: got %d, want 2 (one per owner)", n)
	}
	if n := b.srv.Count("GET", "/repos/*/*/installation"); n != 2 {
		t.Errorf("installation lookups: got %d, want 2 (one per owner)", n)
	}
}

// TestAppTokenRefresh: a token is kept while it lasts and renewed shortly
// before it expires. A lifetime under ghinstallation's minute of margin
// makes every call one that comes shortly before expiry, without a sleep.
func TestAppTokenRefresh(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		lifetime time.Duration
		want     int
	}{
		{"an hour: kept", time.Hour, 1},
		{"about to expire: renewed each call", 30 * time.Second, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setupApp(t, githubtest.App{TokenLifetime: tc.lifetime}, nil)
			c := clientFor(t, b.clients, "acme", "app")
			for range 4 {
				if _, err := c.OwnIssues(t.Context(), time.Time{}); err != nil {
					t.Fatal(err)
				}
			}
			if n := b.srv.InstallationTokens(); n != tc.want {
				t.Errorf("token exchanges: got %d, want %d", n, tc.want)
			}
		})
	}
}

// TestAppRefused: bad credentials, a missing installation and a refused
// token exchange are clear, permanent errors that hold no secret.
func TestAppRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		app   githubtest.App
		key   *rsa.PrivateKey
		id    int64
		fault func(*githubtest.Server)
		want  error
		msg   string
	}{
		{name: "wrong private key", key: githubtest.OtherKey(t), want: github.ErrAppCredentials, msg: "A JSON web token could not be decoded"},
		{name: "wrong app id", id: 1, want: github.ErrAppCredentials, msg: "A JSON web token could not be decoded"},
		{name: "not installed on the owner", app: githubtest.App{Installations: []githubtest.Installation{{ID: 12, Account: "globex"}}},
			want: github.ErrAppNotInstalled, msg: "acme/app"},
		{name: "installation without the repository", app: githubtest.App{Installations: []githubtest.Installation{{ID: 11, Account: "acme", Repositories: []string{"web"}}}},
			want: github.ErrAppNotInstalled, msg: "404"},
		{name: "token refused", fault: func(s *githubtest.Server) {
			s.FailNextMatching("POST", "/app/installations/*/access_tokens", 1, githubtest.Status(403))
		}, want: github.ErrAppCredentials, msg: "403"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setupApp(t, tt.app, tt.key)
			if tt.id != 0 {
				b.clients = newAppClients(t, b.srv.URL, tt.id, githubtest.AppKey(t))
			}
			if tt.fault != nil {
				tt.fault(b.srv)
			}
			c := clientFor(t, b.clients, "acme", "app")
			_, err := c.CreateIssue(t.Context(), "t", "b", nil)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("CreateIssue: got %v, want %v with %q", err, tt.want, tt.msg)
			}
			if f := github.Classify(err, time.Now()); f.Class != github.Permanent {
				t.Errorf("Classify: got %v, want permanent", f.Class)
			}
			if errors.Is(err, github.ErrOutcomeUnknown) {
				t.Error("a create that was never sent is ErrOutcomeUnknown")
			}
			noSecrets(t, err)
			if tt.fault == nil {
				aerr := b.clients.CheckAccess(t.Context(), "acme", "app")
				if !errors.Is(aerr, tt.want) {
					t.Errorf("CheckAccess: got %v, want %v", aerr, tt.want)
				}
				noSecrets(t, aerr)
			}
			if n := len(b.srv.Issues()); n != 0 {
				t.Errorf("%d issues filed", n)
			}
		})
	}
}

// TestAppReinstalled: a token exchange answered 404 (the App was removed,
// perhaps installed again under a new id) forgets the installation, and
// the next call looks it up again.
func TestAppReinstalled(t *testing.T) {
	t.Parallel()
	b := setupApp(t, githubtest.App{}, nil)
	b.srv.FailNextMatching("POST", "/app/installations/*/access_tokens", 1, githubtest.Status(404))
	c := clientFor(t, b.clients, "acme", "app")
	if _, err := c.Issue(t.Context(), 1); !errors.Is(err, github.ErrAppNotInstalled) {
		t.Fatalf("first call: got %v, want ErrAppNotInstalled", err)
	}
	if _, err := c.CreateIssue(t.Context(), "t", "b", nil); err != nil {
		t.Fatalf("second call: %v", err)
	}
	if n := b.srv.Count("GET", "/repos/acme/app/installation"); n != 2 {
		t.Errorf("installation lookups: got %d, want 2", n)
	}
}

// TestAppTokenExchangeFailsTransiently: a 5xx on the token exchange is
// retried, not parked.
func TestAppTokenExchangeFailsTransiently(t *testing.T) {
	t.Parallel()
	b := setupApp(t, githubtest.App{}, nil)
	b.srv.FailNextMatching("POST", "/app/installations/*/access_tokens", 1, githubtest.Status(502))
	c := clientFor(t, b.clients, "acme", "app")
	_, err := c.Issue(t.Context(), 1)
	if f := github.Classify(err, time.Now()); err == nil || f.Class != github.Retry {
		t.Fatalf("got %v (%v), want a retried failure", err, f.Class)
	}
	if _, err := c.CreateIssue(t.Context(), "t", "b", nil); err != nil {
		t.Fatalf("next call: %v", err)
	}
}

// TestAppCheckAccessPermissions: an App without Issues write is told
// before it files anything.
func TestAppCheckAccessPermissions(t *testing.T) {
	t.Parallel()
	b := setupApp(t, githubtest.App{Permissions: map[string]string{"issues": "read", "metadata": "read"}}, nil)
	err := github.NewAccess(b.clients, github.Repo{Owner: "acme", Name: "app"}).CheckAccess(t.Context())
	if err == nil || !strings.Contains(err.Error(), "Issues permission") || !strings.HasPrefix(err.Error(), "acme/app: ") {
		t.Errorf("CheckAccess: got %v, want the repository and its missing Issues permission", err)
	}
}

// TestAccessNamesEachRepository checks every repository and says which
// failed.
func TestAccessNamesEachRepository(t *testing.T) {
	t.Parallel()
	b := setupApp(t, githubtest.App{}, nil)
	good := github.Repo{Owner: "acme", Name: "app"}
	access := github.NewAccess(b.clients, good, github.Repo{Owner: "acme", Name: "gone"}, github.Repo{Owner: "globex", Name: "web"})
	err := access.CheckAccess(t.Context())
	if err == nil {
		t.Fatal("CheckAccess passed with two unreachable repositories")
	}
	msg := err.Error()
	if strings.Contains(msg, "acme/app:") || !strings.Contains(msg, "acme/gone: ") || !strings.Contains(msg, "globex/web: ") {
		t.Errorf("CheckAccess: got %q, want acme/gone and globex/web named, acme/app not", msg)
	}
	if !errors.Is(err, github.ErrAppNotInstalled) {
		t.Errorf("CheckAccess: got %v, want ErrAppNotInstalled among the causes", err)
	}
	if err := github.NewAccess(b.clients, good).CheckAccess(t.Context()); err != nil {
		t.Errorf("CheckAccess of acme/app: %v", err)
	}
}

// TestAppEnterpriseServer: with GitHub Enterprise Server's /api/v3/ base
// URL, the App's own calls (installation, token exchange) go under it too.
func TestAppEnterpriseServer(t *testing.T) {
	t.Parallel()
	app := githubtest.App{ID: appID, Slug: appSlug, PublicKey: &githubtest.AppKey(t).PublicKey}
	standin := githubtest.New(githubtest.Options{Token: clientToken, Owner: "acme", Repo: "app", App: &app})
	t.Cleanup(standin.Close)
	var outside sync.Map
	mux := http.NewServeMux()
	mux.Handle("/api/v3/", http.StripPrefix("/api/v3", standin.Handler()))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		outside.Store(r.Method+" "+r.URL.Path, true)
		http.NotFound(w, r)
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)

	cs := newAppClients(t, ts.URL+"/api/v3/", appID, githubtest.AppKey(t))
	c := clientFor(t, cs, "acme", "app")
	if _, err := c.CreateIssue(t.Context(), "t", "body\n"+github.Marker("sentry:1"), nil); err != nil {
		t.Fatal(err)
	}
	if got, err := c.FindIssues(t.Context(), "sentry:1", time.Time{}); err != nil || len(got) != 1 {
		t.Errorf("FindIssues: got %v, %v, want the issue", numbers(got), err)
	}
	outside.Range(func(k, _ any) bool {
		t.Errorf("%s: called outside /api/v3/", k)
		return true
	})
	if n := standin.InstallationTokens(); n != 1 {
		t.Errorf("token exchanges under /api/v3/: got %d, want 1", n)
	}
}

// TestTokenClients: with a token, ClientFor makes one client per
// repository over the token, and the creator is the token's user.
func TestTokenClients(t *testing.T) {
	t.Parallel()
	srv := githubtest.NewServer(t, githubtest.Options{Token: clientToken, Owner: "acme", Repo: "app"})
	cs := github.NewTokenClients(&http.Client{Timeout: 10 * time.Second}, srv.URL, clientToken, "test")
	c := clientFor(t, cs, "acme", "app")
	if clientFor(t, cs, "acme", "APP") != c {
		t.Error("ClientFor made a second client for the same repository")
	}
	if clientFor(t, cs, "acme", "web") == c {
		t.Error("ClientFor gave two repositories one client")
	}
	if login, err := c.Creator(t.Context()); err != nil || login != githubtest.DefaultLogin {
		t.Errorf("Creator: got %q, %v, want %q", login, err, githubtest.DefaultLogin)
	}
	if err := github.NewAccess(cs, github.Repo{Owner: "acme", Name: "app"}).CheckAccess(t.Context()); err != nil {
		t.Errorf("CheckAccess: %v", err)
	}
}
