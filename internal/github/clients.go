package github

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/bradleyfalzon/ghinstallation/v2"
	gh "github.com/google/go-github/v92/github"
	"golang.org/x/sync/singleflight"
)

// The errors of a GitHub App's authentication. Both are permanent: a
// person must fix the App's settings or booty's configuration.
var (
	// ErrAppCredentials: GitHub refused the App's JWT (a wrong app id or
	// private key, or a clock far off) or its installation's token (a
	// suspended installation).
	ErrAppCredentials = errors.New("GitHub refused the GitHub App's credentials (check the app id and the private key)")
	// ErrAppNotInstalled: the App is not installed on the repository's
	// owner, or its installation does not include the repository.
	ErrAppNotInstalled = errors.New("the GitHub App is not installed on the repository (install it on the owner, with access to the repository)")
)

// App is a GitHub App's credentials.
type App struct {
	// ID is the App's id, as its settings page shows it ("App ID").
	ID int64
	// Key is the App's private key.
	Key *rsa.PrivateKey
}

// Repo names one repository.
type Repo struct{ Owner, Name string }

func (r Repo) String() string { return r.Owner + "/" + r.Name }

// Clients hands out the Client of each repository booty files into, over
// one token or over a GitHub App's installation on each repository's
// owner, so that one booty files into repositories of several accounts.
// Each repository's Client is made once and kept; a Clients is safe for
// concurrent use.
type Clients struct {
	hc      *http.Client
	apiURL  string
	version string
	token   string
	app     *appAuth // nil with a token

	mu      sync.Mutex
	clients map[string]*Client
}

// NewTokenClients returns Clients that authenticate with token. hc carries
// the timeout and the instrumentation (NewTransport); apiURL is the REST
// API's base URL with a trailing slash.
func NewTokenClients(hc *http.Client, apiURL, token, version string) *Clients {
	return &Clients{hc: hc, apiURL: apiURL, version: version, token: token, clients: map[string]*Client{}}
}

// NewAppClients returns Clients that authenticate as app's installations,
// through the REST API at apiURL (GitHub Enterprise Server's too). hc
// carries the timeout and, in its Transport, the instrumentation every
// call goes through, token exchanges included.
func NewAppClients(hc *http.Client, apiURL string, app App, version string) (*Clients, error) {
	if app.ID <= 0 || app.Key == nil {
		return nil, errors.New("github app: an app id and a private key are needed")
	}
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	a := &appAuth{id: app.ID, key: app.Key, base: base, baseURL: strings.TrimSuffix(apiURL, "/"), byOwner: map[string]*ghinstallation.Transport{}}
	jwtClient := *hc
	jwtClient.Transport = a.appsTransport()
	api, err := gh.NewClient(gh.WithHTTPClient(&jwtClient), gh.WithURLs(&apiURL, &apiURL),
		gh.WithUserAgent("booty/"+version), gh.WithDisableRateLimitCheck())
	if err != nil {
		return nil, fmt.Errorf("github app client: %w", err)
	}
	a.api = api
	return &Clients{hc: hc, apiURL: apiURL, version: version, app: a, clients: map[string]*Client{}}, nil
}

// ClientFor returns the Client of owner/repo. It makes no call to GitHub:
// with an App, the installation is found on the Client's first call (and
// then kept for every repository of owner), so that booty starts while
// GitHub is away, and a failure to find it is the failure of that call,
// classified as any other (ErrAppNotInstalled and ErrAppCredentials are
// Permanent). ctx bounds no call today; it is there for the lookups a later
// version may make here.
func (cs *Clients) ClientFor(ctx context.Context, owner, repo string) (*Client, error) {
	key := strings.ToLower(owner + "/" + repo)
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if c := cs.clients[key]; c != nil {
		return c, nil
	}
	var (
		c   *Client
		err error
	)
	if cs.app == nil {
		c, err = NewClient(cs.hc, cs.apiURL, cs.token, owner, repo, cs.version)
	} else {
		hc := *cs.hc
		hc.Transport = &installationTransport{app: cs.app, owner: owner, repo: repo}
		c, err = newClient(&hc, cs.apiURL, "", owner, repo, cs.version)
		if c != nil {
			c.whoami = cs.app.botLogin
			c.gitToken = func(ctx context.Context) (string, error) {
				itr, err := cs.app.installation(ctx, owner, repo)
				if err != nil {
					return "", err
				}
				return itr.Token(ctx)
			}
		}
	}
	if err != nil {
		return nil, err
	}
	cs.clients[key] = c
	return c, nil
}

