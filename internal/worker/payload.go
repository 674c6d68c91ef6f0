package worker

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"booty/internal/alert"
)

// IssueArgs is the job that makes GitHub match a decision. It is stored in
// River's table and may wait there, parked, across upgrades: its JSON is
// booty's own, versioned, and declared here, never borrowed from the domain
// types, so renaming a field of alert.Alert cannot silently empty a stored
// job. Build it with NewIssueArgs.
type IssueArgs struct {
	// ProblemKey and Action make a create unique while it waits or runs
	// (see createOpts). Their JSON must not change: River derives the
	// unique key from it.
	ProblemKey string       `json:"problem_key" river:"unique"`
	Action     alert.Action `json:"action" river:"unique"`
	// Version is the payload's version: PayloadVersion for jobs made now,
	// 0 (absent) for jobs stored before payloads had versions, which carry
	// Legacy instead of Event.
	Version int `json:"v,omitempty"`
	// Event is what rendering needs of the alert that led to the decision:
	// the issue text is rendered from it when the job runs, with the
	// problem's counts then. The text is already redacted.
	Event *Event `json:"event,omitempty"`
	// Legacy is the alert of a version 0 job, as that version stored it.
	Legacy json.RawMessage `json:"alert,omitempty"`

	// Repo is the repository the job writes to, "OWNER/NAME"; "" (every
	// job before version 2) is the default repository.
	Repo string `json:"repo,omitempty"`
	// Labels are a new issue's labels, the trigger label first; empty
	// (before version 2) means the trigger label alone.
	Labels []string `json:"labels,omitempty"`
	// Assignees are who a new issue is assigned to.
	Assignees []string `json:"assignees,omitempty"`
	// RegressionOf is the closed issue a create files a regression of;
	// the new issue links it.
	RegressionOf int `json:"regression_of,omitempty"`
}

// PayloadVersion is the version of the IssueArgs booty writes. Version 2
// added the repository, labels and assignees of the route.
const PayloadVersion = 2

// Kind names the job in River's tables.
func (IssueArgs) Kind() string { return "github_issue" }

// NewIssueArgs returns the job for decision action about a, written to the
// default repository with the trigger label.
func NewIssueArgs(a *alert.Alert, action alert.Action) IssueArgs {
	return IssueArgs{ProblemKey: a.ProblemKey, Action: action, Version: PayloadVersion, Event: eventOf(a)}
}

// NewTargetedIssueArgs returns the job for decision d about a, written
// where d's target says (the default repository when it has none).
func NewTargetedIssueArgs(a *alert.Alert, d alert.Decision) IssueArgs {
	args := NewIssueArgs(a, d.Action)
	args.RegressionOf = d.RegressionOf
	if t := d.Target; t != nil {
		args.Repo = t.Repo
		args.Labels = slices.Clone(t.Labels)
		args.Assignees = slices.Clone(t.Assignees)
	}
	return args
}

// Event is the part of an alert the issue text is rendered from (payload
// version 1).
type Event struct {
	EventID        string       `json:"event_id"`
	Level          string       `json:"level"`
	Title          string       `json:"title,omitempty"`
	ExceptionType  string       `json:"exception_type,omitempty"`
	ExceptionValue string       `json:"exception_value,omitempty"`
	Culprit        string       `json:"culprit,omitempty"`
	Platform       string       `json:"platform,omitempty"`
	Environment    string       `json:"environment,omitempty"`
	Release        string       `json:"release,omitempty"`
	Rule           string       `json:"rule,omitempty"`
	Timestamp      time.Time    `json:"timestamp"`
	EventURL       string       `json:"event_url,omitempty"`
	IssueURL       string       `json:"issue_url,omitempty"`
	Frames         []EventFrame `json:"frames,omitempty"`
	Breadcrumbs    []EventCrumb `json:"breadcrumbs,omitempty"`
}

// EventFrame is one stack frame of an Event.
type EventFrame struct {
	Filename    string   `json:"filename,omitempty"`
	AbsPath     string   `json:"abs_path,omitempty"`
	Module      string   `json:"module,omitempty"`
	Function    string   `json:"function,omitempty"`
	Lineno      int      `json:"lineno,omitempty"`
	InApp       bool     `json:"in_app,omitempty"`
	ContextLine string   `json:"context_line,omitempty"`
	PreContext  []string `json:"pre_context,omitempty"`
	PostContext []string `json:"post_context,omitempty"`
}

// EventCrumb is one breadcrumb of an Event.
type EventCrumb struct {
	Timestamp time.Time `json:"timestamp"`
	Type      string    `json:"type,omitempty"`
	Category  string    `json:"category,omitempty"`
	Level     string    `json:"level,omitempty"`
	Message   string    `json:"message,omitempty"`
	Data      string    `json:"data,omitempty"`
}

var errNoAlert = errors.New("job has no alert")

