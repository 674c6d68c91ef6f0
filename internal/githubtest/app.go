package githubtest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	jwt "github.com/golang-jwt/jwt/v4"
)

// Defaults for the zero fields of App.
const (
	DefaultAppSlug        = "booty-standin"
	DefaultInstallationID = 60000001
	// DefaultTokenLifetime is how long GitHub's installation access tokens
	// last.
	DefaultTokenLifetime = time.Hour
)

// maxJWTLifetime is the furthest in the future GitHub lets an App's JWT
// expire.
const maxJWTLifetime = 10 * time.Minute

// GitHub's answers for the App endpoints.
const (
	docsGetApp          = "https://docs.github.com/rest/apps/apps#get-the-authenticated-app"
	docsRepoInstall     = "https://docs.github.com/rest/apps/apps#get-a-repository-installation-for-the-authenticated-app"
	docsOrgInstall      = "https://docs.github.com/rest/apps/apps#get-an-organization-installation-for-the-authenticated-app"
	docsUserInstall     = "https://docs.github.com/rest/apps/apps#get-a-user-installation-for-the-authenticated-app"
	docsAccessToken     = "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app"
	msgJWTUndecodable   = "A JSON web token could not be decoded"
	msgJWTExpired       = "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
	msgJWTTooFar        = "'Expiration time' claim ('exp') is too far in the future"
	msgJWTIssuedFuture  = "'Issued at' claim ('iat') must be an Integer representing a time in the past"
	msgNotByIntegration = "Resource not accessible by integration"
)

// App makes the stand-in also GitHub for a GitHub App: it verifies the
// App's JWTs with PublicKey, tells an installation's id for an account,
// hands out installation access tokens, and accepts those tokens on the
// API. Issues filed with them are authored by SLUG[bot].
//
// JWTs are checked against Options.Now, and clients sign them with the
// real time: leave Now nil for App tests.
type App struct {
	// ID is the App's id, the iss claim of its JWTs.
	ID int64
	// Slug is the App's name in URLs; its bot user is SLUG[bot]. Empty
	// means DefaultAppSlug.
	Slug string
	// PublicKey verifies the App's JWTs (RS256). Required.
	PublicKey *rsa.PublicKey
	// Installations are the accounts the App is installed on. Empty means
	// one, DefaultInstallationID, on Options.Owner with all its
	// repositories.
	Installations []Installation
	// TokenLifetime is how long an installation access token lasts: zero
	// means GitHub's hour. A client renews a token shortly before it
	// expires (ghinstallation a minute before), so a lifetime under that
	// makes it ask for a new token before every request.
	TokenLifetime time.Duration
	// Permissions are the App's, as GitHub names them ("issues": "write").
	// Nil means what booty asks for: Issues read and write, Metadata
	// read. The stand-in reports them and does not enforce them.
	Permissions map[string]string
}

// Installation is the App installed on one account.
type Installation struct {
	ID int64
	// Account is the login of the organisation or user.
	Account string
	// User says the account is a user's, not an organisation's.
	User bool
	// Repositories are the repositories of the account the installation
	// was given (repository_selection "selected"); empty means all of
	// them.
	Repositories []string
}

// covers reports whether the installation may see owner/repo.
func (in *Installation) covers(owner, repo string) bool {
	if !strings.EqualFold(in.Account, owner) {
		return false
	}
	return len(in.Repositories) == 0 || slices.ContainsFunc(in.Repositories, func(r string) bool { return strings.EqualFold(r, repo) })
}

func (in *Installation) accountType() string {
	if in.User {
		return "User"
	}
	return "Organization"
}

func (in *Installation) selection() string {
	if len(in.Repositories) == 0 {
		return "all"
	}
	return "selected"
}

// installToken is an installation access token the stand-in handed out.
type installToken struct {
	inst    *Installation
	expires time.Time
}

// caller is who made a request.
type caller struct {
	// login is the author of what the request creates.
	login string
	// app: the request carries the App's JWT.
	app bool
	// inst is the installation of an installation access token; nil for
	// the token's user.
	inst *Installation
}

type callerKey struct{}

func callerOf(r *http.Request) caller {
	c, _ := r.Context().Value(callerKey{}).(caller)
	return c
}

func (s *Server) setupApp() {
	a := s.opts.App
	if a == nil {
		return
	}
	if a.Slug == "" {
		a.Slug = DefaultAppSlug
	}
	if len(a.Installations) == 0 {
		a.Installations = []Installation{{ID: DefaultInstallationID, Account: s.opts.Owner}}
	}
	if a.TokenLifetime <= 0 {
		a.TokenLifetime = DefaultTokenLifetime
	}
	if a.Permissions == nil {
		a.Permissions = defaultPermissions
	}
	s.installTokens = make(map[string]installToken)
}

