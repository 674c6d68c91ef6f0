package sentry

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"hash"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The wire types hold only the fields booty uses, so encoding/json skips the
// rest of the payload (contexts, raw_stacktrace, sdk, request...) without
// building anything for it.
//
// A body is decoded in one of two ways, which keep exactly the same of
// any body that does not give a key twice (a test and a fuzz target hold
// them to it). A body with few enough list elements to build them all, in
// the shapes Sentry sends, is decoded in one pass into plain slices, then
// cut to what an Alert can hold (whole.go): that is every ordinary
// payload, at the cost of a plain decode. Any other is streamed, with the
// types below.
//
// Decoding is lenient. Scalars that Sentry (or an older SDK) has sent with
// more than one JSON type use the lenient types below, which never fail;
// so do the streamed lists whose shape varies (breadcrumbs, tags).
// Everything else is typed for the shape Sentry sends today; on a mismatch
// encoding/json skips the field, finishes decoding and returns an
// *json.UnmarshalTypeError, which Parse tolerates.
//
// Streamed, memory is bounded while decoding, not after: the lists a
// hostile body can make long (frames, exceptions, breadcrumbs, tags,
// hashes, fingerprint, context lines) are read element by element from the
// already-validated bytes, keeping only what an Alert can hold, so a 1 MB
// body of 330,000 empty frames builds a few hundred of them, not 330,000.
// Each list's custom decoder makes encoding/json validate its bytes again,
// which is why small bodies are not decoded this way.

// header is the part of a delivery read for every resource.
type header struct {
	Action lenientString `json:"action"`
}

// envelope is an event_alert delivery, streamed.
type envelope struct {
	Action lenientString `json:"action"`
	Data   struct {
		Event         *event        `json:"event"`
		TriggeredRule lenientString `json:"triggered_rule"`
	} `json:"data"`
}

// event is data.event of an event_alert, streamed, and what an event is
// reduced to whichever way it was decoded: its lists hold at most what an
// Alert can.
type event struct {
	EventID     lenientString `json:"event_id"`
	IssueID     lenientString `json:"issue_id"`
	Project     lenientString `json:"project"`
	URL         string        `json:"url"`
	WebURL      string        `json:"web_url"`
	Level       lenientString `json:"level"`
	Title       string        `json:"title"`
	Culprit     string        `json:"culprit"`
	Platform    string        `json:"platform"`
	Environment lenientString `json:"environment"`
	Release     lenientString `json:"release"`
	Timestamp   lenientTime   `json:"timestamp"`
	Datetime    lenientTime   `json:"datetime"`
	Hashes      hashList      `json:"hashes"`
	Fingerprint fingerprint   `json:"fingerprint"`
	Metadata    metadata      `json:"metadata"`
	Exception   exceptions    `json:"exception"`
	Stacktrace  stacktrace    `json:"stacktrace"`
	Breadcrumbs breadcrumbs   `json:"breadcrumbs"`
	Tags        tagList       `json:"tags"`
}

// isEventObject reports whether data.event in body is a JSON object.
// encoding/json allocates the *event before it finds that data.event is,
// say, a string, so after a type mismatch Parse asks. Only the first byte
// of the value is looked at; nothing is copied.
func isEventObject(body []byte) bool {
	var probe struct {
		Data struct {
			Event firstByte `json:"event"`
		} `json:"data"`
	}
	_ = json.Unmarshal(body, &probe)
	return probe.Data.Event == '{'
}

// firstByte records the first byte of a JSON value.
type firstByte byte

// UnmarshalJSON never fails; see firstByte.
func (b *firstByte) UnmarshalJSON(data []byte) error {
	if len(data) > 0 {
		*b = firstByte(data[0])
	}
	return nil
}

// smallList is the size under which a list is decoded in one go, which is
// faster than streaming it: whole, it builds at most about 60 times its
// bytes (an empty frame "{}," becomes a 170-byte struct), under 1 MB.
const smallList = 16 << 10

