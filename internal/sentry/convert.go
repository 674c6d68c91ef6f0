package sentry

import (
	"bytes"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"booty/internal/alert"
)

// alert reduces the event to an alert.Alert. ok is false when nothing in
// the event can key its problem.
func (e *event) alert(rule string) (a *alert.Alert, unknownLevel, ok bool) {
	key, ok := e.problemKey()
	if !ok {
		return nil, false, false
	}
	a = &alert.Alert{
		ProblemKey:    key,
		EventID:       eventID(string(e.EventID)),
		SentryIssueID: clip(canonicalID(string(e.IssueID)), maxShort),
		Title:         clip(e.Title, maxField),
		Culprit:       clip(e.Culprit, maxField),
		Platform:      clip(e.Platform, maxShort),
		Release:       clip(string(e.Release), maxField),
		Rule:          clip(rule, maxField),
		Timestamp:     e.Timestamp.t,
		Tags:          tags(e.Tags),
		Breadcrumbs:   crumbs(e.Breadcrumbs),
	}
	if a.Timestamp.IsZero() {
		a.Timestamp = e.Datetime.t
	}

	if slug := projectSlug(e.URL); slug != "" {
		a.Project = slug
	} else {
		a.Project = clip(canonicalID(string(e.Project)), maxShort)
	}

	raw := strings.TrimFunc(string(e.Level), func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) })
	a.Level = alert.SeverityError
	if raw != "" {
		var known bool
		a.Level, known = alert.ParseSeverity(raw)
		if !known {
			a.LevelRaw = clip(raw, maxShort)
			unknownLevel = true
		}
	}

	a.Environment = clip(string(e.Environment), maxField)
	if a.Environment == "" {
		a.Environment = a.TagValue("environment")
	}
	// Sentry sends "yes"; a hand-edited or relayed sample may shout it.
	a.Sample = strings.EqualFold(strings.TrimSpace(a.TagValue("sample_event")), "yes")

	if u, ok := httpURL(e.WebURL); ok {
		a.EventURL = e.WebURL
		a.IssueURL = issueURL(u)
	}

	e.exception(a)
	return a, unknownLevel, true
}

// eventID returns Sentry's event id (32 hex digits) as sent, or its hash
// when it holds anything else: the id is what dedup matches on, so it is
// kept out of redaction and must not be able to carry text.
func eventID(s string) string {
	if s = strings.TrimSpace(s); s == "" {
		return ""
	}
	return keyPart(s)
}

// exception fills the exception fields and frames of a. Sentry lists
// chained exceptions oldest first: the last one is the one raised.
func (e *event) exception(a *alert.Alert) {
	vals := e.Exception.Values
	if n := len(vals); n > 0 {
		a.ExceptionType = clip(vals[n-1].Type, maxField)
		a.ExceptionValue = clip(vals[n-1].Value, maxField)
	}
	if a.ExceptionType == "" {
		a.ExceptionType = clip(e.Metadata.Type, maxField)
	}
	if a.ExceptionValue == "" {
		a.ExceptionValue = clip(e.Metadata.Value, maxField)
	}
	fs := []frame(e.Stacktrace.Frames)
	for i := len(vals) - 1; i >= 0; i-- {
		if st := vals[i].Stacktrace; st != nil && len(st.Frames) > 0 {
			fs = []frame(st.Frames)
			break
		}
	}
	a.Frames = frames(fs)
}

// frames converts Sentry's frames, keeping its order (crashing frame last)
// and the newest maxFrames.
func frames(fs []frame) []alert.Frame {
	if len(fs) == 0 {
		return nil
	}
	if len(fs) > maxFrames {
		fs = fs[len(fs)-maxFrames:]
	}
	out := make([]alert.Frame, len(fs))
	for i := range fs {
		f := &fs[i]
		pre := f.PreContext
		if len(pre) > maxContextLines {
			pre = pre[len(pre)-maxContextLines:] // the lines nearest the crash
		}
		post := f.PostContext
		if len(post) > maxContextLines {
			post = post[:maxContextLines]
		}
		out[i] = alert.Frame{
			Filename:    clip(f.Filename, maxField),
			AbsPath:     clip(f.AbsPath, maxField),
			Module:      clip(f.Module, maxField),
			Function:    clip(f.Function, maxField),
			Lineno:      f.Lineno,
			Colno:       f.Colno,
			InApp:       f.InApp,
			ContextLine: clip(f.ContextLine, maxField),
			PreContext:  clipAll([]string(pre)),
			PostContext: clipAll([]string(post)),
		}
	}
	return out
}