// BotLogin is the login of the App's bot user, SLUG[bot], or "" without an
// App.
func (s *Server) BotLogin() string {
	if s.opts.App == nil {
		return ""
	}
	return s.opts.App.Slug + "[bot]"
}

// authenticate tells who r is from. A non-zero status is the refusal to
// answer, with GitHub's message.
func (s *Server) authenticate(r *http.Request) (caller, int, string) {
	user := caller{login: s.opts.Login}
	scheme, cred, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	bearer := ok && (strings.EqualFold(scheme, "bearer") || strings.EqualFold(scheme, "token"))
	if s.opts.App != nil && bearer {
		if strings.Count(cred, ".") == 2 {
			if msg := s.verifyJWT(cred); msg != "" {
				return caller{}, http.StatusUnauthorized, msg
			}
			return caller{login: s.BotLogin(), app: true}, 0, ""
		}
		if strings.HasPrefix(cred, "ghs_") {
			s.tokenMu.Lock()
			t, known := s.installTokens[cred]
			s.tokenMu.Unlock()
			if !known || !s.now().Before(t.expires) {
				return caller{}, http.StatusUnauthorized, "Bad credentials"
			}
			return caller{login: s.BotLogin(), inst: t.inst}, 0, ""
		}
	}
	if s.opts.Token == "" || (bearer && cred == s.opts.Token) {
		return user, 0, ""
	}
	return caller{}, http.StatusUnauthorized, "Bad credentials"
}

// verifyJWT checks an App JWT as GitHub does and returns GitHub's refusal,
// or "" when it is good: signed RS256 by the App's key, issued by the App's
// id, issued in the past, and expiring in the next ten minutes.
func (s *Server) verifyJWT(token string) string {
	a := s.opts.App
	var claims jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return a.PublicKey, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithoutClaimsValidation())
	if err != nil || claims.Issuer != strconv.FormatInt(a.ID, 10) {
		return msgJWTUndecodable
	}
	now := s.now()
	switch {
	case claims.IssuedAt == nil || claims.IssuedAt.After(now):
		return msgJWTIssuedFuture
	case claims.ExpiresAt == nil || !claims.ExpiresAt.After(now):
		return msgJWTExpired
	case claims.ExpiresAt.Sub(now) > maxJWTLifetime:
		return msgJWTTooFar
	}
	return ""
}

// appRoute serves h to the App's JWT alone, and 404 when the stand-in has
// no App.
func (s *Server) appRoute(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.opts.App == nil {
			notFound(w, docsRoot)
			return
		}
		if !callerOf(r).app {
			writeError(w, http.StatusUnauthorized, msgJWTUndecodable, docsRoot)
			return
		}
		h(w, r)
	}
}

// apiRoute keeps the App's JWT off the rest of the API, as GitHub does: an
// App acts on repositories through an installation's token.
func apiRoute(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if callerOf(r).app {
			writeError(w, http.StatusForbidden, msgNotByIntegration, docsRoot)
			return
		}
		h(w, r)
	}
}

func (s *Server) appRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /app", s.appRoute(s.getApp))
	mux.HandleFunc("GET /repos/{owner}/{repo}/installation", s.appRoute(func(w http.ResponseWriter, r *http.Request) {
		s.findInstallation(w, r, docsRepoInstall, func(in *Installation) bool {
			return in.covers(r.PathValue("owner"), r.PathValue("repo"))
		})
	}))
	mux.HandleFunc("GET /orgs/{org}/installation", s.appRoute(func(w http.ResponseWriter, r *http.Request) {
		s.findInstallation(w, r, docsOrgInstall, func(in *Installation) bool {
			return !in.User && strings.EqualFold(in.Account, r.PathValue("org"))
		})
	}))
	mux.HandleFunc("GET /users/{user}/installation", s.appRoute(func(w http.ResponseWriter, r *http.Request) {
		s.findInstallation(w, r, docsUserInstall, func(in *Installation) bool {
			return strings.EqualFold(in.Account, r.PathValue("user"))
		})
	}))
	mux.HandleFunc("POST /app/installations/{id}/access_tokens", s.appRoute(s.createAccessToken))
}

// defaultPermissions are what booty asks for.
var defaultPermissions = map[string]string{"issues": "write", "metadata": "read"}

