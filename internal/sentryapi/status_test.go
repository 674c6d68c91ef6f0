package sentryapi

import (
	"encoding/json"
	"testing"
)

func TestIssueIDFromKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key    string
		want   string
		wantOK bool
	}{
		{"sentry:900130", "900130", true},
		{"sentry:1", "1", true},
		{"sentry:9223372036854775807", "9223372036854775807", true},
		{"sentry:9223372036854775808", "", false}, // over int64
		{"sentry:0", "", false},
		{"sentry:0123", "", false},
		{"sentry:", "", false},
		{"sentry:12:abcdef", "", false}, // project and hash: no issue
		{"sentry::abcdef", "", false},
		{"sentry:1e5", "", false},
		{"sentry:-1", "", false},
		{"Sentry:12", "", false},
		{"12", "", false},
		{"github:12", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			t.Parallel()
			got, ok := IssueIDFromKey(tt.key)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("IssueIDFromKey(%q) = %q, %t, want %q, %t", tt.key, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestStatusBodies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status Status
		want   string
		name   string
	}{
		{ResolvedInNextRelease, `{"status":"resolved","statusDetails":{"inNextRelease":true}}`, "resolve in next release"},
		{Resolved, `{"status":"resolved"}`, "resolve"},
		{ArchivedUntilEscalating, `{"status":"ignored","substatus":"archived_until_escalating","statusDetails":{}}`, "archive until escalating"},
		{Unresolved, `{"status":"unresolved","substatus":"ongoing"}`, "unresolve"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := tt.status.body()
			if !ok || string(got) != tt.want {
				t.Errorf("body = %s, %t, want %s", got, ok, tt.want)
			}
			if !json.Valid(got) {
				t.Errorf("body %s is not JSON", got)
			}
			if tt.status.String() != tt.name {
				t.Errorf("String = %q, want %q", tt.status.String(), tt.name)
			}
		})
	}
	if _, ok := Status(0).body(); ok {
		t.Error("Status(0) has a body")
	}
	if got := Status(9).String(); got != "Status(9)" {
		t.Errorf("Status(9).String() = %q", got)
	}
}

func TestClassString(t *testing.T) {
	t.Parallel()
	for c, want := range map[Class]string{Retry: "retry", RateLimited: "rate_limited", Permanent: "permanent", 0: "unknown"} {
		if got := c.String(); got != want {
			t.Errorf("Class(%d).String() = %q, want %q", c, got, want)
		}
	}
	if got := Classify(nil); got != (Failure{}) {
		t.Errorf("Classify(nil) = %+v, want the zero Failure", got)
	}
}
