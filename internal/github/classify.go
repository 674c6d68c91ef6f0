package github

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	gh "github.com/google/go-github/v92/github"
)

// The adapter's sentinel errors. Every error a Client method returns wraps
// the cause; these say what it means for booty, so that the worker decides
// what to do with errors.Is in one place.
var (
	// ErrOutcomeUnknown: a write may or may not have been made (no answer,
	// a timeout, a 5xx, an answer cut short or too large, or a success
	// answer without an issue number). A create must look for its marker
	// before it is sent again.
	ErrOutcomeUnknown = errors.New("outcome unknown: GitHub may have made the change")
	// ErrIssueGone: GitHub answered 410 for an issue, and the repository
	// still has issues: someone deleted the issue.
	ErrIssueGone = errors.New("the issue was deleted")
	// ErrIssuesDisabled: GitHub answered 410 because the repository has
	// its issues turned off. Filing again would make a duplicate once they
	// are turned back on.
	ErrIssuesDisabled = errors.New("issues are disabled on the repository")
	// ErrAnswerTooLarge: GitHub's answer was longer than MaxAnswerBytes;
	// reading stopped there.
	ErrAnswerTooLarge = errors.New("github answer too large")
	// ErrAssigneesRefused: GitHub refused a create with 422 because an
	// assignee cannot be assigned in the repository (an unknown login, or
	// one without access); nothing was created.
	ErrAssigneesRefused = errors.New("github refused the assignees")
)

// Class says what to do after a failed GitHub call.
type Class int

// The classes of failure.
const (
	// Retry: a network error, a timeout or a 5xx. Back off and try again.
	Retry Class = iota + 1
	// RateLimited: wait until the limit resets, without spending an attempt.
	RateLimited
	// Permanent: GitHub refused the request (a 4xx); trying again will not
	// help until a person acts. The job is parked.
	Permanent
)

func (c Class) String() string {
	switch c {
	case Retry:
		return "retry"
	case RateLimited:
		return "rate_limited"
	case Permanent:
		return "permanent"
	}
	return "unknown"
}

// Failure is a classified error.
type Failure struct {
	Class Class
	// Wait is how long to pause all writes, for RateLimited.
	Wait time.Duration
	// Status is the HTTP status, or 0 when no answer came.
	Status int
	// Message is GitHub's own message, for Permanent failures.
	Message string
}

// secondaryDefault is the wait GitHub documents for a secondary rate limit
// that names no Retry-After.
const secondaryDefault = 60 * time.Second

// Classify decides, in one place, whether err from a GitHub call is retried,
// waited out or parked. now is the current time, for rate limit resets.
// Whether a write may have taken effect is not a class: the adapter says so
// with ErrOutcomeUnknown.
func Classify(err error, now time.Time) Failure {
	var (
		rl    *gh.RateLimitError
		abuse *gh.AbuseRateLimitError
		er    *gh.ErrorResponse
	)
	switch {
	case errors.Is(err, ErrIssuesDisabled), errors.Is(err, ErrIssueGone):
		return Failure{Class: Permanent, Status: http.StatusGone, Message: errorText(err)}
	case errors.Is(err, ErrAppCredentials):
		// Before the sentinels of answers: a refused token exchange
		// is no answer to the call itself.
		return Failure{Class: Permanent, Status: http.StatusUnauthorized, Message: err.Error()}
	case errors.Is(err, ErrAppNotInstalled):
		return Failure{Class: Permanent, Status: http.StatusNotFound, Message: err.Error()}
	case errors.As(err, &rl):
		return Failure{Class: RateLimited, Wait: untilReset(rl.Rate.Reset.Time, now), Status: status(rl.Response)}
	case errors.As(err, &abuse):
		// go-github falls back to X-RateLimit-Reset (the primary window's
		// end, up to an hour away) when Retry-After is absent; GitHub asks
		// for a minute then, unless the primary limit is used up too.
		wait := secondaryDefault
		if abuse.Response != nil {
			wait = retryAfter(abuse.Response, now)
		} else if abuse.RetryAfter != nil && *abuse.RetryAfter > 0 {
			wait = *abuse.RetryAfter
		}
		return Failure{Class: RateLimited, Wait: wait, Status: status(abuse.Response)}
	case errors.As(err, &er) && er.Response != nil:
		return classifyResponse(er, now)
	case errors.Is(err, context.Canceled):
		// booty is shutting down; the job runs again after restart.
		return Failure{Class: Retry}
	}
	// Network errors, timeouts, truncated or oversized answers: GitHub may
	// answer properly next time.
	return Failure{Class: Retry}
}

// errorText is the message of the first sentinel in err.
func errorText(err error) string {
	for _, s := range []error{ErrIssuesDisabled, ErrIssueGone} {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	return err.Error()
}

func classifyResponse(er *gh.ErrorResponse, now time.Time) Failure {
	resp := er.Response
	code := resp.StatusCode
	if code == http.StatusTooManyRequests || (code == http.StatusForbidden && rateLimited(resp)) {
		return Failure{Class: RateLimited, Wait: retryAfter(resp, now), Status: code}
	}
	if code >= 500 || code == http.StatusRequestTimeout {
		return Failure{Class: Retry, Status: code}
	}
	msg := er.Message
	for _, e := range er.Errors {
		if e.Message != "" {
			msg += ": " + e.Message
		} else if e.Code != "" {
			msg += ": " + e.Field + " " + e.Code
		}
	}
	return Failure{Class: Permanent, Status: code, Message: strings.TrimSpace(msg)}
}

// mayHaveHappened reports whether a write that failed with err may still
// have been made: anything but a clear refusal or rate limit.
func mayHaveHappened(err error) bool {
	return Classify(err, time.Now()).Class == Retry
}

// statusOf returns the HTTP status of a GitHub error answer, or 0.
func statusOf(err error) int {
	var er *gh.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	return 0
}

// isAlreadyExists reports whether err is GitHub's 422 for a resource (a
// label) that exists.
func isAlreadyExists(err error) bool {
	var er *gh.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil || er.Response.StatusCode != http.StatusUnprocessableEntity {
		return false
	}
	for _, e := range er.Errors {
		if e.Code == "already_exists" {
			return true
		}
	}
	return false
}

// rateLimited reports whether a 403 is a rate limit rather than a refusal.
func rateLimited(resp *http.Response) bool {
	return resp.Header.Get("Retry-After") != "" || resp.Header.Get("X-RateLimit-Remaining") == "0"
}

func retryAfter(resp *http.Response, now time.Time) time.Duration {
	if s := resp.Header.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n > 0 {
			return time.Duration(n) * time.Second
		}
	}
	if resp.Header.Get("X-RateLimit-Remaining") == "0" {
		if n, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			return untilReset(time.Unix(n, 0), now)
		}
	}
	return secondaryDefault
}

func untilReset(reset, now time.Time) time.Duration {
	// A second of slack: GitHub's reset is rounded down to the second.
	if d := reset.Sub(now) + time.Second; d > time.Second {
		return d
	}
	return time.Second
}

func status(r *http.Response) int {
	if r == nil {
		return 0
	}
	return r.StatusCode
}
