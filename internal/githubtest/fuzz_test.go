package githubtest_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"booty/internal/githubtest"
)

// FuzzCreateIssueBody feeds arbitrary request bodies to issue creation: the
// stand-in must answer 201, 400 or 422 with a JSON body, never panic, and
// create an issue exactly when it answers 201.
func FuzzCreateIssueBody(f *testing.F) {
	for _, seed := range []string{
		`{"title":"t","body":"b","labels":["agent:builder"]}`,
		`{"title":"t","labels":[{"name":"x"},"y"]}`,
		`{"title":""}`,
		`{"title":null,"body":null,"labels":null}`,
		`{"title":"t","body":"` + strings.Repeat("a", 70000) + `"}`,
		`{"title":"t"} trailing`,
		`{"title":5}`,
		`[]`,
		``,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		s := githubtest.New(githubtest.Options{})
		defer s.Close()
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/repos/octo-org/octo-repo/issues", strings.NewReader(body)))
		switch rec.Code {
		case http.StatusCreated, http.StatusBadRequest, http.StatusUnprocessableEntity:
		default:
			t.Fatalf("got status %d, want 201, 400 or 422", rec.Code)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("answer is not JSON: %q", rec.Body)
		}
		if got, want := len(s.Issues()), map[bool]int{true: 1, false: 0}[rec.Code == http.StatusCreated]; got != want {
			t.Fatalf("status %d left %d issues, want %d", rec.Code, got, want)
		}
	})
}

// FuzzFaultSpec feeds arbitrary bodies to POST /_standin/fail: it must answer
// 200 or 400 and never panic.
func FuzzFaultSpec(f *testing.F) {
	for _, seed := range []string{
		`{"fault":"status","status":500}`,
		`{"fault":"primary_rate_limit","reset":1750000000}`,
		`{"fault":"secondary_rate_limit","retry_after":"30s","count":3,"method":"WRITE","path":"/repos/*/*/issues"}`,
		`{"fault":"too_many"}`,
		`{"fault":"commit_then_fail","status":502}`,
		`{"fault":"hang","hang":"2s"}`,
		`{"fault":"disconnect"}`,
		`{"fault":"status","status":99999}`,
		`{"fault":"hang","hang":"-5s"}`,
		`{}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		s := githubtest.New(githubtest.Options{})
		defer s.Close()
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/_standin/fail", strings.NewReader(body)))
		if rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest {
			t.Fatalf("got status %d, want 200 or 400", rec.Code)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("answer is not JSON: %q", rec.Body)
		}
	})
}
