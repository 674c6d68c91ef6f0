package sentry

import (
	"encoding/json"
	"errors"
	"strings"

	"booty/internal/alert"
)

// Caps on what one delivery can put into an Alert. Everything downstream
// (issue bodies, log lines, the store) sees at most this much, whatever a
// hostile or runaway payload holds.
const (
	maxFrames       = 256  // newest kept
	maxContextLines = 16   // per side of a frame's context_line
	maxBreadcrumbs  = 100  // newest kept
	maxTags         = 256  // first kept
	maxField        = 1024 // bytes per string field
	maxShort        = 128  // ids, levels, actions
	maxCrumbData    = 256  // rendered breadcrumb data
)

// The only resource and action that become alerts, and the resource that
// becomes an IssueChange.
const (
	resourceEventAlert = "event_alert"
	actionTriggered    = "triggered"
	resourceIssue      = "issue"
)

// PayloadError reports a body that is not JSON, or an event alert or issue
// delivery without the fields booty needs. The server answers 422 and lists
// Missing.
type PayloadError struct {
	// Missing names the absent fields as JSON paths, e.g. "data.event" or
	// "data.issue.id".
	Missing []string
	// Err is the JSON syntax error, when the body is not JSON.
	Err error
}

// Error describes what is wrong without quoting the payload.
func (e *PayloadError) Error() string {
	switch {
	case len(e.Missing) > 0:
		return "invalid payload: missing " + strings.Join(e.Missing, ", ")
	case e.Err != nil:
		return "invalid payload: " + e.Err.Error()
	}
	return "invalid payload"
}

// Unwrap returns the underlying JSON error, if any.
func (e *PayloadError) Unwrap() error { return e.Err }

// Delivery is one parsed webhook delivery. Exactly one of Ignore and Alert
// is set; Issue may be set beside Ignore.
type Delivery struct {
	// Resource is the Sentry-Hook-Resource header, trimmed and lower-cased.
	// It stays "" when the header was missing, even if the body was taken
	// for an event alert.
	Resource string
	// Action is the body's "action".
	Action string
	// Ignore is set when the delivery is not a triggered event alert:
	// alert.ReasonNotEventAlert or alert.ReasonNotTriggered.
	Ignore alert.Reason
	// Alert is set only for a triggered event alert.
	Alert *alert.Alert
	// Issue is what an `issue` delivery of a known action says happened,
	// and is the source of truth for it. Until booty follows an issue's
	// lifecycle, such a delivery also keeps Ignore =
	// alert.ReasonNotEventAlert, which is all intake reads today, so it is
	// still answered as ignored. Nil for every other delivery.
	Issue *IssueChange
	// UnknownLevel reports an event level that is not a Sentry level.
	// Alert.Level is then alert.SeverityError and Alert.LevelRaw holds it.
	UnknownLevel bool
}

// Parse parses body, the raw request body of a Sentry webhook, given the
// value of its Sentry-Hook-Resource header. Deliveries of other resources
// (metric_alert, installation, seer, anything new) are ignored, not
// rejected, but must still be JSON. An event alert is decoded leniently:
// only a body that is not JSON, a missing data.event, or an event without
// anything to key its problem on is an error, always a *PayloadError. An
// `issue` delivery is ignored too, but its change is read into Issue; one
// of a known action without a data.issue.id is a *PayloadError, one of an
// unknown action is only ignored.
func Parse(resource string, body []byte) (*Delivery, error) {
	return parse(resource, body, decodeWhole(body))
}

// parse is Parse, decoding an event alert in one pass when whole, else
// streaming its lists; tests call it both ways.
func parse(resource string, body []byte, whole bool) (*Delivery, error) {
	d := &Delivery{Resource: strings.ToLower(strings.TrimSpace(resource))}
	if d.Resource == resourceIssue {
		action, change, err := parseIssue(body)
		if err != nil {
			return nil, err
		}
		d.Action, d.Issue, d.Ignore = action, change, alert.ReasonNotEventAlert
		return d, nil
	}
	if d.Resource != resourceEventAlert && d.Resource != "" {
		var h header
		if err := decode(body, &h); err != nil {
			return nil, err
		}
		d.Action = clip(string(h.Action), maxShort)
		d.Ignore = alert.ReasonNotEventAlert
		return d, nil
	}

	action, rule, ev, err := decodeEventAlert(body, whole)
	if err != nil {
		return nil, err
	}
	d.Action = clip(string(action), maxShort)
	switch {
	case d.Resource == "" && (ev == nil || d.Action != actionTriggered):
		// Without the header, only an unmistakable event alert is taken:
		// operators testing by hand forget the header.
		d.Ignore = alert.ReasonNotEventAlert
		return d, nil
	case d.Action != "" && d.Action != actionTriggered:
		d.Ignore = alert.ReasonNotTriggered
		return d, nil
	}
	// An event alert without an action is not "not triggered": it is a
	// body that is not what Sentry sends ({} included), and the sender
	// needs to hear which fields are missing.
	var missing []string
	if d.Action == "" {
		missing = append(missing, "action")
	}
	if ev == nil {
		missing = append(missing, "data.event")
	}
	if len(missing) > 0 {
		return nil, &PayloadError{Missing: missing}
	}

	a, unknownLevel, ok := ev.alert(string(rule))
	if !ok {
		return nil, &PayloadError{Missing: []string{"data.event.issue_id"}}
	}
	d.Alert = a
	d.UnknownLevel = unknownLevel
	return d, nil
}

// decodeEventAlert decodes an event alert's body: in one pass when whole
// and the body has the shapes Sentry sends (by hand when it can, see
// decodeFast), else streaming its lists. ev is nil unless data.event is an
// object.
func decodeEventAlert(body []byte, whole bool) (action, rule lenientString, ev *event, err error) {
	if whole {
		if env, ok := decodeFast(body); ok {
			if env.Data.Event != nil {
				ev = env.Data.Event.reduce()
			}
			return env.Action, env.Data.TriggeredRule, ev, nil
		}
		var env wholeEnvelope
		typeErr, err := decodeLenient(body, &env)
		if err != nil {
			return "", "", nil, err
		}
		if !typeErr {
			if env.Data.Event != nil {
				ev = env.Data.Event.reduce()
			}
			return env.Action, env.Data.TriggeredRule, ev, nil
		}
	}
	var env envelope
	typeErr, err := decodeLenient(body, &env)
	if err != nil {
		return "", "", nil, err
	}
	ev = env.Data.Event
	if ev != nil && typeErr && !isEventObject(body) {
		ev = nil
	}
	return env.Action, env.Data.TriggeredRule, ev, nil
}

// decode unmarshals body into v, tolerating type mismatches.
func decode(body []byte, v any) error {
	_, err := decodeLenient(body, v)
	return err
}

// decodeLenient unmarshals body into v. A body that is not JSON is a
// *PayloadError; type mismatches are not errors (encoding/json has skipped
// those fields and decoded the rest), only reported by typeErr.
func decodeLenient(body []byte, v any) (typeErr bool, err error) {
	err = json.Unmarshal(body, v)
	if err == nil {
		return false, nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return true, nil
	}
	return false, &PayloadError{Err: err}
}
