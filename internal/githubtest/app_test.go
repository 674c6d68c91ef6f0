package githubtest_test

import (
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	jwt "github.com/golang-jwt/jwt/v4"
	gh "github.com/google/go-github/v92/github"

	"booty/internal/githubtest"
)

const testAppID = 424242

// setupApp starts a stand-in for acme/shop that also serves a GitHub App
// (key githubtest.AppKey) installed on acme, with clock as its time (the
// real time when nil).
func setupApp(t *testing.T, app githubtest.App, clock func() time.Time) *githubtest.Server {
	t.Helper()
	if app.ID == 0 {
		app.ID = testAppID
	}
	if app.PublicKey == nil {
		app.PublicKey = &githubtest.AppKey(t).PublicKey
	}
	return githubtest.NewServer(t, githubtest.Options{Token: testToken, Owner: owner, Repo: repo, App: &app, Now: clock})
}

// appJWT signs claims for the App as GitHub documents them: iss the App's
// id, iat and exp in whole seconds.
func appJWT(t *testing.T, key *rsa.PrivateKey, iss string, iat, exp time.Time) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.RegisteredClaims{
		Issuer:    iss,
		IssuedAt:  jwt.NewNumericDate(iat.Truncate(time.Second)),
		ExpiresAt: jwt.NewNumericDate(exp.Truncate(time.Second)),
	})
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func goodJWT(t *testing.T) string {
	t.Helper()
	now := time.Now()
	return appJWT(t, githubtest.AppKey(t), strconv.Itoa(testAppID), now.Add(-30*time.Second), now.Add(2*time.Minute))
}

func bearer(token string) http.Header { return http.Header{"Authorization": {"Bearer " + token}} }

// TestAppJWT checks the App's JWT as GitHub does: its signature with the
// App's public key, its issuer, and its times.
func TestAppJWT(t *testing.T) {
	t.Parallel()
	s := setupApp(t, githubtest.App{Slug: "booty-test"}, nil)
	id := strconv.Itoa(testAppID)
	signed := func(key *rsa.PrivateKey, iss string, iat, exp time.Duration) func(*testing.T) string {
		return func(t *testing.T) string {
			now := time.Now()
			return appJWT(t, key, iss, now.Add(iat), now.Add(exp))
		}
	}
	app, other := githubtest.AppKey(t), githubtest.OtherKey(t)
	tests := []struct {
		name   string
		token  func(*testing.T) string
		status int
		msg    string
	}{
		{"good", goodJWT, 200, ""},
		{"exp the full ten minutes away", signed(app, id, -time.Minute, 10*time.Minute), 200, ""},
		{"another key", signed(other, id, -time.Minute, time.Minute), 401, "A JSON web token could not be decoded"},
		{"another app id", signed(app, "1", -time.Minute, time.Minute), 401, "A JSON web token could not be decoded"},
		{"HS256", func(t *testing.T) string {
			now := time.Now()
			tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
				Issuer: id, IssuedAt: jwt.NewNumericDate(now.Add(-time.Minute)), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute)),
			}).SignedString([]byte("a shared secret"))
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}, 401, "A JSON web token could not be decoded"},
		{"not a JWT", func(*testing.T) string { return "a.b.c" }, 401, "A JSON web token could not be decoded"},
		{"the user's token", func(*testing.T) string { return testToken }, 401, "A JSON web token could not be decoded"},
		{"expired", signed(app, id, -5*time.Minute, -time.Minute), 401, "'Expiration time' claim ('exp') must be a numeric value"},
		{"exp too far", signed(app, id, -time.Minute, time.Hour), 401, "'Expiration time' claim ('exp') is too far in the future"},
		{"issued in the future", signed(app, id, time.Hour, time.Hour+time.Minute), 401, "'Issued at' claim ('iat')"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, body := raw(t, s, http.MethodGet, "/app", "", bearer(tt.token(t)))
			if resp.StatusCode != tt.status || !strings.Contains(body, tt.msg) {
				t.Fatalf("got %d %s, want %d %q", resp.StatusCode, body, tt.status, tt.msg)
			}
			if tt.status != 200 {
				return
			}
			var app gh.App
			if err := json.Unmarshal([]byte(body), &app); err != nil {
				t.Fatal(err)
			}
			if app.GetID() != testAppID || app.GetSlug() != "booty-test" {
				t.Errorf("GET /app: got id %d slug %q, want %d booty-test", app.GetID(), app.GetSlug(), testAppID)
			}
		})
	}
}