func (s *Server) getApp(w http.ResponseWriter, r *http.Request) {
	a := s.opts.App
	writeJSON(w, http.StatusOK, wireApp{
		ID:                 a.ID,
		Slug:               a.Slug,
		NodeID:             fmt.Sprintf("A_standin%d", a.ID),
		ClientID:           fmt.Sprintf("Iv1.standin%d", a.ID),
		Owner:              s.user(apiBase(r), s.opts.Owner, ownerID, "Organization"),
		Name:               a.Slug,
		HTMLURL:            githubWebBaseURL + "apps/" + a.Slug,
		CreatedAt:          "2024-01-01T00:00:00Z",
		UpdatedAt:          "2024-01-01T00:00:00Z",
		Permissions:        a.Permissions,
		Events:             []string{},
		InstallationsCount: len(a.Installations),
	})
}

func (s *Server) findInstallation(w http.ResponseWriter, r *http.Request, docs string, match func(*Installation) bool) {
	a := s.opts.App
	for i := range a.Installations {
		if in := &a.Installations[i]; match(in) {
			writeJSON(w, http.StatusOK, s.wireInstallation(apiBase(r), in))
			return
		}
	}
	notFound(w, docs)
}

func (s *Server) wireInstallation(base string, in *Installation) wireInstallation {
	a := s.opts.App
	account := s.user(base, in.Account, ownerID, in.accountType())
	if !strings.EqualFold(in.Account, s.opts.Owner) {
		account = s.author(base, in.Account)
		account.Type = in.accountType()
	}
	return wireInstallation{
		ID:                  in.ID,
		Account:             account,
		AccessTokensURL:     fmt.Sprintf("%sapp/installations/%d/access_tokens", base, in.ID),
		RepositoriesURL:     base + "installation/repositories",
		HTMLURL:             fmt.Sprintf("%sorganizations/%s/settings/installations/%d", githubWebBaseURL, in.Account, in.ID),
		AppID:               a.ID,
		AppSlug:             a.Slug,
		TargetID:            account.ID,
		TargetType:          in.accountType(),
		Permissions:         a.Permissions,
		Events:              []string{},
		RepositorySelection: in.selection(),
		CreatedAt:           "2024-01-01T00:00:00Z",
		UpdatedAt:           "2024-01-01T00:00:00Z",
	}
}

// accessTokenRequest is the optional body of a token request. The stand-in
// reads it to refuse what it cannot parse, and gives every token the
// installation's whole access.
type accessTokenRequest struct {
	Repositories  []string          `json:"repositories"`
	RepositoryIDs []int64           `json:"repository_ids"`
	Permissions   map[string]string `json:"permissions"`
}

func (s *Server) createAccessToken(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
		var req accessTokenRequest
		if !decodeBody(w, r, docsAccessToken, &req) {
			return
		}
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	a := s.opts.App
	var in *Installation
	for i := range a.Installations {
		if err == nil && a.Installations[i].ID == id {
			in = &a.Installations[i]
		}
	}
	if in == nil {
		notFound(w, docsAccessToken)
		return
	}
	token, err := newInstallToken()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "Server Error", docsAccessToken)
		return
	}
	now := s.now()
	expires := now.Add(a.TokenLifetime)
	s.tokenMu.Lock()
	for t, it := range s.installTokens {
		if !now.Before(it.expires) {
			delete(s.installTokens, t)
		}
	}
	s.installTokens[token] = installToken{inst: in, expires: expires}
	s.tokenMu.Unlock()
	writeJSON(w, http.StatusCreated, wireAccessToken{
		Token:               token,
		ExpiresAt:           stamp(expires),
		Permissions:         a.Permissions,
		RepositorySelection: in.selection(),
	})
}

// newInstallToken returns a token shaped like GitHub's: ghs_ and 36
// letters and digits.
func newInstallToken() (string, error) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := []byte("ghs_")
	for range 36 {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			return "", fmt.Errorf("installation token: %w", err)
		}
		b = append(b, alphabet[n.Int64()])
	}
	return string(b), nil
}

// InstallationTokens returns how many installation access tokens the
// stand-in has handed out.
func (s *Server) InstallationTokens() int {
	return s.Count(http.MethodPost, "/app/installations/*/access_tokens")
}

// ExpireInstallationTokens ends every installation access token handed out
// so far, as when GitHub revokes them; requests that carry one get 401.
func (s *Server) ExpireInstallationTokens() {
	s.tokenMu.Lock()
	defer s.tokenMu.Unlock()
	clear(s.installTokens)
}

// withCaller returns r carrying c, for the handlers.
func withCaller(r *http.Request, c caller) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), callerKey{}, c))
}
