// Package alert holds booty's domain: the alert parsed from a webhook, the
// problem it belongs to, and the pipeline of stages that decides whether
// GitHub must change. It imports no adapter; every adapter imports it.
package alert

import (
	"strings"
	"time"
	"unicode"
)

// Severity is the level of an event, ordered so that a larger value is worse.
type Severity int

// Severities from least to most severe. The parser maps an unknown level to
// SeverityError so that nothing new is lost.
const (
	SeverityDebug Severity = iota + 1
	SeverityInfo
	SeverityWarning
	SeverityError
	SeverityFatal
)

var severityNames = map[Severity]string{
	SeverityDebug:   "debug",
	SeverityInfo:    "info",
	SeverityWarning: "warning",
	SeverityError:   "error",
	SeverityFatal:   "fatal",
}

// String returns the lower-case name Sentry uses for s.
func (s Severity) String() string {
	if n, ok := severityNames[s]; ok {
		return n
	}
	return "error"
}

// ParseSeverity maps a Sentry level to a Severity. It accepts the aliases
// Sentry's SDKs send ("warn", "critical"). ok is false for an unknown level,
// which is returned as SeverityError.
func ParseSeverity(level string) (s Severity, ok bool) {
	// Control characters (a trailing NUL from a C SDK) are noise around
	// the level, not part of it: "debug\x00" must not pass as an error.
	trimmed := strings.TrimFunc(level, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) })
	switch strings.ToLower(trimmed) {
	case "debug":
		return SeverityDebug, true
	case "info", "log":
		return SeverityInfo, true
	case "warning", "warn":
		return SeverityWarning, true
	case "error":
		return SeverityError, true
	case "fatal", "critical":
		return SeverityFatal, true
	}
	return SeverityError, false
}

// Alert is one Sentry event alert, reduced to what booty needs to decide and
// to write an issue. Every string in it came from the webhook and is
// untrusted: renderers must escape it.
type Alert struct {
	// ProblemKey identifies the problem (the Sentry issue) across deliveries.
	ProblemKey string `json:"problem_key"`
	// EventID is Sentry's id of this occurrence.
	EventID string `json:"event_id"`
	// SentryIssueID is data.event.issue_id; empty in payloads before 2021.
	SentryIssueID string `json:"sentry_issue_id,omitempty"`
	// Project is the project slug when the payload names it, else its id.
	Project string `json:"project,omitempty"`

	Level Severity `json:"level"`
	// LevelRaw is the level as sent, kept when it was not a known level.
	LevelRaw string `json:"level_raw,omitempty"`

	// Title is Sentry's event title. It holds message text, so it never
	// goes into an issue title.
	Title          string `json:"title,omitempty"`
	ExceptionType  string `json:"exception_type,omitempty"`
	ExceptionValue string `json:"exception_value,omitempty"`
	Culprit        string `json:"culprit,omitempty"`
	Platform       string `json:"platform,omitempty"`
	Environment    string `json:"environment,omitempty"`
	Release        string `json:"release,omitempty"`
	Rule           string `json:"rule,omitempty"`

	// Timestamp is when the event happened.
	Timestamp time.Time `json:"timestamp"`
	// EventURL links to this event on Sentry; IssueURL to the Sentry issue.
	EventURL string `json:"event_url,omitempty"`
	IssueURL string `json:"issue_url,omitempty"`

	// Frames are the stack frames of the last exception, oldest first as
	// Sentry sends them: the crashing frame is the last one.
	Frames []Frame `json:"frames,omitempty"`
	// Breadcrumbs are in the order sent, oldest first.
	Breadcrumbs []Breadcrumb `json:"breadcrumbs,omitempty"`
	Tags        []Tag        `json:"tags,omitempty"`

	// Sample is true for Sentry's sample event, which must never become an
	// issue.
	Sample bool `json:"sample,omitempty"`
}

// Frame is one stack frame.
type Frame struct {
	Filename    string   `json:"filename,omitempty"`
	AbsPath     string   `json:"abs_path,omitempty"`
	Module      string   `json:"module,omitempty"`
	Function    string   `json:"function,omitempty"`
	Lineno      int      `json:"lineno,omitempty"`
	Colno       int      `json:"colno,omitempty"`
	InApp       bool     `json:"in_app,omitempty"`
	ContextLine string   `json:"context_line,omitempty"`
	PreContext  []string `json:"pre_context,omitempty"`
	PostContext []string `json:"post_context,omitempty"`
}

// Breadcrumb is one breadcrumb of the event.
type Breadcrumb struct {
	Timestamp time.Time `json:"timestamp"`
	Type      string    `json:"type,omitempty"`
	Category  string    `json:"category,omitempty"`
	Level     string    `json:"level,omitempty"`
	Message   string    `json:"message,omitempty"`
	// Data is a short rendering of the breadcrumb's data, for breadcrumbs
	// without a message (navigation, http).
	Data string `json:"data,omitempty"`
}

// Tag is one Sentry tag.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// TagValue returns the value of the first tag named key, or "".
func (a *Alert) TagValue(key string) string {
	for _, t := range a.Tags {
		if t.Key == key {
			return t.Value
		}
	}
	return ""
}

// CrashFrame returns the frame where the error was raised: the newest in-app
// frame, else the newest frame. ok is false when there are no frames.
func (a *Alert) CrashFrame() (f Frame, ok bool) {
	for i := len(a.Frames) - 1; i >= 0; i-- {
		if a.Frames[i].InApp {
			return a.Frames[i], true
		}
	}
	if len(a.Frames) == 0 {
		return Frame{}, false
	}
	return a.Frames[len(a.Frames)-1], true
}

// Redact replaces every string of a that came from the payload with f of
// it, in place: the texts of the event, its frames, breadcrumbs and tags,
// and its URLs. ProblemKey and EventID are left alone: they are what dedup
// matches on, a redactor could map two of them to one, and the parser
// already keeps them to [A-Za-z0-9:._-]. Level is not a string.
func (a *Alert) Redact(f func(string) string) {
	for _, s := range []*string{
		&a.SentryIssueID, &a.Project, &a.LevelRaw, &a.Title, &a.ExceptionType, &a.ExceptionValue,
		&a.Culprit, &a.Platform, &a.Environment, &a.Release, &a.Rule, &a.EventURL, &a.IssueURL,
	} {
		*s = f(*s)
	}
	for i := range a.Frames {
		fr := &a.Frames[i]
		for _, s := range []*string{&fr.Filename, &fr.AbsPath, &fr.Module, &fr.Function, &fr.ContextLine} {
			*s = f(*s)
		}
		redactAll(fr.PreContext, f)
		redactAll(fr.PostContext, f)
	}
	for i := range a.Breadcrumbs {
		b := &a.Breadcrumbs[i]
		for _, s := range []*string{&b.Type, &b.Category, &b.Level, &b.Message, &b.Data} {
			*s = f(*s)
		}
	}
	for i := range a.Tags {
		a.Tags[i].Key = f(a.Tags[i].Key)
		a.Tags[i].Value = f(a.Tags[i].Value)
	}
}

func redactAll(ss []string, f func(string) string) {
	for i := range ss {
		ss[i] = f(ss[i])
	}
}