// TestAppInstallations finds an installation by repository, organisation
// and user, as the App.
func TestAppInstallations(t *testing.T) {
	t.Parallel()
	s := setupApp(t, githubtest.App{Installations: []githubtest.Installation{
		{ID: 11, Account: "acme"},
		{ID: 12, Account: "globex", Repositories: []string{"web"}},
		{ID: 13, Account: "octocat", User: true},
	}}, nil)
	jwtHeader := bearer(goodJWT(t))
	tests := []struct {
		path   string
		status int
		id     int64
		kind   string
	}{
		{"/repos/acme/shop/installation", 200, 11, "Organization"},
		{"/repos/ACME/anything/installation", 200, 11, "Organization"},
		{"/repos/globex/web/installation", 200, 12, "Organization"},
		{"/repos/globex/api/installation", 404, 0, ""},
		{"/repos/initech/app/installation", 404, 0, ""},
		{"/orgs/globex/installation", 200, 12, "Organization"},
		{"/orgs/octocat/installation", 404, 0, ""},
		{"/users/octocat/installation", 200, 13, "User"},
	}
	for _, tt := range tests {
		resp, body := raw(t, s, http.MethodGet, tt.path, "", jwtHeader)
		if resp.StatusCode != tt.status {
			t.Errorf("GET %s: got %d %s, want %d", tt.path, resp.StatusCode, body, tt.status)
			continue
		}
		if tt.status != 200 {
			continue
		}
		var in gh.Installation
		if err := json.Unmarshal([]byte(body), &in); err != nil {
			t.Fatal(err)
		}
		if in.GetID() != tt.id || in.GetAccount().GetType() != tt.kind || in.GetAppID() != testAppID ||
			!strings.HasSuffix(in.GetAccessTokensURL(), "/app/installations/"+strconv.FormatInt(tt.id, 10)+"/access_tokens") {
			t.Errorf("GET %s: got %s, want installation %d of a %s", tt.path, body, tt.id, tt.kind)
		}
	}
	// Only the App asks.
	if resp, body := raw(t, s, http.MethodGet, "/repos/acme/shop/installation", "", authHeader()); resp.StatusCode != 401 {
		t.Errorf("installation with the user's token: got %d %s, want 401", resp.StatusCode, body)
	}
	if resp, body := raw(t, s, http.MethodGet, "/repos/acme/shop/issues", "", jwtHeader); resp.StatusCode != 403 {
		t.Errorf("issues with the App's JWT: got %d %s, want 403", resp.StatusCode, body)
	}
}

// accessToken asks for installation id's token.
func accessToken(t *testing.T, s *githubtest.Server, id int64) *gh.InstallationToken {
	t.Helper()
	resp, body := raw(t, s, http.MethodPost, "/app/installations/"+strconv.FormatInt(id, 10)+"/access_tokens", "", bearer(goodJWT(t)))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("access token: got %d %s, want 201", resp.StatusCode, body)
	}
	var tok gh.InstallationToken
	if err := json.Unmarshal([]byte(body), &tok); err != nil {
		t.Fatal(err)
	}
	return &tok
}

