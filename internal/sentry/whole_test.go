package sentry

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFixturesDecodeWhole checks the premise of the one-pass decode:
// Sentry's event alerts have the shapes its plain types take, so they are
// decoded once, not again by the streaming decoder.
func TestFixturesDecodeWhole(t *testing.T) {
	t.Parallel()
	for _, name := range []string{docsFixture, vueFixture} {
		body := fixture(t, name)
		if !decodeWhole(body) {
			t.Errorf("%s: has too many elements for the one-pass decode", name)
		}
		var env wholeEnvelope
		typeErr, err := decodeLenient(body, &env)
		if err != nil || typeErr {
			t.Errorf("%s: one-pass decode: type mismatch %t, error %v; want neither", name, typeErr, err)
		}
	}
}

// TestWholeMatchesStreaming parses the real payloads, one with each field
// of its event replaced by values of every shape, and the long lists of
// the bound tests, both in one pass and streamed: the deliveries must be
// equal.
func TestWholeMatchesStreaming(t *testing.T) {
	t.Parallel()
	for name, body := range equivalenceBodies(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if json.Valid(body) == (name == "not JSON") {
				t.Fatalf("test body valid JSON %t: %.200s", json.Valid(body), body)
			}
			for _, resource := range []string{"event_alert", ""} {
				checkPaths(t, resource, body)
			}
		})
	}
}

// equivalenceBodies are the bodies that the ways of decoding must read
// alike: the real payloads, one with each field of its event replaced by
// values of every shape, and the long lists of the bound tests.
func equivalenceBodies(t *testing.T) map[string][]byte {
	t.Helper()
	bodies := map[string][]byte{}
	entries, err := os.ReadDir(fixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if name := e.Name(); strings.HasSuffix(name, ".json") {
			bodies[name] = fixture(t, name)
			bodies[name+" pretty"] = readFile(t, name)
		}
	}
	values := []string{
		`null`, `7`, `-1.5e3`, `"s"`, `""`, `true`, `{}`, `[]`, `[null]`, `[7,"x",{}]`,
		`{"values":[{"type":"E","value":"v","stacktrace":{"frames":[{"function":"f","in_app":true,"pre_context":["a","b"]}]}},{"type":"W"}]}`,
		`{"values":[{"message":"m","timestamp":"2023-05-29T11:08:30Z"},{"data":{"to":"/x"}}]}`,
		`{"values":{"values":[]}}`, `{"frames":[{"lineno":"3"},{"colno":2,"post_context":[1,"a"]}]}`,
		`[["k","v"],["environment","prod"],["only"],["a","b","c"],{"key":"k","value":1},null,["sample_event","yes"]]`,
		`[["k",{"x":1}],[1,2]]`, `[["k","v"],["only"],["a","b","c"],null,[],["",""]]`, `["abc",null,""]`, `["{{ default }}"]`, `{"type":"T","value":"V"}`,
	}
	base := fixtureMap(t, vueFixture)
	for _, field := range fuzzFields {
		for _, v := range values {
			m := fixtureMap(t, docsFixture)
			eventOf(t, m)[field] = json.RawMessage(v)
			bodies[field+"="+v] = mustMarshal(t, m)
		}
	}
	delete(eventOf(t, base), "issue_id")
	bodies["pre-2021"] = mustMarshal(t, base)
	bodies["frames"] = listBody("stacktrace", `{"frames":`+repeat(600, `{"function":"f%d","in_app":false}`)+`},"issue_id":"1"`)
	bodies["in-app frame"] = listBody("stacktrace", `{"frames":[{"function":"crash","in_app":true},`+
		strings.TrimPrefix(repeat(300, `{"function":"lib%d"}`), "[")+`},"issue_id":"1"`)
	bodies["breadcrumbs"] = listBody("breadcrumbs", `{"values":`+repeat(300, `{"message":"m%d"}`)+`},"issue_id":"1"`)
	bodies["tags"] = listBody("tags", repeat(300, `["k%d","v"]`)+`,"issue_id":"1"`)
	bodies["context lines"] = listBody("stacktrace", `{"frames":[{"pre_context":`+repeat(40, `"l%d"`)+
		`,"post_context":`+repeat(40, `"l%d"`)+`}]},"issue_id":"1"`)
	bodies["hashes"] = listBody("hashes", `["","  ","abc","def"]`)
	bodies["fingerprint"] = listBody("fingerprint", repeat(50, `"p%d"`))
	bodies["not JSON"] = []byte(`{"action":"triggered","data":`)
	return bodies
}

