package alert

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParsePolicy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want Policy
	}{
		{"defaults", nil, Policy{
			OnResolve: ChoiceComment, OnArchive: ChoiceComment, OnRegression: RegressionReopen,
			ReopenWindow: 30 * 24 * time.Hour, OnRepeat: RepeatComment,
		}},
		{"every variable", map[string]string{
			"OBSV_ON_RESOLVE": "close", "OBSV_ON_ARCHIVE": "ignore", "OBSV_ON_REGRESSION": "new_issue",
			"OBSV_REOPEN_WINDOW_DAYS": "7", "OBSV_ON_REPEAT": "update", "OBSV_SYNC_SENTRY": "true",
		}, Policy{
			OnResolve: ChoiceClose, OnArchive: ChoiceIgnore, OnRegression: RegressionNewIssue,
			ReopenWindow: 7 * 24 * time.Hour, OnRepeat: RepeatUpdate, SyncSentry: true,
		}},
		{"case and spaces", map[string]string{"OBSV_ON_RESOLVE": " Close ", "OBSV_SYNC_SENTRY": "1"}, Policy{
			OnResolve: ChoiceClose, OnArchive: ChoiceComment, OnRegression: RegressionReopen,
			ReopenWindow: DefaultReopenWindow, OnRepeat: RepeatComment, SyncSentry: true,
		}},
		{"empty is the default", map[string]string{"OBSV_ON_ARCHIVE": "", "OBSV_REOPEN_WINDOW_DAYS": " "}, DefaultPolicy()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParsePolicy(env(tt.env))
			if err != nil {
				t.Fatalf("ParsePolicy: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePolicyErrors(t *testing.T) {
	t.Parallel()
	_, err := ParsePolicy(env(map[string]string{
		"OBSV_ON_RESOLVE":         "reopen",
		"OBSV_ON_ARCHIVE":         "comment",
		"OBSV_ON_REGRESSION":      "new-issue",
		"OBSV_REOPEN_WINDOW_DAYS": "0",
		"OBSV_ON_REPEAT":          strings.Repeat("x", 100),
		"OBSV_SYNC_SENTRY":        "maybe",
	}))
	var errs PolicyErrors
	if !errors.As(err, &errs) {
		t.Fatalf("error %v (%T), want PolicyErrors", err, err)
	}
	var vars []string
	for _, e := range errs {
		vars = append(vars, e.Var)
		if len(e.Value) > 50 {
			t.Errorf("%s: value %s not cut short", e.Var, e.Value)
		}
	}
	want := []string{"OBSV_ON_RESOLVE", "OBSV_ON_REGRESSION", "OBSV_ON_REPEAT", "OBSV_REOPEN_WINDOW_DAYS", "OBSV_SYNC_SENTRY"}
	if diff := cmp.Diff(want, vars); diff != "" {
		t.Errorf("bad variables (-want +got):\n%s", diff)
	}
	if msg := err.Error(); !strings.Contains(msg, `OBSV_ON_RESOLVE="reopen": want one of comment, close, ignore`) {
		t.Errorf("error %q does not say what OBSV_ON_RESOLVE takes", msg)
	}
}

func TestParsePolicyWindowBounds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		days   string
		wantOK bool
	}{
		{"1", true}, {"3650", true}, {"0", false}, {"-1", false}, {"3651", false}, {"1.5", false}, {"30d", false},
	}
	for _, tt := range tests {
		_, err := ParsePolicy(env(map[string]string{"OBSV_REOPEN_WINDOW_DAYS": tt.days}))
		if (err == nil) != tt.wantOK {
			t.Errorf("OBSV_REOPEN_WINDOW_DAYS=%s: err = %v, want ok %t", tt.days, err, tt.wantOK)
		}
	}
}

// TestZeroPolicyIsDefault checks that Step treats Policy{} as the
// defaults, so a caller that forgets the policy still reopens.
func TestZeroPolicyIsDefault(t *testing.T) {
	t.Parallel()
	if diff := cmp.Diff(DefaultPolicy(), Policy{}.withDefaults()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// FuzzParsePolicy checks that any value either parses or is named in the
// error, and that an error never carries more than a short value.
func FuzzParsePolicy(f *testing.F) {
	for _, s := range []string{"", "comment", "close", "ignore", "new_issue", "update", "30", "true", "\x00", "ünïcode"} {
		f.Add(s)
	}
	vars := []string{"OBSV_ON_RESOLVE", "OBSV_ON_ARCHIVE", "OBSV_ON_REGRESSION", "OBSV_REOPEN_WINDOW_DAYS", "OBSV_ON_REPEAT", "OBSV_SYNC_SENTRY"}
	f.Fuzz(func(t *testing.T, v string) {
		for _, name := range vars {
			p, err := ParsePolicy(env(map[string]string{name: v}))
			if err == nil {
				if p.ReopenWindow < 24*time.Hour {
					t.Fatalf("%s=%q: window %v", name, v, p.ReopenWindow)
				}
				continue
			}
			var errs PolicyErrors
			if !errors.As(err, &errs) || len(errs) != 1 || errs[0].Var != name {
				t.Fatalf("%s=%q: error %v, want one PolicyError for it", name, v, err)
			}
			if len(errs[0].Value) > 4*40+10 {
				t.Fatalf("%s=%q: value in error is %d bytes", name, v, len(errs[0].Value))
			}
		}
	})
}