// CheckAccess verifies that booty may file issues in owner/repo: the
// token's access, or for an App its installation on the repository, its
// Issues permission, its bot's name and an installation token's access.
// Its errors leave the repository to the caller to name (Access does).
func (cs *Clients) CheckAccess(ctx context.Context, owner, repo string) error {
	if cs.app != nil {
		in, _, err := cs.app.api.Apps.GetRepositoryInstallation(ctx, owner, repo)
		if err != nil {
			return fmt.Errorf("find the GitHub App's installation: %w", cs.app.refused(err))
		}
		if p := in.GetPermissions().GetIssues(); p != "write" {
			return fmt.Errorf("the GitHub App may not write issues here (its Issues permission is %q): "+
				"give it Issues: read and write, and have the owner accept the change", cmpOr(p, "none"))
		}
		if _, err := cs.app.botLogin(ctx); err != nil {
			return err
		}
	}
	c, err := cs.ClientFor(ctx, owner, repo)
	if err != nil {
		return err
	}
	return c.CheckAccess(ctx)
}

// Access is the GitHub check of deep health: CheckAccess over every
// repository booty files into.
type Access struct {
	clients *Clients
	repos   []Repo
}

// NewAccess returns the check of repos through cs.
func NewAccess(cs *Clients, repos ...Repo) *Access { return &Access{clients: cs, repos: repos} }

// Repos returns the repositories checked.
func (a *Access) Repos() []Repo { return a.repos }

// CheckAccess checks each repository and names each that fails.
func (a *Access) CheckAccess(ctx context.Context) error {
	var errs []error
	for _, r := range a.repos {
		if err := a.clients.CheckAccess(ctx, r.Owner, r.Name); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r, err))
		}
	}
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return joinedErrors(errs)
}

// joinedErrors is errors.Join on one line, for health's JSON and logs.
type joinedErrors []error

