// Package sentryapi is booty's client for the calls it makes back to
// Sentry's REST API: resolving an issue in the next release, archiving it
// until it escalates and reopening it, as the GitHub issue booty filed for
// it is closed or reopened.
//
// Every call is Sentry's documented "Update an Issue",
// PUT /api/0/organizations/{org}/issues/{issue_id}/. The older
// /api/0/issues/{issue_id}/ still answers but is no longer documented, and
// only the organization-scoped path lets sentry.io route the call to the
// organization's data region.
//
// Errors classify the way internal/github's do (Classify): retry network
// errors and 5xx, wait out a 429, park any other refusal. A 404 is
// ErrIssueGone. The token never appears in an error.
package sentryapi

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// defaultUserAgent names booty to Sentry when Config.UserAgent is empty.
const defaultUserAgent = "booty"

// Client calls Sentry's API for one organization. It is safe for
// concurrent use.
type Client struct {
	base  *url.URL
	org   string
	token string
	ua    string
	hc    *http.Client
	now   func() time.Time
}

// New checks cfg and returns a Client. Every error wraps ErrConfig and
// names what is wrong, never the token.
func New(cfg Config) (*Client, error) {
	base, err := baseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if err := checkOrg(cfg.Org); err != nil {
		return nil, err
	}
	if err := checkToken(cfg.Token); err != nil {
		return nil, err
	}
	hc := &http.Client{}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		hc = &c
	}
	// A redirect is an answer, not a detour: Go would follow a 301 or 302
	// with a GET and report the PUT a success.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c := &Client{base: base, org: cfg.Org, token: cfg.Token, ua: cfg.UserAgent, hc: hc, now: cfg.Now}
	if c.ua == "" {
		c.ua = defaultUserAgent
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// String describes c without its token.
func (c *Client) String() string {
	return fmt.Sprintf("sentryapi.Client{%s, org %s}", c.base.Redacted(), c.org)
}

// GoString is String, for %#v.
func (c *Client) GoString() string { return c.String() }

// ResolveInNextRelease resolves the issue as fixed in its project's next
// release. A project without releases refuses with ErrNoRelease; Resolve
// is the fallback.
func (c *Client) ResolveInNextRelease(ctx context.Context, issueID string) error {
	return c.UpdateStatus(ctx, issueID, ResolvedInNextRelease)
}

// Resolve resolves the issue now.
func (c *Client) Resolve(ctx context.Context, issueID string) error {
	return c.UpdateStatus(ctx, issueID, Resolved)
}

// ArchiveUntilEscalating archives the issue until Sentry sees it escalate.
func (c *Client) ArchiveUntilEscalating(ctx context.Context, issueID string) error {
	return c.UpdateStatus(ctx, issueID, ArchivedUntilEscalating)
}

// Unresolve reopens the issue.
func (c *Client) Unresolve(ctx context.Context, issueID string) error {
	return c.UpdateStatus(ctx, issueID, Unresolved)
}

// UpdateStatus makes the change s to the issue issueID (Sentry's numeric
// group id, as IssueIDFromKey returns it). The call ends with ctx; when ctx
// has no deadline it ends after DefaultTimeout. A failure is an *APIError
// for an answer Sentry gave, wraps ErrBadIssueID for an id that is not
// one, and is otherwise the transport's error (classified Retry). Each
// names the change and the issue.
func (c *Client) UpdateStatus(ctx context.Context, issueID string, s Status) (err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("sentry: %s issue %s: %w", s, printableID(issueID), err)
		}
	}()
	if !validIssueID(issueID) {
		return ErrBadIssueID
	}
	body, ok := s.body()
	if !ok {
		return fmt.Errorf("%w: unknown status change", ErrConfig)
	}
	if _, has := ctx.Deadline(); !has {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, c.issueURL(issueID), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.ua)
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return c.answer(resp)
}

// issueURL is the issue's "Update an Issue" URL. id and the slug need no
// escaping: both were checked to hold only unreserved characters.
func (c *Client) issueURL(id string) string {
	return c.base.String() + "api/0/organizations/" + c.org + "/issues/" + id + "/"
}

// answer turns Sentry's answer into nil or an *APIError, reading a bounded
// part of its body.
func (c *Client) answer(resp *http.Response) error {
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		// Read (a bounded part of) the updated issue only so the
		// connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxSuccessBody))
		return nil
	}
	if code >= 300 && code < 400 {
		return &APIError{Status: code, Detail: cleanDetail("redirected to "+resp.Header.Get("Location"), c.token)}
	}
	// A body cut short still says something; the status alone decides.
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	detail, noRelease := parseErrorBody(raw, c.token)
	e := &APIError{Status: code, Detail: detail, noRelease: noRelease && code == http.StatusBadRequest}
	if code == http.StatusTooManyRequests {
		e.RetryAfter = rateLimitWait(resp.Header, c.now())
	}
	return e
}

// printableID is id as an error may show it: bounded and quoted when it is
// not a plain id, since it may come from outside.
func printableID(id string) string {
	if validIssueID(id) {
		return id
	}
	if len(id) > 32 {
		id = id[:32] + "…"
	}
	return fmt.Sprintf("%q", id)
}