// checkPaths parses body both ways and fails on any difference.
func checkPaths(t *testing.T, resource string, body []byte) {
	t.Helper()
	type result struct {
		D   *Delivery
		Err string
	}
	run := func(whole bool) result {
		d, err := parse(resource, body, whole)
		r := result{D: d}
		if err != nil {
			r.Err = err.Error()
		}
		return r
	}
	if diff := cmp.Diff(run(false), run(true)); diff != "" {
		t.Errorf("resource %q: streamed vs one pass (-streamed +whole):\n%s", resource, diff)
	}
}

// FuzzWholeMatchesStreaming checks, for any body, that the one-pass
// decode keeps exactly what streaming keeps. A body that gives a key twice
// in one object is skipped: encoding/json decodes the second list into the
// first one's elements, which a streamed list cannot do, and Sentry never
// sends one.
func FuzzWholeMatchesStreaming(f *testing.F) {
	for _, name := range []string{docsFixture, vueFixture} {
		f.Add("event_alert", fixture(f, name))
	}
	f.Add("event_alert", []byte(`{"action":"triggered","data":{"event":{"issue_id":"1","tags":[["k","v"],["x"]],"breadcrumbs":{"values":[{"message":"m"}]}}}}`))
	f.Add("event_alert", []byte(`{"action":"triggered","data":{"event":{"issue_id":"1","exception":{"values":[{"stacktrace":{"frames":[{"in_app":true},{}]}},{"type":"E"}]}}}}`))
	f.Add("", []byte(`{"action":"triggered","data":{"event":{"project":3,"hashes":[""," ","h"],"fingerprint":["{{ default }}","x"]}}}`))
	f.Fuzz(func(t *testing.T, resource string, body []byte) {
		if repeatsKey(body) {
			t.Skip()
		}
		checkPaths(t, resource, body)
	})
}

// repeatsKey reports whether an object in body, JSON or not, has two keys
// that encoding/json takes for one field.
func repeatsKey(body []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	type level struct {
		object bool
		keys   []string
		atKey  bool
	}
	var stack []*level
	for {
		tok, err := dec.Token()
		if err != nil {
			return false // the end, or not JSON
		}
		var top *level
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if top != nil && top.object {
				top.atKey = true
			}
			stack = append(stack, &level{object: tok == json.Delim('{'), atKey: true})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			continue
		}
		if top == nil || !top.object {
			continue
		}
		if top.atKey {
			key := tok.(string)
			for _, k := range top.keys {
				if strings.EqualFold(k, key) {
					return true
				}
			}
			top.keys = append(top.keys, key)
		}
		top.atKey = !top.atKey
	}
}

// TestRepeatsKey pins the helper the fuzz target relies on.
func TestRepeatsKey(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]bool{
		`{"a":1,"b":{"a":2},"c":[{"a":1},{"a":2}]}`: false,
		`{"a":1,"b":2,"A":3}`:                       true,
		`{"a":{"x":[1,{"y":1,"Y":2}]}}`:             true,
		`{"a":[],"b":{},"a":{}}`:                    true,
		`[{"k":"k"},{"k":"k"}]`:                     false,
		`not json`:                                  false,
	} {
		if got := repeatsKey([]byte(body)); got != want {
			t.Errorf("repeatsKey(%s) = %t, want %t", body, got, want)
		}
	}
}

// TestParseWholeMemoryBound parses the body with the most empty frames the
// one-pass decode takes, its worst case: it must stay bounded like the
// streaming decode of a 1 MB body.
func TestParseWholeMemoryBound(t *testing.T) {
	body := emptyFramesBody(t, maxWholeElements-16)
	if !decodeWhole(body) {
		t.Fatal("test body is not decoded in one pass")
	}
	const bound = 6 << 20
	got := parseAllocs(t, body)
	if got > bound {
		t.Errorf("Parse allocated %d KB, want under %d MB", got>>10, bound>>20)
	}
	if decodeWhole(emptyFramesBody(t, maxWholeElements+1)) {
		t.Error("a body of more elements is decoded in one pass, want it streamed")
	}
}
