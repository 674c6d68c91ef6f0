package sentry

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestFixturesDecodeFast checks the premise of the fast decode: Sentry's
// event alerts are read by it, not left to the lenient decode.
func TestFixturesDecodeFast(t *testing.T) {
	t.Parallel()
	for _, name := range []string{docsFixture, vueFixture} {
		for _, body := range [][]byte{fixture(t, name), readFile(t, name)} {
			if _, ok := decodeFast(body); !ok {
				t.Errorf("%s: the fast decode gave up on it", name)
			}
			checkFast(t, body)
		}
	}
}

// TestFastMatchesUnmarshal holds the fast decode to json.Unmarshal's
// result on the bodies the other decodes are compared on, and on the
// cases it must give up on or read exactly as encoding/json does.
func TestFastMatchesUnmarshal(t *testing.T) {
	t.Parallel()
	bodies := equivalenceBodies(t)
	event := func(fields string) []byte {
		return []byte(`{"action":"triggered","data":{"event":{"issue_id":"1",` + fields + `}}}`)
	}
	for name, body := range map[string][]byte{
		"escaped key":         event(`"titl\u0065":"t"`),
		"key in upper case":   event(`"TITLE":"t"`),
		"key folded":          event("\"tag\u017f\":[[\"a\",\"b\"]]"),
		"key twice":           event(`"title":"a","title":"b"`),
		"lists twice":         event(`"stacktrace":{"frames":[{"lineno":1}],"frames":[{}]}`),
		"unknown keys":        event(`"contexts":{"a":[1,{"b":null}]},"x-y":true,"fingerprints":1`),
		"non-ASCII key":       event(`"Ünï":"x"`),
		"escapes":             event(`"title":"a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00","culprit":"\ud800"`),
		"invalid UTF-8":       event("\"title\":\"a\xffb\",\"culprit\":\"\xc3\""),
		"control character":   event("\"title\":\"a\x01\""),
		"nulls":               event(`"title":null,"level":null,"timestamp":null,"metadata":null,"exception":null,"stacktrace":null,"breadcrumbs":null,"tags":null,"hashes":null`),
		"null elements":       event(`"tags":[null,["a",null]],"exception":{"values":[null,{"stacktrace":null}]},"breadcrumbs":{"values":[null,{"data":null}]}`),
		"empty lists":         event(`"tags":[],"hashes":[],"exception":{"values":[]},"stacktrace":{"frames":[{"pre_context":[],"post_context":[null]}]}`),
		"numbers":             event(`"stacktrace":{"frames":[{"lineno":-0,"colno":12}]},"release":-1.5E+3,"project":0e0,"level":1`),
		"number as float":     event(`"stacktrace":{"frames":[{"lineno":1.0}]}`),
		"number too large":    event(`"stacktrace":{"frames":[{"lineno":99999999999999999999}]}`),
		"bad numbers":         event(`"release":01`),
		"lone minus":          event(`"release":-`),
		"type mismatches":     event(`"title":7,"stacktrace":{"frames":[{"in_app":"yes"}]}`),
		"lenient shapes":      event(`"release":true,"environment":{"a":1},"level":[1],"timestamp":"1566248777.677","datetime":false`),
		"crumb data":          event(`"breadcrumbs":{"values":[{"data":{ "a" : [1, 2] },"timestamp":1685358510.5},{"data":"s"}]}`),
		"event not an object": []byte(`{"action":"triggered","data":{"event":[1]}}`),
		"event null":          []byte(`{"action":"triggered","data":{"event":null}}`),
		"data null":           []byte(`{"action":"triggered","data":null}`),
		"top level list":      []byte(`[{"action":"triggered"}]`),
		"trailing bytes":      []byte(`{"action":"triggered"} x`),
		"trailing whitespace": []byte(" \t\r\n{\"action\" : \"triggered\" } \n"),
		"unterminated":        []byte(`{"action":"triggered","data":{"event":{"title":"t`),
		"deep nesting":        event(`"contexts":` + strings.Repeat("[", 600) + strings.Repeat("]", 600)),
		"bad literal":         event(`"contexts":tru`),
		"bad escape":          event(`"title":"\x"`),
	} {
		bodies[name] = body
	}
	// Strings whose quote, escape, control or non-ASCII byte falls at
	// every place of the words the decode reads a string by.
	for n := range 18 {
		text := strings.Repeat("a", n)
		bodies[fmt.Sprintf("%d-byte string", n)] = event(`"title":"` + text + `","culprit":"` + text + `\n",` +
			`"platform":"` + text + "\u00e9" + `","release":"` + text + "\xff" + `"`)
		bodies[fmt.Sprintf("%d-byte string, control", n)] = event(`"title":"` + text + "\x1f" + `"`)
	}
	// What it must read itself (exactly as encoding/json, checkFast says),
	// and what it must refuse, leaving the body to the lenient decode:
	// type mismatches and what is not JSON.
	reads := []string{"unknown keys", "escapes", "invalid UTF-8", "nulls", "null elements", "empty lists",
		"numbers", "lenient shapes", "crumb data", "event null", "data null", "trailing whitespace",
		"escaped key", "key in upper case", "key folded", "key twice", "lists twice", "non-ASCII key", "deep nesting"}
	leaves := []string{"control character", "number as float", "number too large", "bad numbers", "lone minus", "type mismatches",
		"top level list", "event not an object", "trailing bytes", "unterminated", "bad literal", "bad escape"}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			checkFast(t, body)
			_, ok := decodeFast(body)
			if (slices.Contains(reads, name) || strings.HasSuffix(name, "-byte string")) && !ok {
				t.Errorf("the fast decode gave up on %s", name)
			}
			if (slices.Contains(leaves, name) || strings.HasSuffix(name, ", control")) && ok {
				t.Errorf("the fast decode read %s, which it must leave to encoding/json", name)
			}
		})
	}
}

