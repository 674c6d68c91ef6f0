package alert

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SentryChoice is what booty does to the GitHub issue when Sentry resolves
// or archives the problem.
type SentryChoice string

// The choices of OBSV_ON_RESOLVE and OBSV_ON_ARCHIVE.
const (
	// ChoiceComment comments on the open issue and leaves it open.
	ChoiceComment SentryChoice = "comment"
	// ChoiceClose closes the open issue with that comment: as completed
	// for a resolve, as not planned for an archive.
	ChoiceClose SentryChoice = "close"
	// ChoiceIgnore leaves the issue alone.
	ChoiceIgnore SentryChoice = "ignore"
)

// RegressionChoice is what booty does when a problem whose issue was closed
// as completed comes back.
type RegressionChoice string

// The choices of OBSV_ON_REGRESSION.
const (
	// RegressionReopen reopens the issue with a comment naming the release.
	RegressionReopen RegressionChoice = "reopen"
	// RegressionNewIssue files a new issue, "Regression of #N".
	RegressionNewIssue RegressionChoice = "new_issue"
)

// RepeatChoice is what booty does for an event of an open issue after the
// cooldown.
type RepeatChoice string

// The choices of OBSV_ON_REPEAT.
const (
	// RepeatComment comments with the new count and the latest event.
	RepeatComment RepeatChoice = "comment"
	// RepeatUpdate edits the Occurrences section of booty's issue body
	// instead, so quiet repeats notify nobody.
	RepeatUpdate RepeatChoice = "update"
)

// DefaultReopenWindow is OBSV_REOPEN_WINDOW_DAYS's default: a regression of
// an issue closed longer ago than this gets a new issue.
const DefaultReopenWindow = 30 * 24 * time.Hour

// maxReopenWindowDays bounds OBSV_REOPEN_WINDOW_DAYS so that the window
// stays a time.Duration (about 290 years fit; ten are plenty).
const maxReopenWindowDays = 3650

// Policy is the operator's choices for the problem's lifecycle. A zero
// field means its default, so Policy{} is DefaultPolicy().
type Policy struct {
	OnResolve    SentryChoice     // OBSV_ON_RESOLVE
	OnArchive    SentryChoice     // OBSV_ON_ARCHIVE
	OnRegression RegressionChoice // OBSV_ON_REGRESSION
	// ReopenWindow is how long after its close an issue is still reopened
	// for a regression (OBSV_REOPEN_WINDOW_DAYS).
	ReopenWindow time.Duration
	OnRepeat     RepeatChoice // OBSV_ON_REPEAT
	// SyncSentry mirrors a person's close and reopen on GitHub to Sentry
	// (OBSV_SYNC_SENTRY).
	SyncSentry bool
}

// DefaultPolicy returns the defaults: comment on resolve and on archive,
// reopen on regression within 30 days, comment on repeats, no sync back.
func DefaultPolicy() Policy {
	return Policy{
		OnResolve:    ChoiceComment,
		OnArchive:    ChoiceComment,
		OnRegression: RegressionReopen,
		ReopenWindow: DefaultReopenWindow,
		OnRepeat:     RepeatComment,
	}
}

// withDefaults fills p's zero fields with the defaults.
func (p Policy) withDefaults() Policy {
	d := DefaultPolicy()
	if p.OnResolve == "" {
		p.OnResolve = d.OnResolve
	}
	if p.OnArchive == "" {
		p.OnArchive = d.OnArchive
	}
	if p.OnRegression == "" {
		p.OnRegression = d.OnRegression
	}
	if p.ReopenWindow <= 0 {
		p.ReopenWindow = d.ReopenWindow
	}
	if p.OnRepeat == "" {
		p.OnRepeat = d.OnRepeat
	}
	return p
}

// PolicyError is one bad policy variable.
type PolicyError struct {
	Var string
	// Value is the bad value, quoted and cut short: it is operator input,
	// but it goes into logs.
	Value string
	Msg   string
}

func (e PolicyError) Error() string { return fmt.Sprintf("%s=%s: %s", e.Var, e.Value, e.Msg) }

// PolicyErrors is every bad policy variable; ParsePolicy returns it.
type PolicyErrors []PolicyError

func (es PolicyErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

// ParsePolicy reads the lifecycle variables with getenv; an unset or empty
// variable takes its default. The error, when not nil, is PolicyErrors
// naming every bad variable at once.
func ParsePolicy(getenv func(string) string) (Policy, error) {
	p := DefaultPolicy()
	var errs PolicyErrors
	bad := func(name, v, msg string) {
		if len(v) > 40 {
			v = v[:40] + "…"
		}
		errs = append(errs, PolicyError{Var: name, Value: strconv.Quote(v), Msg: msg})
	}
	choice := func(name string, allowed ...string) string {
		v := strings.ToLower(strings.TrimSpace(getenv(name)))
		if v == "" {
			return ""
		}
		for _, a := range allowed {
			if v == a {
				return v
			}
		}
		bad(name, getenv(name), "want one of "+strings.Join(allowed, ", "))
		return ""
	}
	if v := choice("OBSV_ON_RESOLVE", "comment", "close", "ignore"); v != "" {
		p.OnResolve = SentryChoice(v)
	}
	if v := choice("OBSV_ON_ARCHIVE", "comment", "close", "ignore"); v != "" {
		p.OnArchive = SentryChoice(v)
	}
	if v := choice("OBSV_ON_REGRESSION", "reopen", "new_issue"); v != "" {
		p.OnRegression = RegressionChoice(v)
	}
	if v := choice("OBSV_ON_REPEAT", "comment", "update"); v != "" {
		p.OnRepeat = RepeatChoice(v)
	}
	if v := strings.TrimSpace(getenv("OBSV_REOPEN_WINDOW_DAYS")); v != "" {
		days, err := strconv.Atoi(v)
		if err != nil || days < 1 || days > maxReopenWindowDays {
			bad("OBSV_REOPEN_WINDOW_DAYS", v, fmt.Sprintf("want a whole number of days from 1 to %d", maxReopenWindowDays))
		} else {
			p.ReopenWindow = time.Duration(days) * 24 * time.Hour
		}
	}
	if v := strings.TrimSpace(getenv("OBSV_SYNC_SENTRY")); v != "" {
		sync, err := strconv.ParseBool(v)
		if err != nil {
			bad("OBSV_SYNC_SENTRY", v, "want true or false")
		} else {
			p.SyncSentry = sync
		}
	}
	if len(errs) > 0 {
		return p, errs
	}
	return p, nil
}
