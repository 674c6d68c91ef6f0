package sentryapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// The client's sentinel errors. They say what a failure means for booty,
// so that the worker decides what to do with errors.Is in one place.
var (
	// ErrIssueGone: Sentry answered 404 for the issue: it was deleted, or
	// is not in the organization. There is nothing to update, and the
	// caller may drop the job. A wrong organization slug gets the same
	// 404 from Sentry, so the client cannot tell the two apart.
	ErrIssueGone = errors.New("the sentry issue does not exist")
	// ErrNoRelease: Sentry refused "resolve in the next release" because
	// the issue's project has no release yet. Resolve works instead.
	ErrNoRelease = errors.New("the sentry project has no release to resolve the issue in")
	// ErrBadIssueID: the id is not a Sentry issue (group) id, which is
	// digits only. Nothing was sent.
	ErrBadIssueID = errors.New("not a sentry issue id")
)

// APIError is an answer from Sentry other than 2xx.
type APIError struct {
	// Status is the HTTP status Sentry answered.
	Status int
	// Detail is Sentry's explanation (its "detail" field, or the first of
	// its field errors), cut to MaxDetail bytes, without control
	// characters and never holding the token. It may be empty.
	Detail string
	// RetryAfter is how long Sentry asked booty to wait, for a 429: from
	// Retry-After (seconds or an HTTP date), else from
	// X-Sentry-Rate-Limit-Reset, else DefaultRateLimitWait. It is at most
	// MaxRetryAfter, and zero for other statuses.
	RetryAfter time.Duration

	// noRelease marks the 400 for "resolve in next release" in a project
	// without releases.
	noRelease bool
}

// Error says the status and Sentry's detail.
func (e *APIError) Error() string {
	msg := fmt.Sprintf("sentry answered %d %s", e.Status, http.StatusText(e.Status))
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return msg
}

// Is lets errors.Is find ErrIssueGone in a 404 and ErrNoRelease in the 400
// that means it.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrIssueGone:
		return e.Status == http.StatusNotFound
	case ErrNoRelease:
		return e.noRelease
	}
	return false
}

// Class says what to do after a failed Sentry call. The names match
// internal/github's.
type Class int

// The classes of failure.
const (
	// Retry: a network error, a timeout, a 408 or a 5xx. Back off and
	// try again; a status update is idempotent, so sending it twice does
	// no harm.
	Retry Class = iota + 1
	// RateLimited: wait Failure.Wait, without spending an attempt.
	RateLimited
	// Permanent: Sentry refused the request (a 4xx, a redirect) or the
	// request was bad before it was sent; trying again will not help
	// until a person acts. The job is parked, or dropped for
	// ErrIssueGone.
	Permanent
)

// String names the class, for logs and metrics.
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
	// Class is what to do.
	Class Class
	// Wait is how long to wait, for RateLimited.
	Wait time.Duration
	// Status is the HTTP status, or 0 when no answer came.
	Status int
	// Message is Sentry's bounded detail, for Permanent failures.
	Message string
}

// Classify decides, in one place, whether err from a Client method is
// retried, waited out or parked. A nil err has no class (zero Failure).
func Classify(err error) Failure {
	var ae *APIError
	switch {
	case err == nil:
		return Failure{}
	case errors.As(err, &ae):
		switch {
		case ae.Status == http.StatusTooManyRequests:
			return Failure{Class: RateLimited, Wait: ae.RetryAfter, Status: ae.Status}
		case ae.Status >= 500, ae.Status == http.StatusRequestTimeout:
			return Failure{Class: Retry, Status: ae.Status}
		}
		return Failure{Class: Permanent, Status: ae.Status, Message: ae.Detail}
	case errors.Is(err, ErrBadIssueID), errors.Is(err, ErrConfig):
		return Failure{Class: Permanent, Message: err.Error()}
	case errors.Is(err, context.Canceled):
		// booty is shutting down; the job runs again after restart.
		return Failure{Class: Retry}
	}
	// Network errors, timeouts, answers cut short: Sentry may answer
	// properly next time.
	return Failure{Class: Retry}
}

// IsTransient reports whether err is worth retrying with backoff: a
// network error, a timeout or a 5xx (Classify's Retry).
func IsTransient(err error) bool { return Classify(err).Class == Retry }

// IsPermanent reports whether Sentry refused the call for good (a 4xx
// other than 429, ErrIssueGone included) or the call was bad before it was
// sent (Classify's Permanent).
func IsPermanent(err error) bool { return Classify(err).Class == Permanent }

// RetryAfter returns how long to wait before calling Sentry again, when
// err is a rate limit (Classify's RateLimited).
func RetryAfter(err error) (time.Duration, bool) {
	f := Classify(err)
	return f.Wait, f.Class == RateLimited
}