// eachElement calls fn with each element of data, a JSON array that
// encoding/json has already validated, in order, until fn returns false;
// the elements after that are skipped without being built. A long list is
// streamed, one element alive at a time. An element of the wrong type
// reads as far as it matches, as encoding/json does; anything but an
// array is ignored, since the lists using this are lenient.
func eachElement[T any](data []byte, fn func(v *T) (more bool)) {
	data = bytes.TrimLeft(data, " \t\r\n")
	if len(data) == 0 || data[0] != '[' {
		return
	}
	if len(data) <= smallList {
		var all []T
		_ = json.Unmarshal(data, &all)
		for i := range all {
			if !fn(&all[i]) {
				return
			}
		}
		return
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil {
		return
	}
	// One variable for every element: decoding into it allocates it once.
	var (
		v    T
		rest skip
	)
	for dec.More() {
		var zero T
		v = zero
		_ = dec.Decode(&v)
		if !fn(&v) {
			break
		}
	}
	for dec.More() {
		_ = dec.Decode(&rest)
	}
}

// skip is what an element not kept is decoded into: encoding/json walks it
// without building anything.
type skip struct{}

// keepLast appends v to list, and when list has grown to twice max, moves
// its newest max elements to the front: amortised O(1), never more than
// 2*max elements alive.
func keepLast[T any](list []T, v T, max int) []T {
	list = append(list, v)
	if len(list) >= 2*max {
		n := copy(list, list[len(list)-max:])
		clear(list[n:])
		list = list[:n]
	}
	return list
}

// newest returns the newest max elements of list.
func newest[T any](list []T, max int) []T {
	if len(list) > max {
		return list[len(list)-max:]
	}
	return list
}

type metadata struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

type exceptions struct {
	Values exceptionList `json:"values"`
}

// exceptionList is a chain of exceptions, oldest first. Only two are used:
// the last one (the one raised) and the last one with frames; at most
// those two are kept, in order.
type exceptionList []exception

// UnmarshalJSON streams the list; see exceptionList. It never fails.
func (l *exceptionList) UnmarshalJSON(data []byte) error {
	var k exceptionKeeper[exception]
	eachElement(data, func(e *exception) bool {
		k.add(*e, e.Stacktrace != nil && len(e.Stacktrace.Frames) > 0)
		return true
	})
	*l = k.kept()
	return nil
}

// exceptionKeeper keeps what an exceptionList keeps of a chain going by,
// oldest first, whether its elements are streamed or decoded whole.
type exceptionKeeper[E any] struct {
	last, withFrames          E
	n                         int
	haveFrames, lastHasFrames bool
}

func (k *exceptionKeeper[E]) add(e E, hasFrames bool) {
	k.n++
	k.last, k.lastHasFrames = e, hasFrames
	if hasFrames {
		k.withFrames, k.haveFrames = e, true
	}
}

// kept returns the last exception and, in front of it, the last one with
// frames if that is another.
func (k *exceptionKeeper[E]) kept() []E {
	switch {
	case k.n == 0:
		return nil
	case k.haveFrames && !k.lastHasFrames:
		return []E{k.withFrames, k.last}
	}
	return []E{k.last}
}

type exception struct {
	Type       string      `json:"type"`
	Value      string      `json:"value"`
	Stacktrace *stacktrace `json:"stacktrace"`
}

type stacktrace struct {
	Frames frameList `json:"frames"`
}

// frameList is a stack, oldest frame first. It keeps the newest maxFrames
// frames and, if it fell out of those, the newest in-app frame (the one an
// issue names as the crash site) in front of them.
type frameList []frame

// UnmarshalJSON streams the list; see frameList. It never fails.
func (l *frameList) UnmarshalJSON(data []byte) error {
	var k frameKeeper[frame]
	eachElement(data, func(f *frame) bool {
		k.add(*f, f.InApp)
		return true
	})
	*l = k.kept()
	return nil
}

// frameKeeper keeps what a frameList keeps of a stack going by, oldest
// frame first, whether its frames are streamed or decoded whole.
type frameKeeper[F any] struct {
	list      []F
	inApp     F
	haveInApp bool
	n, inAppN int
}

func (k *frameKeeper[F]) add(f F, inApp bool) {
	k.n++
	if inApp {
		k.inApp, k.haveInApp, k.inAppN = f, true, k.n
	}
	k.list = keepLast(k.list, f, maxFrames)
}

// kept returns the newest maxFrames frames, the oldest of them replaced by
// the newest in-app frame if that is not among them.
func (k *frameKeeper[F]) kept() []F {
	kept := newest(k.list, maxFrames)
	if k.haveInApp && k.n-k.inAppN >= len(kept) {
		kept = append([]F{k.inApp}, kept[1:]...)
	}
	return kept
}

type frame struct {
	Filename    string      `json:"filename"`
	AbsPath     string      `json:"abs_path"`
	Module      string      `json:"module"`
	Function    string      `json:"function"`
	Lineno      int         `json:"lineno"`
	Colno       int         `json:"colno"`
	InApp       bool        `json:"in_app"`
	ContextLine string      `json:"context_line"`
	PreContext  preContext  `json:"pre_context"`
	PostContext postContext `json:"post_context"`
}

// preContext is the source lines before a frame's line; the maxContextLines
// nearest it (the last ones) are kept.
type preContext []string

// UnmarshalJSON streams the lines; see preContext. An element that is not
// a string reads as "". It never fails.
func (c *preContext) UnmarshalJSON(data []byte) error {
	var kept []string
	eachElement(data, func(s *string) bool {
		kept = keepLast(kept, *s, maxContextLines)
		return true
	})
	*c = newest(kept, maxContextLines)
	return nil
}

// postContext is the source lines after a frame's line; the first
// maxContextLines are kept.
type postContext []string

// UnmarshalJSON streams the lines; see postContext. It never fails.
func (c *postContext) UnmarshalJSON(data []byte) error {
	var kept []string
	eachElement(data, func(s *string) bool {
		kept = append(kept, *s)
		return len(kept) < maxContextLines
	})
	*c = kept
	return nil
}

// breadcrumbs accepts both {"values": [...]} (what Sentry sends) and a
// bare list (what some SDKs and hand-made test payloads send), and keeps
// the newest maxBreadcrumbs.
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
// breadcrumbs are only lost, they never reject the alert. The values of
// the object shape must be a list: an object there is not read as the
// object shape again, since each level would validate all the levels
// inside it once more (a 100 KB body nesting them took 6 s).
func (b *breadcrumbs) UnmarshalJSON(data []byte) error {
	data = bytes.TrimLeft(data, " \t\r\n")
	if len(data) == 0 {
		return nil
	}
	switch data[0] {
	case '[':
		return (*crumbList)(b).UnmarshalJSON(data)
	case '{':
		var obj struct {
			Values crumbList `json:"values"`
		}
		_ = json.Unmarshal(data, &obj)
		*b = breadcrumbs(obj.Values)
	}
	return nil
}

// crumbList is the list of breadcrumbs, streamed.
type crumbList []crumb

// UnmarshalJSON streams the list, keeping the newest maxBreadcrumbs. It
// never fails.
func (l *crumbList) UnmarshalJSON(data []byte) error {
	var kept []crumb
	eachElement(data, func(c *crumb) bool {
		kept = keepLast(kept, *c, maxBreadcrumbs)
		return true
	})
	*l = newest(kept, maxBreadcrumbs)
	return nil
}

// tagList is data.event.tags; it keeps the first maxTags well-formed tags.
type tagList []tag

// UnmarshalJSON streams the list; see tagList. It never fails.
func (l *tagList) UnmarshalJSON(data []byte) error {
	var kept tagList
	eachElement(data, func(t *tag) bool {
		return kept.keep(t)
	})
	*l = kept
	return nil
}

// keep appends t if it is well-formed, and reports whether l has room for
// more.
func (l *tagList) keep(t *tag) (more bool) {
	if t.ok && t.Key != "" {
		*l = append(*l, *t)
	}
	return len(*l) < maxTags
}

// hashList is data.event.hashes, Sentry's grouping hashes; only the first
// that is not blank is used, and kept.
type hashList []lenientString

// UnmarshalJSON streams the list; see hashList. It never fails.
func (l *hashList) UnmarshalJSON(data []byte) error {
	var kept hashList
	eachElement(data, func(h *lenientString) bool {
		return kept.keep(*h)
	})
	*l = kept
	return nil
}

// keep keeps h if it is the first hash that is not blank, and reports
// whether l still wants one.
func (l *hashList) keep(h lenientString) (more bool) {
	if len(*l) == 0 && strings.TrimSpace(string(h)) != "" {
		*l = hashList{h}
	}
	return len(*l) == 0
}

// fingerprint is data.event.fingerprint, kept as the hash that keys an old
// payload's problem: its parts joined by newlines, hashed as they stream
// by, so a fingerprint of any length costs no memory.
type fingerprint struct {
	// sum is hashPart of the joined parts; "" when there were none, or
	// only Sentry's default ("{{ default }}"), which says nothing.
	sum string
}

// UnmarshalJSON hashes the parts; see fingerprint. It never fails.
func (fp *fingerprint) UnmarshalJSON(data []byte) error {
	var parts fingerprintHash
	eachElement(data, func(part *lenientString) bool {
		parts.add(*part)
		return true
	})
	*fp = parts.fingerprint()
	return nil
}

// fingerprintHash hashes the parts of a fingerprint going by, whether they
// are streamed or decoded whole.
type fingerprintHash struct {
	h      hash.Hash
	custom bool
}

func (f *fingerprintHash) add(part lenientString) {
	if f.h == nil {
		f.h = sha256.New()
	} else {
		f.h.Write([]byte{'\n'})
	}
	f.h.Write([]byte(part))
	if part != "" && strings.ReplaceAll(string(part), " ", "") != "{{default}}" {
		f.custom = true
	}
}

func (f *fingerprintHash) fingerprint() fingerprint {
	if !f.custom {
		return fingerprint{}
	}
	return fingerprint{sum: hex.EncodeToString(f.h.Sum(nil)[:16])}
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
