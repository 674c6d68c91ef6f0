package sentry

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// The wire types hold only the fields booty uses, so encoding/json skips the
// rest of the payload (contexts, raw_stacktrace, sdk, request...) without
// building anything for it.
//
// Decoding is lenient in two tiers. Scalars that Sentry (or an older SDK)
// has sent with more than one JSON type use the lenient types below, which
// never fail. Everything else is typed for the shape Sentry sends today; on
// a mismatch encoding/json skips the field, finishes decoding and returns an
// *json.UnmarshalTypeError, and Parse then re-reads the few parts whose
// shape varies (see lenientEvent). The common payload is decoded once.

// header is the part of a delivery read for every resource.
type header struct {
	Action lenientString `json:"action"`
}

// envelope is an event_alert delivery.
type envelope struct {
	Action lenientString `json:"action"`
	Data   struct {
		Event         *event        `json:"event"`
		TriggeredRule lenientString `json:"triggered_rule"`
	} `json:"data"`
}

// event is data.event of an event_alert.
type event struct {
	EventID     lenientString   `json:"event_id"`
	IssueID     lenientString   `json:"issue_id"`
	Project     lenientString   `json:"project"`
	URL         string          `json:"url"`
	WebURL      string          `json:"web_url"`
	Level       lenientString   `json:"level"`
	Title       string          `json:"title"`
	Culprit     string          `json:"culprit"`
	Platform    string          `json:"platform"`
	Environment lenientString   `json:"environment"`
	Release     lenientString   `json:"release"`
	Timestamp   lenientTime     `json:"timestamp"`
	Datetime    lenientTime     `json:"datetime"`
	Hashes      []lenientString `json:"hashes"`
	Fingerprint []lenientString `json:"fingerprint"`
	Metadata    metadata        `json:"metadata"`
	Exception   exceptions      `json:"exception"`
	Stacktrace  stacktrace      `json:"stacktrace"`
	Breadcrumbs struct {
		Values []crumb `json:"values"`
	} `json:"breadcrumbs"`
	Tags [][]string `json:"tags"`

	// crumbs and tags are the normalized breadcrumbs and tags, from
	// whichever tier read them.
	crumbs []crumb
	tags   []tag
}

// normalize fills crumbs and tags from the typed fields.
func (e *event) normalize() {
	e.crumbs = e.Breadcrumbs.Values
	if len(e.Tags) == 0 {
		return
	}
	e.tags = make([]tag, len(e.Tags))
	for i, kv := range e.Tags {
		if len(kv) == 2 {
			e.tags[i] = tag{Key: kv[0], Value: kv[1], ok: true}
		}
	}
}

// decodeLenientParts reports whether data.event in body is an object and, if it is,
// fills crumbs and tags through lenientEvent, whose types accept every known shape.
func (e *event) decodeLenientParts(body []byte) (isObject bool) {
	var probe struct {
		Data struct {
			Event json.RawMessage `json:"event"`
		} `json:"data"`
	}
	_ = json.Unmarshal(body, &probe)
	raw := probe.Data.Event
	if len(raw) == 0 || raw[0] != '{' {
		return false
	}
	var r lenientEvent
	_ = json.Unmarshal(raw, &r)
	e.crumbs, e.tags = r.Breadcrumbs, r.Tags
	return true
}

// lenientEvent is data.event re-read after a type mismatch, with the parts whose
// shape varies decoded by types that accept every known shape.
type lenientEvent struct {
	Breadcrumbs breadcrumbs `json:"breadcrumbs"`
	Tags        []tag       `json:"tags"`
}

type metadata struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

type exceptions struct {
	Values []exception `json:"values"`
}

type exception struct {
	Type       string      `json:"type"`
	Value      string      `json:"value"`
	Stacktrace *stacktrace `json:"stacktrace"`
}

type stacktrace struct {
	Frames []frame `json:"frames"`
}

type frame struct {
	Filename    string   `json:"filename"`
	AbsPath     string   `json:"abs_path"`
	Module      string   `json:"module"`
	Function    string   `json:"function"`
	Lineno      int      `json:"lineno"`
	Colno       int      `json:"colno"`
	InApp       bool     `json:"in_app"`
	ContextLine string   `json:"context_line"`
	PreContext  []string `json:"pre_context"`
	PostContext []string `json:"post_context"`
}

// breadcrumbs accepts both {"values": [...]} (what Sentry sends) and a
// bare list (what some SDKs and hand-made test payloads send).
type breadcrumbs []crumb

