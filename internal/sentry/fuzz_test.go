package sentry

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"booty/internal/alert"
)

func FuzzParse(f *testing.F) {
	entries, err := os.ReadDir(fixtureDir)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".json") {
			continue
		}
		resource, _, _ := strings.Cut(name, ".")
		f.Add(resource, fixture(f, name))
		f.Add("", fixture(f, name))
	}
	f.Add("issue", issueFixture(f, regressedFixture))
	f.Add("event_alert", []byte(`{"action":"triggered","data":{"event":{"hashes":["a"],"tags":{"k":1},"breadcrumbs":[{"data":{"a":1}}]}}}`))
	f.Add("event_alert", []byte(`{"action":"triggered","data":{"event":{"issue_id":1e999,"fingerprint":["x",null]}}}`))
	f.Add("event_alert", []byte(`{"action":"triggered","data":{"event":"x"}}`))
	f.Add("event_alert", []byte(`not json`))
	f.Add("event_alert", []byte(`{}`))
	f.Add("event_alert", []byte(`{"action":"triggered","data":{"event":{"issue_id":900130.0,"level":"debug\u0000","tags":[["sample_event","YES"]]}}}`))
	f.Add("event_alert", []byte(`{"action":"triggered","data":{"event":{"issue_id":"1","stacktrace":{"frames":[{},{},{"in_app":true},{}]},"hashes":["",""]}}}`))

	f.Fuzz(func(t *testing.T, resource string, body []byte) {
		d, err := Parse(resource, body)
		if err != nil {
			var pe *PayloadError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse error %v (%T), want a *PayloadError", err, err)
			}
			if d != nil {
				t.Fatalf("Parse returned delivery %+v with error %v", d, err)
			}
			return
		}
		if (d.Alert != nil) == (d.Ignore != "") {
			t.Fatalf("got Alert set %t and Ignore %q, want exactly one", d.Alert != nil, d.Ignore)
		}
		if d.Resource == resourceIssue {
			checkIssueDelivery(t, d)
		} else if d.Issue != nil {
			t.Fatalf("got an Issue for resource %q", d.Resource)
		}
		if d.Alert == nil {
			return
		}
		checkAlert(t, d.Alert)
		again, err := Parse(resource, body)
		if err != nil {
			t.Fatalf("second Parse: %v", err)
		}
		if diff := cmp.Diff(d, again); diff != "" {
			t.Fatalf("Parse is not deterministic (-first +second):\n%s", diff)
		}
	})
}

// checkAlert asserts the bounds Parse promises for any input.
func checkAlert(t *testing.T, a *alert.Alert) {
	t.Helper()
	if !keyRE.MatchString(a.ProblemKey) || len(a.ProblemKey) > 256 {
		t.Fatalf("got key %q, want %s and at most 256 bytes", a.ProblemKey, keyRE)
	}
	if len(a.Frames) > maxFrames || len(a.Breadcrumbs) > maxBreadcrumbs || len(a.Tags) > maxTags {
		t.Fatalf("got %d frames, %d breadcrumbs, %d tags; want at most %d, %d, %d",
			len(a.Frames), len(a.Breadcrumbs), len(a.Tags), maxFrames, maxBreadcrumbs, maxTags)
	}
	for _, u := range []string{a.EventURL, a.IssueURL} {
		if u != "" && !strings.HasPrefix(strings.ToLower(u), "http://") && !strings.HasPrefix(strings.ToLower(u), "https://") {
			t.Fatalf("got URL %q, want http(s) or none", u)
		}
	}
	strs := []string{a.EventID, a.SentryIssueID, a.Project, a.LevelRaw, a.Title, a.ExceptionType,
		a.ExceptionValue, a.Culprit, a.Platform, a.Environment, a.Release, a.Rule}
	for _, f := range a.Frames {
		if len(f.PreContext) > maxContextLines || len(f.PostContext) > maxContextLines {
			t.Fatalf("got %d+%d context lines, want at most %d each side", len(f.PreContext), len(f.PostContext), maxContextLines)
		}
		strs = append(strs, f.Filename, f.AbsPath, f.Module, f.Function, f.ContextLine)
		strs = append(strs, f.PreContext...)
		strs = append(strs, f.PostContext...)
	}
	for _, b := range a.Breadcrumbs {
		strs = append(strs, b.Type, b.Category, b.Level, b.Message, b.Data)
	}
	for _, tg := range a.Tags {
		strs = append(strs, tg.Key, tg.Value)
	}
	for _, s := range strs {
		if len(s) > maxField || !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			t.Fatalf("got field %.40q... of %d bytes, want at most %d bytes of valid UTF-8 without NUL", s, len(s), maxField)
		}
	}
}

// fuzzFields are the data.event fields FuzzParseField replaces: the ones
// Parse reads.
var fuzzFields = [...]string{
	"issue_id", "project", "level", "tags", "breadcrumbs", "exception", "stacktrace", "web_url", "url",
	"timestamp", "datetime", "hashes", "fingerprint", "release", "environment", "title", "metadata", "event_id",
}

// FuzzParseField puts an arbitrary value into one field of a real event, so
// the fuzzer explores the lenient decoding instead of JSON syntax. A value
// that is not JSON goes in as a string.
func FuzzParseField(f *testing.F) {
	f.Add(uint8(0), []byte(`4214010673`), false)
	f.Add(uint8(1), []byte(`"my-project"`), true)
	f.Add(uint8(2), []byte(`"WARN"`), false)
	f.Add(uint8(3), []byte(`[["k","v"],{"key":"environment","value":"x"},["sample_event","yes"]]`), false)
	f.Add(uint8(4), []byte(`[{"timestamp":"2023-05-29T11:08:30Z","data":{"to":"/x","n":[1]}}]`), false)
	f.Add(uint8(5), []byte(`{"values":[{"type":"E","stacktrace":{"frames":[{"lineno":3,"in_app":true}]}}]}`), false)
	f.Add(uint8(6), []byte(`{"frames":[{"function":"main","pre_context":["a",null]}]}`), true)
	f.Add(uint8(7), []byte(`"https://sentry.io/organizations/o/issues/1/events/2/"`), false)
	f.Add(uint8(8), []byte(`"https://sentry.io/api/0/projects/o/p/events/2/"`), true)
	f.Add(uint8(9), []byte(`1685358510.821`), false)
	f.Add(uint8(11), []byte(`["abc",7]`), true)
	f.Add(uint8(12), []byte(`["{{ default }}","x"]`), true)
	base := fixture(f, vueFixture)
	f.Fuzz(func(t *testing.T, field uint8, value []byte, pre2021 bool) {
		var m map[string]any
		if err := json.Unmarshal(base, &m); err != nil {
			t.Fatal(err)
		}
		ev := eventOf(t, m)
		if pre2021 {
			delete(ev, "issue_id")
		}
		if json.Valid(value) {
			ev[fuzzFields[int(field)%len(fuzzFields)]] = json.RawMessage(value)
		} else {
			ev[fuzzFields[int(field)%len(fuzzFields)]] = string(value)
		}
		body, err := json.Marshal(m)
		if err != nil {
			t.Skip() // a value encoding/json will not re-encode
		}
		d, err := Parse("event_alert", body)
		if err != nil {
			var pe *PayloadError
			if !errors.As(err, &pe) || len(pe.Missing) == 0 {
				t.Fatalf("Parse = %v, want only a *PayloadError naming what is missing", err)
			}
			return
		}
		if d.Alert == nil {
			t.Fatalf("Parse ignored a triggered event alert: %q", d.Ignore)
		}
		checkAlert(t, d.Alert)
	})
}
