package sentryapi

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultBaseURL is Sentry's SaaS address, for a Config without BaseURL.
const DefaultBaseURL = "https://sentry.io/"

// DefaultTimeout bounds a call whose context has no deadline, so that a
// Sentry that never answers cannot hold a worker for good.
const DefaultTimeout = 30 * time.Second

// maxOrgSlug is the longest organization slug Sentry allows.
const maxOrgSlug = 50

// Config says which Sentry booty talks to and as whom.
type Config struct {
	// BaseURL is Sentry's address: https://sentry.io/ (the default when
	// empty) or a self-hosted Sentry's, which may have a path prefix. A
	// trailing "api/0/" is dropped, so the REST root pasted from Sentry's
	// docs works too. Plain http is allowed only for loopback hosts
	// (tests, a local Sentry).
	BaseURL string
	// Org is the organization's slug (or numeric id) as in Sentry's URLs.
	Org string
	// Token is an auth token with the event:write scope (an internal
	// integration's token or a user auth token). It is sent as
	// "Authorization: Bearer"; no error or log line ever holds it.
	Token string
	// HTTPClient makes the calls; nil means a client of its own over
	// http.DefaultTransport. Its redirect policy is replaced: a redirect
	// is never followed (Go would turn the PUT into a GET).
	HTTPClient *http.Client
	// UserAgent is sent with every call; empty means "booty".
	UserAgent string
	// Now is the clock that turns a Retry-After date or a rate limit reset
	// into a wait; nil means time.Now.
	Now func() time.Time
}

// String describes c without its token, so that printing a Config by
// mistake leaks nothing.
func (c Config) String() string {
	token := "unset"
	if c.Token != "" {
		token = "set"
	}
	return fmt.Sprintf("sentryapi.Config{BaseURL: %q, Org: %q, Token: %s}", c.BaseURL, c.Org, token)
}

// GoString is String, for %#v.
func (c Config) GoString() string { return c.String() }

// ErrConfig is wrapped by every error New returns, and by UpdateStatus's
// for a Status it does not know: a mistake in booty, not in Sentry.
var ErrConfig = errors.New("sentry api config")

// baseURL checks raw and returns it with exactly one trailing slash and
// without a trailing "api/0/".
func baseURL(raw string) (*url.URL, error) {
	if strings.TrimSpace(raw) == "" {
		raw = DefaultBaseURL
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: base URL is not a URL", ErrConfig)
	}
	switch {
	case u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("%w: base URL %q has no host", ErrConfig, raw)
	case u.User != nil:
		// Credentials go in Token; a URL with them would end up in errors.
		return nil, fmt.Errorf("%w: base URL must not hold credentials", ErrConfig)
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return nil, fmt.Errorf("%w: base URL %q must not have a query or fragment", ErrConfig, u.Redacted())
	case u.Scheme == "https":
	case u.Scheme == "http" && loopback(u.Hostname()):
	case u.Scheme == "http":
		return nil, fmt.Errorf("%w: base URL %q must use https (http only for loopback hosts)", ErrConfig, u.Redacted())
	default:
		return nil, fmt.Errorf("%w: base URL %q must be an https URL", ErrConfig, u.Redacted())
	}
	p := strings.TrimRight(u.Path, "/")
	p = strings.TrimSuffix(p, "/api/0")
	u.Path = p + "/"
	u.RawPath = ""
	return u, nil
}

// loopback reports whether host is localhost or a loopback address.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkOrg reports whether org can be an organization slug or id: Sentry's
// slugs are lowercase letters, digits, "-" and "_", at most 50 long.
func checkOrg(org string) error {
	if org == "" {
		return fmt.Errorf("%w: organization slug is empty", ErrConfig)
	}
	if len(org) > maxOrgSlug {
		return fmt.Errorf("%w: organization slug is longer than %d characters", ErrConfig, maxOrgSlug)
	}
	for i := 0; i < len(org); i++ {
		switch c := org[i]; {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
		default:
			// %q of the slug is safe: it is not a secret, and it is
			// bounded above.
			return fmt.Errorf("%w: organization slug %q may hold only a-z, 0-9, - and _", ErrConfig, org)
		}
	}
	return nil
}

// checkToken rejects an empty token or one that cannot go into a header
// as it is. The error never quotes the token.
func checkToken(token string) error {
	if token == "" {
		return fmt.Errorf("%w: token is empty", ErrConfig)
	}
	for i := 0; i < len(token); i++ {
		if c := token[i]; c <= ' ' || c >= 0x7f {
			return fmt.Errorf("%w: token holds a space, control or non-ASCII character", ErrConfig)
		}
	}
	return nil
}