// Alert returns the alert the job's text is rendered from, whatever the
// version it was stored with.
func (a IssueArgs) Alert() (*alert.Alert, error) {
	switch {
	case a.Version == 0 && len(a.Legacy) > 0:
		return legacyAlert(a.ProblemKey, a.Legacy)
	case a.Version == 0:
		return nil, errNoAlert
	case a.Version > PayloadVersion:
		return nil, fmt.Errorf("job payload version %d is newer than this booty's %d", a.Version, PayloadVersion)
	case a.Event == nil:
		return nil, errNoAlert
	}
	return a.Event.alert(a.ProblemKey), nil
}

func eventOf(a *alert.Alert) *Event {
	e := &Event{
		EventID: a.EventID, Level: a.Level.String(), Title: a.Title,
		ExceptionType: a.ExceptionType, ExceptionValue: a.ExceptionValue, Culprit: a.Culprit,
		Platform: a.Platform, Environment: a.Environment, Release: a.Release, Rule: a.Rule,
		Timestamp: a.Timestamp, EventURL: a.EventURL, IssueURL: a.IssueURL,
	}
	for _, f := range a.Frames {
		e.Frames = append(e.Frames, EventFrame{
			Filename: f.Filename, AbsPath: f.AbsPath, Module: f.Module, Function: f.Function, Lineno: f.Lineno,
			InApp: f.InApp, ContextLine: f.ContextLine, PreContext: f.PreContext, PostContext: f.PostContext,
		})
	}
	for _, b := range a.Breadcrumbs {
		e.Breadcrumbs = append(e.Breadcrumbs, EventCrumb{
			Timestamp: b.Timestamp, Type: b.Type, Category: b.Category, Level: b.Level, Message: b.Message, Data: b.Data,
		})
	}
	return e
}

func (e *Event) alert(key string) *alert.Alert {
	level, _ := alert.ParseSeverity(e.Level)
	a := &alert.Alert{
		ProblemKey: key, EventID: e.EventID, Level: level, Title: e.Title,
		ExceptionType: e.ExceptionType, ExceptionValue: e.ExceptionValue, Culprit: e.Culprit,
		Platform: e.Platform, Environment: e.Environment, Release: e.Release, Rule: e.Rule,
		Timestamp: e.Timestamp, EventURL: e.EventURL, IssueURL: e.IssueURL,
	}
	for _, f := range e.Frames {
		a.Frames = append(a.Frames, alert.Frame{
			Filename: f.Filename, AbsPath: f.AbsPath, Module: f.Module, Function: f.Function, Lineno: f.Lineno,
			InApp: f.InApp, ContextLine: f.ContextLine, PreContext: f.PreContext, PostContext: f.PostContext,
		})
	}
	for _, b := range e.Breadcrumbs {
		a.Breadcrumbs = append(a.Breadcrumbs, alert.Breadcrumb{
			Timestamp: b.Timestamp, Type: b.Type, Category: b.Category, Level: b.Level, Message: b.Message, Data: b.Data,
		})
	}
	return a
}

// alertV0 is the alert as version 0 stored it: the JSON of alert.Alert at
// the time, frozen here so that a stored job reads the same whatever
// happens to the domain type. Fields rendering never used are left out.
type alertV0 struct {
	EventID        string    `json:"event_id"`
	Level          int       `json:"level"`
	Title          string    `json:"title"`
	ExceptionType  string    `json:"exception_type"`
	ExceptionValue string    `json:"exception_value"`
	Culprit        string    `json:"culprit"`
	Platform       string    `json:"platform"`
	Environment    string    `json:"environment"`
	Release        string    `json:"release"`
	Rule           string    `json:"rule"`
	Timestamp      time.Time `json:"timestamp"`
	EventURL       string    `json:"event_url"`
	IssueURL       string    `json:"issue_url"`
	Frames         []struct {
		Filename    string   `json:"filename"`
		AbsPath     string   `json:"abs_path"`
		Module      string   `json:"module"`
		Function    string   `json:"function"`
		Lineno      int      `json:"lineno"`
		InApp       bool     `json:"in_app"`
		ContextLine string   `json:"context_line"`
		PreContext  []string `json:"pre_context"`
		PostContext []string `json:"post_context"`
	} `json:"frames"`
	Breadcrumbs []EventCrumb `json:"breadcrumbs"`
}

// v0Levels are version 0's numbers for severities (alert.Severity then).
var v0Levels = map[int]string{1: "debug", 2: "info", 3: "warning", 4: "error", 5: "fatal"}

func legacyAlert(key string, raw json.RawMessage) (*alert.Alert, error) {
	var v alertV0
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("decode version 0 job alert: %w", err)
	}
	e := &Event{
		EventID: v.EventID, Level: v0Levels[v.Level], Title: v.Title,
		ExceptionType: v.ExceptionType, ExceptionValue: v.ExceptionValue, Culprit: v.Culprit,
		Platform: v.Platform, Environment: v.Environment, Release: v.Release, Rule: v.Rule,
		Timestamp: v.Timestamp, EventURL: v.EventURL, IssueURL: v.IssueURL, Breadcrumbs: v.Breadcrumbs,
	}
	if e.Level == "" {
		e.Level = "error"
	}
	for _, f := range v.Frames {
		e.Frames = append(e.Frames, EventFrame(f))
	}
	return e.alert(key), nil
}