// crumbs converts the newest maxBreadcrumbs breadcrumbs, in order.
func crumbs(bs []crumb) []alert.Breadcrumb {
	if len(bs) == 0 {
		return nil
	}
	if len(bs) > maxBreadcrumbs {
		bs = bs[len(bs)-maxBreadcrumbs:]
	}
	out := make([]alert.Breadcrumb, len(bs))
	for i := range bs {
		b := &bs[i]
		out[i] = alert.Breadcrumb{
			Timestamp: b.Timestamp.t,
			Type:      clip(b.Type, maxShort),
			Category:  clip(b.Category, maxShort),
			Level:     clip(string(b.Level), maxShort),
			Message:   clip(b.Message, maxField),
		}
		if out[i].Message == "" {
			out[i].Data = renderData(b.Data)
		}
	}
	return out
}

// renderData renders a breadcrumb's data object as "k=v" pairs in key
// order, e.g. "from=/ to=/" for a navigation. Strings are shown bare, other
// values as compact JSON.
func renderData(raw json.RawMessage) string {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 || raw[0] != '{' {
		return ""
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil || len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var sb strings.Builder
	var compact bytes.Buffer
	for _, k := range keys {
		if sb.Len() >= maxCrumbData {
			break
		}
		v := m[k]
		var s string
		if len(v) > 0 && v[0] == '"' {
			s = unquote(v)
		} else {
			compact.Reset()
			if json.Compact(&compact, v) != nil {
				continue
			}
			s = compact.String()
		}
		if sb.Len() > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(clip(k, maxShort))
		sb.WriteByte('=')
		sb.WriteString(clip(s, maxCrumbData))
	}
	return clip(sb.String(), maxCrumbData)
}

// tags keeps the first maxTags well-formed tags.
func tags(ts []tag) []alert.Tag {
	var out []alert.Tag
	for i := range ts {
		if len(out) == maxTags {
			break
		}
		t := &ts[i]
		if !t.ok || t.Key == "" {
			continue
		}
		if out == nil {
			out = make([]alert.Tag, 0, min(len(ts), maxTags))
		}
		out = append(out, alert.Tag{Key: clip(t.Key, maxShort), Value: clip(t.Value, maxField)})
	}
	return out
}

// projectSlug returns <slug> from an event API URL
// .../api/0/projects/<org>/<slug>/events/<id>/, or "".
func projectSlug(apiURL string) string {
	const marker = "/api/0/projects/"
	i := strings.Index(apiURL, marker)
	if i < 0 {
		return ""
	}
	_, rest, ok := strings.Cut(apiURL[i+len(marker):], "/")
	if !ok {
		return ""
	}
	slug, rest, ok := strings.Cut(rest, "/")
	if !ok || !strings.HasPrefix(rest, "events/") || len(slug) > maxShort || !isKeyText(slug) {
		return ""
	}
	return slug
}

// maxURL bounds the URLs kept; a longer one is dropped, not cut, since a
// cut URL points somewhere else.
const maxURL = 2048

// httpURL parses s and reports whether it is an absolute http(s) URL
// without credentials or characters that could break out of markup.
func httpURL(s string) (*url.URL, bool) {
	if s == "" || len(s) > maxURL {
		return nil, false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f || strings.IndexByte("\"'<>\\^`{|}", c) >= 0 {
			return nil, false
		}
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.Opaque != "" {
		return nil, false
	}
	if sch := strings.ToLower(u.Scheme); sch != "http" && sch != "https" {
		return nil, false
	}
	return u, true
}

// issueURL derives the Sentry issue page from an event page by cutting
// /events/<id>/: .../issues/<n>/events/<id>/ becomes .../issues/<n>/. It
// returns "" for any other shape.
func issueURL(event *url.URL) string {
	p := strings.TrimSuffix(event.Path, "/")
	i := strings.LastIndex(p, "/events/")
	if i < 0 {
		return ""
	}
	id, issue := p[i+len("/events/"):], p[:i]
	j := strings.LastIndex(issue, "/issues/")
	if id == "" || strings.Contains(id, "/") || j < 0 || j+len("/issues/") == len(issue) {
		return ""
	}
	u := url.URL{Scheme: event.Scheme, Host: event.Host, Path: issue + "/"}
	return u.String()
}

// clip returns s without NUL bytes (PostgreSQL text cannot hold them) and
// cut to at most n bytes on a rune boundary. A cut string is copied so the
// Alert does not pin a large payload in memory.
func clip(s string, n int) string {
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return strings.Clone(s[:i])
}

// clipAll clips each line of a context list.
func clipAll(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = clip(s, maxField)
	}
	return out
}