// TestAppInstallationToken exchanges the App's JWT for an installation's
// token and uses it on the API: issues are the bot's, the token reaches
// only its installation's repositories, and it ends when it expires.
func TestAppInstallationToken(t *testing.T) {
	t.Parallel()
	// The real time, so that the JWTs signed with it pass, moved on by
	// ahead when the test lets the tokens expire.
	var ahead atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
	s := setupApp(t, githubtest.App{Slug: "booty-test", TokenLifetime: 10 * time.Minute, Installations: []githubtest.Installation{
		{ID: 11, Account: "acme"},
		{ID: 12, Account: "globex"},
	}}, now)

	before := time.Now().Truncate(time.Second)
	tok := accessToken(t, s, 11)
	if !strings.HasPrefix(tok.GetToken(), "ghs_") || len(tok.GetToken()) != 40 {
		t.Errorf("token %q, want ghs_ and 36 characters", tok.GetToken())
	}
	if got := tok.GetExpiresAt().Time; got.Before(before.Add(10*time.Minute)) || got.After(time.Now().Add(10*time.Minute)) {
		t.Errorf("expires_at %v, want ten minutes from %v", got, before)
	}
	if tok.GetPermissions().GetIssues() != "write" {
		t.Errorf("permissions %+v, want issues: write", tok.GetPermissions())
	}
	if resp, body := raw(t, s, http.MethodPost, "/app/installations/99/access_tokens", "", bearer(goodJWT(t))); resp.StatusCode != 404 {
		t.Errorf("token of an unknown installation: got %d %s, want 404", resp.StatusCode, body)
	}

	c := newClient(t, s, tok.GetToken())
	is := createIssue(t, c, "filed by the app")
	if got := is.GetUser(); got.GetLogin() != "booty-test[bot]" || got.GetType() != "Bot" {
		t.Errorf("issue author %q (%s), want booty-test[bot] (Bot)", got.GetLogin(), got.GetType())
	}
	if cm, _, err := c.Issues.CreateComment(t.Context(), owner, repo, is.GetNumber(), gh.IssueCommentRequest{Body: "by the app"}); err != nil || cm.GetUser().GetLogin() != "booty-test[bot]" {
		t.Errorf("comment: got %v by %q, want one by booty-test[bot]", err, cm.GetUser().GetLogin())
	}
	mine, _, err := c.Issues.ListByRepo(t.Context(), owner, repo, &gh.IssueListByRepoOptions{Creator: "booty-test[bot]", State: "all"})
	if err != nil || len(mine) != 1 {
		t.Errorf("issues by booty-test[bot]: got %d, %v, want 1", len(mine), err)
	}
	r, _, err := c.Repositories.Get(t.Context(), owner, repo)
	if err != nil || r.Permissions != nil {
		t.Errorf("repository: got %v, permissions %v, want no permissions for an installation token", err, r.GetPermissions())
	}
	_, _, err = c.Users.Get(t.Context(), "")
	if er := asErrorResponse(t, err, 403); !strings.Contains(er.Message, "Resource not accessible by integration") {
		t.Errorf("GET /user: %v, want GitHub's refusal for an integration", err)
	}

	// globex's token does not reach acme's repository.
	other := newClient(t, s, accessToken(t, s, 12).GetToken())
	if _, _, err := other.Repositories.Get(t.Context(), owner, repo); err == nil {
		t.Error("another installation's token read acme/shop")
	} else {
		asErrorResponse(t, err, 404)
	}

	ahead.Store(int64(10 * time.Minute))
	_, _, err = c.Repositories.Get(t.Context(), owner, repo)
	asErrorResponse(t, err, 401)
	if n := s.InstallationTokens(); n != 3 {
		t.Errorf("InstallationTokens: got %d, want 3", n)
	}
}

// TestWithoutApp: a stand-in without an App has no App endpoints.
func TestWithoutApp(t *testing.T) {
	t.Parallel()
	b := setup(t, githubtest.Options{})
	if resp, body := raw(t, b.srv, http.MethodGet, "/app", "", authHeader()); resp.StatusCode != 404 {
		t.Errorf("GET /app: got %d %s, want 404", resp.StatusCode, body)
	}
	if got := b.srv.BotLogin(); got != "" {
		t.Errorf("BotLogin: got %q, want none", got)
	}
}