type crumb struct {
	Timestamp lenientTime     `json:"timestamp"`
	Type      string          `json:"type"`
	Category  string          `json:"category"`
	Level     lenientString   `json:"level"`
	Message   string          `json:"message"`
	Data      json.RawMessage `json:"data"`
}

// UnmarshalJSON decodes either shape and never fails: malformed
// breadcrumbs are only lost, they never reject the alert.
func (b *breadcrumbs) UnmarshalJSON(data []byte) error {
	data = bytes.TrimLeft(data, " \t\r\n")
	if len(data) == 0 {
		return nil
	}
	switch data[0] {
	case '[':
		var list []crumb
		_ = json.Unmarshal(data, &list)
		*b = list
	case '{':
		var obj struct {
			Values []crumb `json:"values"`
		}
		_ = json.Unmarshal(data, &obj)
		*b = obj.Values
	}
	return nil
}

// tag is one entry of data.event.tags: a [key, value] pair as Sentry sends
// it, or a {"key": ..., "value": ...} object as its API returns it. In the
// lenient tier the value may also be a number.
type tag struct {
	Key, Value string
	ok         bool
}

// UnmarshalJSON decodes either shape; anything else leaves ok false so the
// entry is skipped.
func (t *tag) UnmarshalJSON(data []byte) error {
	data = bytes.TrimLeft(data, " \t\r\n")
	if len(data) == 0 {
		return nil
	}
	switch data[0] {
	case '[':
		var pair []lenientString
		if json.Unmarshal(data, &pair) == nil && len(pair) == 2 {
			t.Key, t.Value, t.ok = string(pair[0]), string(pair[1]), true
		}
	case '{':
		var obj struct {
			Key   lenientString `json:"key"`
			Value lenientString `json:"value"`
		}
		if json.Unmarshal(data, &obj) == nil {
			t.Key, t.Value, t.ok = string(obj.Key), string(obj.Value), true
		}
	}
	return nil
}

// lenientString is a string field that Sentry (or an older SDK) may send as a
// number: issue ids, project ids, releases. A number keeps its literal text;
// null, booleans, objects and lists read as "" instead of failing.
type lenientString string

// UnmarshalJSON never fails; see lenientString.
func (s *lenientString) UnmarshalJSON(data []byte) error {
	if len(data) == 0 {
		return nil
	}
	switch c := data[0]; {
	case c == '"':
		*s = lenientString(unquote(data))
	case c == '-' || '0' <= c && c <= '9':
		*s = lenientString(data)
	case c == 'n':
		// null: leave the zero value, as encoding/json does.
	default:
		*s = ""
	}
	return nil
}

// unquote decodes a JSON string literal that encoding/json has already
// validated. The common case, no escapes and valid UTF-8, is a plain copy.
func unquote(lit []byte) string {
	inner := lit[1 : len(lit)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner)
	}
	var s string
	_ = json.Unmarshal(lit, &s)
	return s
}

// lenientTime is a timestamp sent as epoch seconds (a number, or a string holding
// one) or as an RFC 3339 string. Anything else, or a time outside years
// 1970-9999, reads as the zero time.
type lenientTime struct {
	t time.Time
}

// UnmarshalJSON never fails; see lenientTime.
func (lt *lenientTime) UnmarshalJSON(data []byte) error {
	if len(data) == 0 {
		return nil
	}
	switch c := data[0]; {
	case c == '"':
		lt.t = parseTime(unquote(data))
	case c == '-' || '0' <= c && c <= '9':
		lt.t = parseEpoch(string(data))
	}
	return nil
}

// maxEpoch is the first second of year 10000.
const maxEpoch = 253402300800

func parseEpoch(s string) time.Time {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f < 0 || f >= maxEpoch {
		return time.Time{}
	}
	// Sentry's timestamps carry microseconds; rounding there drops the
	// float64 noise (1566248777.677 is not exact in binary).
	return time.UnixMicro(int64(math.Round(f * 1e6))).UTC()
}

// Zone-less forms older Sentry versions used for "datetime"; they are UTC.
const (
	naiveLayoutT     = "2006-01-02T15:04:05.999999999"
	naiveLayoutSpace = "2006-01-02 15:04:05.999999999"
)

func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	if c := s[0]; '0' <= c && c <= '9' && len(s) < 32 {
		if t := parseEpoch(s); !t.IsZero() {
			return t
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil && t.Year() >= 1970 {
		return t.UTC()
	}
	for _, l := range [...]string{naiveLayoutT, naiveLayoutSpace} {
		if t, err := time.Parse(l, s); err == nil && t.Year() >= 1970 {
			return t
		}
	}
	return time.Time{}
}
