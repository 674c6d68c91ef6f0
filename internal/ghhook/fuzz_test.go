package ghhook

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func FuzzParse(f *testing.F) {
	entries, err := os.ReadDir(fixtureDir)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		event, body := fixture(f, e.Name())
		f.Add(event, body)
		f.Add("star", body)
	}
	f.Add("issues", []byte(`{"action":"edited","issue":{"number":1,"body":"<!-- booty:problem=a%2 -->"},"changes":{"body":{"from":"<!-- booty:problem=a -->"}}}`))
	f.Add("issues", []byte(`{"issue":{"number":1e999}}`))
	f.Add("pull_request", []byte(`{"pull_request":{"head":null}}`))
	f.Add("ping", []byte(`{"hook":{"events":[null,1]}}`))
	f.Add("", []byte(`{}`))
	f.Add("issues", []byte(`not json`))

	f.Fuzz(func(t *testing.T, event string, body []byte) {
		e, err := Parse(event, body)
		if err != nil {
			if _, ok := errors.AsType[*PayloadError](err); !ok {
				t.Fatalf("Parse error %v (%T), want a *PayloadError", err, err)
			}
			if e != nil {
				t.Fatalf("Parse returned %+v with error %v", e, err)
			}
			return
		}
		checkBounded(t, e)
		var want Kind
		switch {
		case e.Issue != nil:
			want = KindIssues
		case e.PullRequest != nil:
			want = KindPullRequest
		case e.Ping != nil:
			want = KindPing
		default:
			want = KindIgnored
		}
		if e.Kind != want {
			t.Fatalf("Kind %q with Issue %t, PullRequest %t, Ping %t", e.Kind, e.Issue != nil, e.PullRequest != nil, e.Ping != nil)
		}
		if e.Issue != nil && e.Issue.MarkerRemoved && e.Issue.PreviousProblemKey == "" {
			t.Fatal("MarkerRemoved without a PreviousProblemKey")
		}
		again, err := Parse(event, body)
		if err != nil {
			t.Fatalf("second Parse: %v", err)
		}
		if diff := cmp.Diff(e, again); diff != "" {
			t.Fatalf("Parse is not deterministic (-first +second):\n%s", diff)
		}
	})
}

func FuzzVerify(f *testing.F) {
	secret := []byte("It's a Secret to Everybody")
	body := []byte("Hello, World!")
	f.Add(body, Sign(secret, body))
	f.Add(body, "sha256=")
	f.Add(body, "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1")
	f.Add([]byte{}, "")
	f.Fuzz(func(t *testing.T, body []byte, header string) {
		err := Verify(secret, body, header)
		if err != nil && !errors.Is(err, ErrInvalidSignature) {
			t.Fatalf("Verify error %v, want one matching ErrInvalidSignature", err)
		}
		if err == nil && !strings.EqualFold(strings.TrimSpace(header), Sign(secret, body)) {
			t.Fatalf("Verify accepted %q for a body signed %q", header, Sign(secret, body))
		}
		if err := Verify(secret, body, Sign(secret, body)); err != nil {
			t.Fatalf("Verify of Sign: %v", err)
		}
	})
}
