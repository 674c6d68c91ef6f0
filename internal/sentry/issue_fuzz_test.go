package sentry

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParseIssue parses arbitrary `issue` deliveries: no panic, only
// *PayloadErrors, and an Issue, when set, of a known kind and within
// bounds, the same every time.
func FuzzParseIssue(f *testing.F) {
	for _, name := range issueFixtures {
		f.Add(issueFixture(f, name))
	}
	f.Add([]byte(`{"action":"unresolved","actor":{"type":"application","id":"sentry"},"data":{"issue":{"id":1e3,"substatus":"ongoing"}}}`))
	f.Add([]byte(`{"action":"resolved","data":{"resolution_type":"with_commit","issue":{"id":"7","statusDetails":{"inCommit":{"id":"abc"}}}}}`))
	f.Add([]byte(`{"action":"assigned","data":{"assignee":{"type":"team","name":"a@b"},"issue":{"id":"7","assignedTo":"x"}}}`))
	f.Add([]byte(`{"action":"archived","data":{"issue":{"id":"1-->","web_url":"javascript:x","permalink":"https://s.example/i/1/"}}}`))
	f.Add([]byte(`{"action":"created","data":{"issue":"x"}}`))
	f.Add([]byte(`{"action":"created","data":{"issue":{"id":null}}}`))
	f.Add([]byte(`{"action":"created","data":[]}`))
	f.Add([]byte(`not json`))
	f.Add([]byte(`{}`))

	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := Parse("issue", body)
		if err != nil {
			var pe *PayloadError
			if !errors.As(err, &pe) || d != nil {
				t.Fatalf("Parse = %+v, %v (%T); want only a *PayloadError", d, err, err)
			}
			return
		}
		checkIssueDelivery(t, d)
		again, err := Parse("issue", body)
		if err != nil {
			t.Fatalf("second Parse: %v", err)
		}
		if diff := cmp.Diff(d, again); diff != "" {
			t.Fatalf("Parse is not deterministic (-first +second):\n%s", diff)
		}
	})
}

// fuzzIssueFields are the fields FuzzParseIssueField replaces: the ones
// Parse reads, as paths from the body ("issue." is under data).
var fuzzIssueFields = [...]string{
	"action", "actor", "data.resolution_type", "data.assignee", "data.actor", "data.issue",
	"issue.id", "issue.title", "issue.level", "issue.status", "issue.substatus", "issue.web_url",
	"issue.permalink", "issue.firstSeen", "issue.lastSeen", "issue.project", "issue.statusDetails",
	"issue.assignedTo",
}

// FuzzParseIssueField puts an arbitrary value into one field of a real
// issue delivery, so the fuzzer explores the lenient decoding instead of
// JSON syntax. A value that is not JSON goes in as a string. Only a
// replaced action, issue or id can make the delivery ignored or rejected.
func FuzzParseIssueField(f *testing.F) {
	f.Add(uint8(0), uint8(0), []byte(`"archived"`))
	f.Add(uint8(4), uint8(1), []byte(`{"type":"application","id":"sentry"}`))
	f.Add(uint8(1), uint8(2), []byte(`"in_commit"`))
	f.Add(uint8(2), uint8(3), []byte(`{"type":"team","name":"ops"}`))
	f.Add(uint8(3), uint8(6), []byte(`1638821441`))
	f.Add(uint8(4), uint8(10), []byte(`"escalating"`))
	f.Add(uint8(1), uint8(16), []byte(`{"inRelease":7,"inCommit":{"commit":"f00d"},"inNextRelease":"yes"}`))
	f.Add(uint8(2), uint8(17), []byte(`{"type":"user","name":"x@y.z"}`))
	f.Add(uint8(0), uint8(13), []byte(`1566248777.677`))
	f.Add(uint8(0), uint8(11), []byte(`"https://sentry.io/organizations/o/issues/1/"`))
	f.Fuzz(func(t *testing.T, file, field uint8, value []byte) {
		name := issueFixtures[int(file)%len(issueFixtures)]
		path := fuzzIssueFields[int(field)%len(fuzzIssueFields)]
		var v any = string(value)
		if json.Valid(value) {
			v = json.RawMessage(value)
		}
		body := issueBody(t, name, func(body, issue map[string]any) {
			switch parent, key, _ := strings.Cut(path, "."); parent {
			case "data":
				body["data"].(map[string]any)[key] = v
			case "issue":
				issue[key] = v
			default:
				body[path] = v
			}
		})
		d, err := Parse("issue", body)
		if err != nil {
			var pe *PayloadError
			if !errors.As(err, &pe) || len(pe.Missing) == 0 {
				t.Fatalf("Parse = %v, want only a *PayloadError naming what is missing", err)
			}
			if path != "data.issue" && path != "issue.id" {
				t.Fatalf("replacing %s made Parse fail: %v", path, err)
			}
			return
		}
		checkIssueDelivery(t, d)
		if d.Issue == nil && path != "action" {
			t.Fatalf("replacing %s made the delivery ignored", path)
		}
	})
}
