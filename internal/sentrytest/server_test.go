package sentrytest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// answer is one raw answer of the stand-in.
type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// call sends one request to s; auth "" sends none, "-" s's token.
func call(t *testing.T, s *Server, method, path, auth, contentType, body string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, strings.TrimSuffix(s.URL, "/")+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth == "-" {
		auth = "Bearer " + s.Token
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

func TestUpdateChangesTheIssue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want Issue
	}{
		{"resolve in next release", `{"status":"resolved","statusDetails":{"inNextRelease":true}}`,
			Issue{Status: "resolved", StatusDetails: map[string]any{"inNextRelease": true}}},
		{"resolvedInNextRelease status", `{"status":"resolvedInNextRelease"}`,
			Issue{Status: "resolved", StatusDetails: map[string]any{"inNextRelease": true}}},
		{"resolve", `{"status":"resolved"}`, Issue{Status: "resolved", StatusDetails: map[string]any{}}},
		{"archive until escalating", `{"status":"ignored","substatus":"archived_until_escalating","statusDetails":{}}`,
			Issue{Status: "ignored", Substatus: "archived_until_escalating", StatusDetails: map[string]any{}}},
		{"archive without substatus is forever", `{"status":"ignored"}`,
			Issue{Status: "ignored", Substatus: "archived_forever", StatusDetails: map[string]any{}}},
		{"unresolve", `{"status":"unresolved","substatus":"ongoing"}`,
			Issue{Status: "unresolved", Substatus: "ongoing", StatusDetails: map[string]any{}}},
		{"empty body changes nothing", `{}`,
			Issue{Status: "ignored", Substatus: "archived_forever", StatusDetails: map[string]any{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := New(t, Options{Issues: []string{"42"}})
			// Start from an archived issue so every change shows.
			if a := call(t, s, "PUT", s.IssuePath("42"), "-", "application/json", `{"status":"ignored"}`); a.status != 200 {
				t.Fatalf("setup answered %d %s", a.status, a.raw)
			}
			a := call(t, s, "PUT", s.IssuePath("42"), "-", "application/json", tt.body)
			if a.status != http.StatusOK {
				t.Fatalf("answered %d %s, want 200", a.status, a.raw)
			}
			got, ok := s.Issue("42")
			if !ok {
				t.Fatal("issue 42 is gone")
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("issue (-want +got):\n%s", diff)
			}
			if a.body["id"] != "42" || a.body["status"] != tt.want.Status {
				t.Errorf("answer %s, want id 42 and status %s", a.raw, tt.want.Status)
			}
			if a.header.Get("X-Sentry-Rate-Limit-Remaining") == "" {
				t.Error("answer has no X-Sentry-Rate-Limit-Remaining")
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		method      string
		path        string
		auth        string
		contentType string
		body        string
		wantStatus  int
		wantBody    map[string]any
	}{
		{"no credentials", "PUT", "/api/0/organizations/booty-org/issues/42/", "", "application/json", `{}`,
			401, map[string]any{"detail": detailNoCredentials}},
		{"wrong token", "PUT", "/api/0/organizations/booty-org/issues/42/", "Bearer nope", "application/json", `{}`,
			401, map[string]any{"detail": detailBadToken}},
		{"token without Bearer", "PUT", "/api/0/organizations/booty-org/issues/42/", DefaultToken, "application/json", `{}`,
			401, map[string]any{"detail": detailBadToken}},
		{"other org", "PUT", "/api/0/organizations/other/issues/42/", "-", "application/json", `{}`,
			404, map[string]any{"detail": detailNotFound}},
		{"unknown issue", "PUT", "/api/0/organizations/booty-org/issues/43/", "-", "application/json", `{}`,
			404, map[string]any{"detail": detailNotFound}},
		{"old path", "PUT", "/api/0/issues/42/", "-", "application/json", `{}`,
			404, map[string]any{"detail": detailNotFound}},
		{"no trailing slash", "PUT", "/api/0/organizations/booty-org/issues/42", "-", "application/json", `{}`,
			301, nil},
		{"POST", "POST", "/api/0/organizations/booty-org/issues/42/", "-", "application/json", `{}`,
			405, map[string]any{"detail": `Method "POST" not allowed.`}},
		{"not JSON content", "PUT", "/api/0/organizations/booty-org/issues/42/", "-", "text/plain", `{}`,
			415, map[string]any{"detail": `Unsupported media type "text/plain" in request.`}},
		{"unknown status", "PUT", "/api/0/organizations/booty-org/issues/42/", "-", "application/json", `{"status":"fixed"}`,
			400, map[string]any{"status": []any{`"fixed" is not a valid choice.`}}},
		{"status not a string", "PUT", "/api/0/organizations/booty-org/issues/42/", "-", "application/json", `{"status":1}`,
			400, map[string]any{"status": []any{`"1" is not a valid choice.`}}},
		{"unknown substatus", "PUT", "/api/0/organizations/booty-org/issues/42/", "-", "application/json", `{"status":"ignored","substatus":"later"}`,
			400, map[string]any{"substatus": []any{`"later" is not a valid choice.`}}},
		{"substatus of another status", "PUT", "/api/0/organizations/booty-org/issues/42/", "-", "application/json", `{"status":"unresolved","substatus":"archived_until_escalating"}`,
			400, map[string]any{"substatus": []any{`"archived_until_escalating" is not a valid substatus for status "unresolved".`}}},
		{"statusDetails not an object", "PUT", "/api/0/organizations/booty-org/issues/42/", "-", "application/json", `{"status":"resolved","statusDetails":true}`,
			400, map[string]any{"statusDetails": map[string]any{"non_field_errors": []any{"Invalid data. Expected a dictionary, but got bool."}}}},
		{"inNextRelease not a boolean", "PUT", "/api/0/organizations/booty-org/issues/42/", "-", "application/json", `{"status":"resolved","statusDetails":{"inNextRelease":"yes"}}`,
			400, map[string]any{"statusDetails": map[string]any{"inNextRelease": []any{"Must be a valid boolean."}}}},
		{"body not an object", "PUT", "/api/0/organizations/booty-org/issues/42/", "-", "application/json", `[]`,
			400, map[string]any{"non_field_errors": []any{"Invalid data. Expected a dictionary, but got list."}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := New(t, Options{Issues: []string{"42"}})
			a := call(t, s, tt.method, tt.path, tt.auth, tt.contentType, tt.body)
			if a.status != tt.wantStatus {
				t.Fatalf("answered %d %s, want %d", a.status, a.raw, tt.wantStatus)
			}
			if tt.wantBody != nil {
				if diff := cmp.Diff(tt.wantBody, a.body); diff != "" {
					t.Errorf("body (-want +got):\n%s", diff)
				}
			}
			if tt.wantStatus == 301 && a.header.Get("Location") != tt.path+"/" {
				t.Errorf("Location %q, want %q", a.header.Get("Location"), tt.path+"/")
			}
			got, _ := s.Issue("42")
			if got.Status != "unresolved" || got.Substatus != "ongoing" {
				t.Errorf("refused request changed the issue to %+v", got)
			}
		})
	}
}

func TestNoReleases(t *testing.T) {
	t.Parallel()
	s := New(t, Options{Issues: []string{"7"}, NoReleases: true})
	a := call(t, s, "PUT", s.IssuePath("7"), "-", "application/json", `{"status":"resolved","statusDetails":{"inNextRelease":true}}`)
	want := map[string]any{"statusDetails": map[string]any{"inNextRelease": []any{detailNoRelease}}}
	if a.status != 400 {
		t.Fatalf("answered %d %s, want 400", a.status, a.raw)
	}
	if diff := cmp.Diff(want, a.body); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
	s.SetNoReleases(false)
	if a := call(t, s, "PUT", s.IssuePath("7"), "-", "application/json", `{"status":"resolvedInNextRelease"}`); a.status != 200 {
		t.Errorf("with a release answered %d %s, want 200", a.status, a.raw)
	}
}

func TestGetAndDelete(t *testing.T) {
	t.Parallel()
	s := New(t, Options{Org: "acme", Token: "tok"})
	s.AddIssue("9")
	a := call(t, s, "GET", "/api/0/organizations/acme/issues/9/", "Bearer tok", "", "")
	if a.status != 200 || a.body["status"] != "unresolved" || a.body["substatus"] != "ongoing" {
		t.Errorf("GET answered %d %s, want 200 unresolved ongoing", a.status, a.raw)
	}
	s.DeleteIssue("9")
	if a := call(t, s, "GET", "/api/0/organizations/acme/issues/9/", "Bearer tok", "", ""); a.status != 404 {
		t.Errorf("GET after delete answered %d, want 404", a.status)
	}
	if _, ok := s.Issue("9"); ok {
		t.Error("Issue(9) found after DeleteIssue")
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	reset := time.Unix(2000000000, 0)
	tests := []struct {
		name       string
		fault      Fault
		wantStatus int
		wantHeader map[string]string
		wantRaw    string
	}{
		{"502", Status(502), 502, nil, `{"detail":"Bad Gateway"}` + "\n"},
		{"403 detail", Status(403), 403, nil, `{"detail":"You do not have permission to perform this action."}` + "\n"},
		{"own detail", Fault{Status: 400, Detail: "no"}, 400, nil, `{"detail":"no"}` + "\n"},
		{"raw body", Fault{Status: 502, Body: "<html>bad gateway</html>"}, 502, nil, "<html>bad gateway</html>"},
		{"rate limited", RateLimited("7", reset), 429, map[string]string{
			"Retry-After": "7", "X-Sentry-Rate-Limit-Remaining": "0", "X-Sentry-Rate-Limit-Reset": "2000000000",
		}, ""},
		{"rate limited without Retry-After", RateLimited("", reset), 429, map[string]string{
			"Retry-After": "", "X-Sentry-Rate-Limit-Remaining": "0",
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := New(t, Options{Issues: []string{"1"}})
			s.FailNext(1, tt.fault)
			a := call(t, s, "PUT", s.IssuePath("1"), "-", "application/json", `{"status":"resolved"}`)
			if a.status != tt.wantStatus {
				t.Fatalf("answered %d %s, want %d", a.status, a.raw, tt.wantStatus)
			}
			for k, v := range tt.wantHeader {
				if got := a.header.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
			if tt.fault.Header == nil && a.header.Get("X-Sentry-Rate-Limit-Limit") != "" {
				t.Error("a fault's answer has the stand-in's rate limit headers")
			}
			if tt.wantRaw != "" && a.raw != tt.wantRaw {
				t.Errorf("body %q, want %q", a.raw, tt.wantRaw)
			}
			if is, _ := s.Issue("1"); is.Status != "unresolved" {
				t.Errorf("faulted request changed the issue to %+v", is)
			}
			// Used up: the next request goes through.
			if a := call(t, s, "PUT", s.IssuePath("1"), "-", "application/json", `{"status":"resolved"}`); a.status != 200 {
				t.Errorf("after the fault answered %d %s, want 200", a.status, a.raw)
			}
		})
	}
}

func TestFailNextCountsAndOrder(t *testing.T) {
	t.Parallel()
	s := New(t, Options{Issues: []string{"1"}})
	s.FailNext(2, Status(500))
	s.FailNext(1, Status(503))
	s.FailNext(0, Status(400)) // nothing
	s.FailNext(3, Fault{})     // nothing
	var got []int
	for range 4 {
		got = append(got, call(t, s, "PUT", s.IssuePath("1"), "-", "application/json", `{}`).status)
	}
	if diff := cmp.Diff([]int{500, 500, 503, 200}, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}

func TestDisconnectAndDown(t *testing.T) {
	t.Parallel()
	s := New(t, Options{Issues: []string{"1"}})
	s.FailNext(1, Disconnect())
	req, _ := http.NewRequestWithContext(t.Context(), "PUT", strings.TrimSuffix(s.URL, "/")+s.IssuePath("1"), strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+s.Token)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("Disconnect answered %d, want a connection error", resp.StatusCode)
	}
	s.SetDown(true)
	if a := call(t, s, "PUT", s.IssuePath("1"), "-", "application/json", `{"status":"resolved"}`); a.status != 503 || !strings.Contains(a.raw, "503") {
		t.Errorf("down answered %d %q, want 503 and a page", a.status, a.raw)
	}
	s.SetDown(false)
	if a := call(t, s, "PUT", s.IssuePath("1"), "-", "application/json", `{"status":"resolved"}`); a.status != 200 {
		t.Errorf("back up answered %d, want 200", a.status)
	}
	reqs := s.Requests()
	var statuses []int
	for _, r := range reqs {
		statuses = append(statuses, r.Status)
	}
	if diff := cmp.Diff([]int{0, 503, 200}, statuses); diff != "" {
		t.Errorf("recorded statuses (-want +got):\n%s", diff)
	}
}

func TestRequestsAndCount(t *testing.T) {
	t.Parallel()
	s := New(t, Options{Issues: []string{"1", "2"}})
	call(t, s, "PUT", s.IssuePath("1"), "-", "application/json", `{"status":"resolved"}`)
	call(t, s, "PUT", s.IssuePath("2"), "-", "application/json", `{"status":"ignored"}`)
	call(t, s, "GET", s.IssuePath("2"), "-", "", "")
	reqs := s.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests recorded, want 3", len(reqs))
	}
	want := Request{Method: "PUT", Path: s.IssuePath("1"), Body: `{"status":"resolved"}`,
		Authorization: "Bearer " + s.Token, ContentType: "application/json", Status: 200}
	if diff := cmp.Diff(want, reqs[0]); diff != "" {
		t.Errorf("first request (-want +got):\n%s", diff)
	}
	for _, c := range []struct {
		method, path string
		want         int
	}{
		{"", "", 3}, {"PUT", "", 2}, {"GET", "", 1}, {"", s.IssuePath("2"), 2}, {"PUT", s.IssuePath("2"), 1}, {"DELETE", "", 0},
	} {
		if got := s.Count(c.method, c.path); got != c.want {
			t.Errorf("Count(%q, %q) = %d, want %d", c.method, c.path, got, c.want)
		}
	}
}