// checkFast fails when the fast decode reads body, and json.Unmarshal
// does not read it, or reads it otherwise.
func checkFast(t *testing.T, body []byte) {
	t.Helper()
	fast, ok := decodeFast(body)
	if !ok {
		return
	}
	var want wholeEnvelope
	if err := json.Unmarshal(body, &want); err != nil {
		t.Fatalf("the fast decode read a body json.Unmarshal did not (%v): %.300q", err, body)
	}
	if !reflect.DeepEqual(fast, want) {
		t.Fatalf("the fast decode read %.300q\nas  %+v\nnot %+v", body, fast, want)
	}
	if fast.Data.Event != nil && !reflect.DeepEqual(fast.Data.Event, want.Data.Event) {
		t.Fatalf("events differ:\n%+v\n%+v", *fast.Data.Event, *want.Data.Event)
	}
}

// FuzzFastMatchesUnmarshal checks, for any body, that the fast decode
// either gives up or reads what json.Unmarshal reads.
func FuzzFastMatchesUnmarshal(f *testing.F) {
	for _, name := range []string{docsFixture, vueFixture} {
		f.Add(fixture(f, name))
	}
	f.Add([]byte(`{"action":"triggered","data":{"event":{"issue_id":"1","tags":[["k","v"],["x"]],"breadcrumbs":{"values":[{"message":"m","data":null}]}}}}`))
	f.Add([]byte(`{"action":"triggered","data":{"event":{"issue_id":1e3,"exception":{"values":[{"stacktrace":{"frames":[{"in_app":true,"lineno":3},{}]}},{"type":"E"}]}}}}`))
	f.Add([]byte(`{"action":"triggered","data":{"event":{"project":3,"hashes":[""," ","h"],"fingerprint":["{{ default }}",null],"title":"\u00e9\n"}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		checkFast(t, body)
	})
}
