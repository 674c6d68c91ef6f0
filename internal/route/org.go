package route

import (
	"net/url"
	"strings"

	"booty/internal/alert"
)

// Org returns the slug of the Sentry organisation a belongs to, or "" when
// its links do not say. The Alert has no organisation field yet, so it is
// read from the Sentry links the parser kept: a path
// /organizations/SLUG/... (sentry.io's older links and self-hosted Sentry),
// else a host SLUG.sentry.io (the organisation's own domain). The parser
// may provide the organisation itself later, from the payload's API URL;
// this is then the place to read it.
func Org(a *alert.Alert) string {
	for _, s := range []string{a.IssueURL, a.EventURL} {
		if slug := orgFromURL(s); slug != "" {
			return slug
		}
	}
	return ""
}

// notOrgHosts are sentry.io subdomains that name a region or a service,
// not an organisation.
var notOrgHosts = map[string]bool{"www": true, "us": true, "de": true, "eu": true, "api": true, "docs": true}

func orgFromURL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	for i := 0; i+1 < len(segs); i++ {
		if segs[i] == "organizations" && validSlug(segs[i+1]) {
			return segs[i+1]
		}
	}
	host := strings.ToLower(u.Hostname())
	if sub, ok := strings.CutSuffix(host, ".sentry.io"); ok && !strings.Contains(sub, ".") && !notOrgHosts[sub] && validSlug(sub) {
		return sub
	}
	return ""
}

// validSlug reports whether s can be a Sentry organisation slug: lower-case
// letters, digits, hyphens and underscores, at most 50 of them.
func validSlug(s string) bool {
	if s == "" || len(s) > 50 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