func (es joinedErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

func (es joinedErrors) Unwrap() []error { return es }

// appAuth is a GitHub App's side of Clients: its JWT client and, per
// owner, the transport of its installation there.
type appAuth struct {
	id      int64
	key     *rsa.PrivateKey
	base    http.RoundTripper
	baseURL string
	// api calls GitHub as the App itself, with a JWT.
	api *gh.Client

	lookups singleflight.Group
	mu      sync.Mutex
	slug    string
	// byOwner holds one installation transport per owner (lower case),
	// each keeping its installation token until shortly before it
	// expires.
	byOwner map[string]*ghinstallation.Transport
}

// appsTransport returns a new transport that signs requests with the
// App's JWT. Each installation gets its own: ghinstallation writes to the
// AppsTransport under an installation's Transport whenever that renews its
// token, so a shared one would be written by several at once.
func (a *appAuth) appsTransport() *ghinstallation.AppsTransport {
	atr := ghinstallation.NewAppsTransportFromPrivateKey(a.base, a.id, a.key)
	atr.BaseURL = a.baseURL
	return atr
}

// botLogin returns the login the App's issues are authored by, SLUG[bot],
// asking GitHub for the slug once.
func (a *appAuth) botLogin(ctx context.Context) (string, error) {
	a.mu.Lock()
	slug := a.slug
	a.mu.Unlock()
	if slug != "" {
		return slug + "[bot]", nil
	}
	// Callers at startup (the identity, the recovery's listing) share one
	// call; the key cannot be an owner's, which share the group too.
	res, err, _ := a.lookups.Do("\x00app", func() (any, error) {
		app, _, err := a.api.Apps.Get(ctx, "")
		if err != nil {
			return nil, fmt.Errorf("get the GitHub App: %w", a.refused(err))
		}
		if app.GetSlug() == "" {
			return nil, fmt.Errorf("get the GitHub App: an answer without a slug: %w", ErrOutcomeUnknown)
		}
		a.mu.Lock()
		a.slug = app.GetSlug()
		a.mu.Unlock()
		return app.GetSlug(), nil
	})
	if err != nil {
		return "", err
	}
	return res.(string) + "[bot]", nil
}

// installation returns the transport of the App's installation on owner,
// finding the installation through owner/repo the first time. Concurrent
// callers for one owner share one lookup.
func (a *appAuth) installation(ctx context.Context, owner, repo string) (*ghinstallation.Transport, error) {
	key := strings.ToLower(owner)
	a.mu.Lock()
	itr := a.byOwner[key]
	a.mu.Unlock()
	if itr != nil {
		return itr, nil
	}
	ch := a.lookups.DoChan(key, func() (any, error) {
		a.mu.Lock()
		itr := a.byOwner[key]
		a.mu.Unlock()
		if itr != nil {
			// Found by a lookup that ended since the check above.
			return itr, nil
		}
		// Not cancelled with the first caller: the others wait for it.
		// The JWT client's timeout bounds it.
		in, _, err := a.api.Apps.GetRepositoryInstallation(context.WithoutCancel(ctx), owner, repo)
		if err != nil {
			return nil, fmt.Errorf("find the GitHub App's installation for %s/%s: %w", owner, repo, a.refused(err))
		}
		itr = ghinstallation.NewFromAppsTransport(a.appsTransport(), in.GetID())
		a.mu.Lock()
		a.byOwner[key] = itr
		a.mu.Unlock()
		return itr, nil
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		return res.Val.(*ghinstallation.Transport), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// forget drops owner's installation transport when it is still itr, so
// that the next call looks the installation up again (the App was
// reinstalled under a new id).
func (a *appAuth) forget(owner string, itr *ghinstallation.Transport) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if key := strings.ToLower(owner); a.byOwner[key] == itr {
		delete(a.byOwner, key)
	}
}

// refused marks GitHub's refusal of a call made as the App: a 401 is
// ErrAppCredentials, a 404 ErrAppNotInstalled. Other errors pass through.
func (a *appAuth) refused(err error) error {
	switch statusOf(err) {
	case http.StatusUnauthorized:
		return fmt.Errorf("%w: %w", ErrAppCredentials, err)
	case http.StatusNotFound:
		return fmt.Errorf("%w: %w", ErrAppNotInstalled, err)
	}
	return err
}

// installationTransport authenticates one repository's requests as the
// App's installation on its owner.
type installationTransport struct {
	app         *appAuth
	owner, repo string
}

// RoundTrip sends r with the installation's token.
func (t *installationTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	itr, err := t.app.installation(r.Context(), t.owner, t.repo)
	if err != nil {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, err
	}
	resp, err := itr.RoundTrip(r)
	if err != nil {
		return nil, t.tokenFailed(itr, err)
	}
	return resp, nil
}

// tokenFailed explains a failed token exchange: GitHub's refusal becomes
// ErrAppCredentials or ErrAppNotInstalled with GitHub's message, and a 404
// (the installation was removed) forgets the installation. Other failures,
// a 5xx or no answer, pass through to be retried.
func (t *installationTransport) tokenFailed(itr *ghinstallation.Transport, err error) error {
	var he *ghinstallation.HTTPError
	if !errors.As(err, &he) || he.Response == nil {
		return err
	}
	resp := he.Response
	// ghinstallation leaves the answer open for its caller to read.
	defer resp.Body.Close()
	var body struct {
		Message string `json:"message"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 4<<10)).Decode(&body)
	msg := fmt.Sprintf("GitHub answered %s", resp.Status)
	if body.Message != "" {
		msg += ": " + body.Message
	}
	op := fmt.Sprintf("get an installation token for %s", t.owner)
	switch resp.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		return fmt.Errorf("%s: %w: %s", op, ErrAppCredentials, msg)
	case http.StatusNotFound:
		t.app.forget(t.owner, itr)
		return fmt.Errorf("%s: %w: %s", op, ErrAppNotInstalled, msg)
	}
	return fmt.Errorf("%s: %s", op, msg)
}

func cmpOr(v, fallback string) string {
	if v == "" {
		return fallback
	}
	return v
}
