package sentrytest

import (
	"net/http"
	"slices"
	"testing"
)

// FuzzUpdate checks that any body gets Sentry's answer, 200 or 400, and
// that a refused one leaves the issue as it was.
func FuzzUpdate(f *testing.F) {
	for _, b := range []string{
		`{"status":"resolved","statusDetails":{"inNextRelease":true}}`,
		`{"status":"ignored","substatus":"archived_until_escalating","statusDetails":{}}`,
		`{"status":"unresolved","substatus":"ongoing"}`,
		`{"status":"resolvedInNextRelease"}`,
		`{"status":null}`, `{"substatus":"new"}`, `[]`, `"x"`, ``, `{"statusDetails":{"untilEscalating":true},"status":"ignored"}`,
	} {
		f.Add([]byte(b), false)
		f.Add([]byte(b), true)
	}
	f.Fuzz(func(t *testing.T, body []byte, noReleases bool) {
		before := Issue{Status: "unresolved", Substatus: "ongoing", StatusDetails: map[string]any{}}
		next, status, errBody := update(before, body, noReleases)
		switch {
		case status == http.StatusOK && errBody == nil:
			if next.StatusDetails == nil {
				t.Fatalf("update(%q) left StatusDetails nil", body)
			}
			if subs, ok := substatusesOf[next.Status]; ok && !slices.Contains(subs, next.Substatus) {
				t.Fatalf("update(%q) = %+v: substatus does not fit the status", body, next)
			}
		case status == http.StatusBadRequest && errBody != nil:
			if next.Status != before.Status || next.Substatus != before.Substatus {
				t.Fatalf("refused update(%q) changed the issue to %+v", body, next)
			}
		default:
			t.Fatalf("update(%q) = status %d, error body %v", body, status, errBody)
		}
	})
}
