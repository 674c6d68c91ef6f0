package sentry

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"booty/internal/alert"
)

// keyRE is the shape every problem key must have: it goes into an HTML
// comment in an issue body and into SQL.
var keyRE = regexp.MustCompile(`^sentry:[A-Za-z0-9:._-]+$`)

func TestParseFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file     string
		resource string
		action   string
		ignore   alert.Reason
	}{
		{docsFixture, "event_alert", "triggered", ""},
		{vueFixture, "event_alert", "triggered", ""},
		{"comment.created.json", "comment", "created", alert.ReasonNotEventAlert},
		{"error.created.json", "error", "created", alert.ReasonNotEventAlert},
		{"installation.created.json", "installation", "created", alert.ReasonNotEventAlert},
		{"issue.assigned.json", "issue", "assigned", alert.ReasonNotEventAlert},
		{"issue.created.json", "issue", "created", alert.ReasonNotEventAlert},
		{"issue.ignored.json", "issue", "ignored", alert.ReasonNotEventAlert},
		{"issue.resolved.json", "issue", "resolved", alert.ReasonNotEventAlert},
		{"issue.unresolved.regressed.json", "issue", "unresolved", alert.ReasonNotEventAlert},
		{"metric_alert.critical.json", "metric_alert", "critical", alert.ReasonNotEventAlert},
		{"metric_alert.resolved.json", "metric_alert", "resolved", alert.ReasonNotEventAlert},
		{"seer.pr_created.json", "seer", "pr_created", alert.ReasonNotEventAlert},
		{"seer.root_cause_completed.json", "seer", "root_cause_completed", alert.ReasonNotEventAlert},
	}

	// Every fixture is listed, so a new one cannot go untested.
	entries, err := os.ReadDir(fixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	listed := make(map[string]bool)
	for _, tt := range tests {
		listed[tt.file] = true
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") && !listed[e.Name()] {
			t.Errorf("fixture %s is not in the table", e.Name())
		}
	}

	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			// Sentry sends compact JSON; the pretty-printed file must parse
			// the same.
			for _, body := range [][]byte{fixture(t, tt.file), readFile(t, tt.file)} {
				d, err := Parse(tt.resource, body)
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if d.Resource != tt.resource || d.Action != tt.action || d.Ignore != tt.ignore {
					t.Errorf("got resource %q action %q ignore %q, want %q %q %q",
						d.Resource, d.Action, d.Ignore, tt.resource, tt.action, tt.ignore)
				}
				if got, want := d.Alert != nil, tt.ignore == ""; got != want {
					t.Errorf("got Alert set %t, want %t", got, want)
				}
			}
		})
	}
}

// sha256Hex32 is the documented hash of key parts: the first 32 hex digits
// of SHA-256. Keys are stored, so it must never change.
func sha256Hex32(s string) string {
	return fmt.Sprintf("%x", sha256.Sum256([]byte(s)))[:32]
}

func readFile(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(fixtureDir + "/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestParseDocsEventAlert(t *testing.T) {
	t.Parallel()
	d, err := Parse("event_alert", fixture(t, docsFixture))
	if err != nil {
		t.Fatal(err)
	}
	const jsbin = "https://static.jsbin.com/js/prod/runner-4.1.7.min.js"
	want := &alert.Alert{
		ProblemKey:     "sentry:1117540176",
		EventID:        "e4874d664c3540c1a32eab185f12c5ab",
		SentryIssueID:  "1117540176",
		Project:        "front-end",
		Level:          alert.SeverityError,
		Title:          "ReferenceError: heck is not defined",
		ExceptionType:  "ReferenceError",
		ExceptionValue: "heck is not defined",
		Culprit:        "?(<anonymous>)",
		Platform:       "javascript",
		Rule:           "Very Important Alert Rule!",
		Timestamp:      time.Date(2019, 8, 19, 21, 6, 17, 677000000, time.UTC),
		EventURL:       "https://sentry.io/organizations/test-org/issues/1117540176/events/e4874d664c3540c1a32eab185f12c5ab/",
		IssueURL:       "https://sentry.io/organizations/test-org/issues/1117540176/",
		Frames: []alert.Frame{
			{
				Filename: "/js/prod/runner-4.1.7.min.js", AbsPath: jsbin, Module: "prod/runner-4.1.7",
				Lineno: 1, Colno: 10866,
				ContextLine: `{snip} e(a.old),a.active=b,e(a.target,b),setTimeout(function(){c&&c();for(var b,d=a.target.getElementsByTagName("iframe"),e=d.length,f=0,g=a.active {snip}`,
			},
			{
				Filename: "/js/prod/runner-4.1.7.min.js", AbsPath: jsbin, Module: "prod/runner-4.1.7",
				Lineno: 1, Colno: 13924,
				ContextLine: `{snip} e){i._raw("error",e&&e.stack?e.stack:a+" (line "+c+")")},c.write(f),c.close(),b.postMessage("complete"),k.wrap(e,a.options)})},b["console:ru {snip}`,
			},
			{Filename: "<anonymous>", AbsPath: "<anonymous>", Lineno: 3, Colno: 5},
		},
		Tags: []alert.Tag{
			{Key: "browser", Value: "Chrome 75.0.3770"},
			{Key: "browser.name", Value: "Chrome"},
			{Key: "handled", Value: "no"},
			{Key: "level", Value: "error"},
			{Key: "mechanism", Value: "onerror"},
			{Key: "os", Value: "Mac OS X 10.14.0"},
			{Key: "os.name", Value: "Mac OS X"},
			{Key: "user", Value: "ip:162.217.75.90"},
			{Key: "url", Value: "https://null.jsbin.com/runner"},
		},
	}
	if diff := cmp.Diff(&Delivery{Resource: "event_alert", Action: "triggered", Alert: want}, d); diff != "" {
		t.Errorf("Parse mismatch (-want +got):\n%s", diff)
	}
}

func TestParseVueEventAlert(t *testing.T) {
	t.Parallel()
	d, err := Parse("event_alert", fixture(t, vueFixture))
	if err != nil {
		t.Fatal(err)
	}
	a := d.Alert
	if a == nil {
		t.Fatalf("Parse: no alert, ignore %q", d.Ignore)
	}
	type summary struct {
		Key, Project, Environment, Release, Rule string
		Level                                    alert.Severity
		ExceptionType, ExceptionValue            string
		EventURL, IssueURL                       string
		Timestamp                                time.Time
		Frames                                   int
		FirstFunction, CrashFunction             string
		CrashLineno, CrashColno                  int
		Tags                                     int
		Sample                                   bool
	}
	crash, _ := a.CrashFrame()
	got := summary{
		Key: a.ProblemKey, Project: a.Project, Environment: a.Environment, Release: a.Release, Rule: a.Rule,
		Level: a.Level, ExceptionType: a.ExceptionType, ExceptionValue: a.ExceptionValue,
		EventURL: a.EventURL, IssueURL: a.IssueURL, Timestamp: a.Timestamp,
		Frames: len(a.Frames), FirstFunction: a.Frames[0].Function, CrashFunction: crash.Function,
		CrashLineno: crash.Lineno, CrashColno: crash.Colno,
		Tags: len(a.Tags), Sample: a.Sample,
	}
	want := summary{
		Key:            "sentry:4214010673",
		Project:        "javascript-vue-new",
		Environment:    "production",
		Rule:           "vue-alert",
		Level:          alert.SeverityError,
		ExceptionType:  "TypeError",
		ExceptionValue: "Cannot read properties of null (reading 'insertBefore')",
		EventURL:       "https://sentry.io/organizations/nitk-46/issues/4214010673/events/292f78454e774e62999506f759ad791d/",
		IssueURL:       "https://sentry.io/organizations/nitk-46/issues/4214010673/",
		Timestamp:      time.Date(2023, 5, 29, 11, 8, 30, 821000000, time.UTC),
		Frames:         16,
		FirstFunction:  "flushJobs",
		CrashFunction:  "insert",
		CrashLineno:    9134,
		CrashColno:     12,
		Tags:           11,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse mismatch (-want +got):\n%s", diff)
	}
	// The crashing frame is the last one, as Sentry sends it.
	if last := a.Frames[len(a.Frames)-1]; last.Function != "insert" || last.Lineno != 9134 || !last.InApp {
		t.Errorf("last frame = %+v, want insert at line 9134, in app", last)
	}

	ts := func(f float64) time.Time { return time.UnixMicro(int64(f * 1e6)).UTC() }
	wantCrumbs := []alert.Breadcrumb{
		{Timestamp: ts(1685358510.768), Type: "default", Category: "console", Level: "warning",
			Message: "[@sentry/vue]: Misconfigured SDK. Vue app is already mounted. Make sure to call `app.mount()` after `Sentry.init()`."},
		{Timestamp: ts(1685358510.768), Type: "default", Category: "console", Level: "warning",
			Message: "[Vue warn]: Plugin has already been applied to target app."},
		{Timestamp: ts(1685358510.769), Type: "default", Category: "console", Level: "warning",
			Message: "[Vue warn]: App has already been mounted.\nIf you want to remount the same app, move your app creation logic into a factory function and create fresh app instances for each mount - e.g. `const createMyApp = () => createApp(App)`"},
		{Timestamp: ts(1685358510.769), Type: "default", Category: "navigation", Level: "info", Data: "from=/ to=/"},
		{Timestamp: ts(1685358510.778), Type: "default", Category: "console", Level: "warning",
			Message: "[Vue warn]: Unhandled error during execution of scheduler flush. This is likely a Vue internals bug. Please open an issue at https://new-issue.vuejs.org/?repo=vuejs/core \n  at <HomeView onVnodeUnmounted=fn<onVnodeUnmounted> ref=Ref< viewRef > > \n  at <RouterView> \n  at <App>"},
	}
	if diff := cmp.Diff(wantCrumbs, a.Breadcrumbs); diff != "" {
		t.Errorf("breadcrumbs mismatch (-want +got):\n%s", diff)
	}
}

// variant parses the vue fixture after edit has changed its data.event.
func variant(t *testing.T, edit func(ev map[string]any)) (*Delivery, error) {
	t.Helper()
	m := fixtureMap(t, vueFixture)
	edit(eventOf(t, m))
	return Parse("event_alert", mustMarshal(t, m))
}

// mustAlert is variant for edits that must still give an alert.
func mustAlert(t *testing.T, edit func(ev map[string]any)) (*alert.Alert, *Delivery) {
	t.Helper()
	d, err := variant(t, edit)
	if err != nil {
		t.Fatalf("Parse: %v, want an alert", err)
	}
	if d.Alert == nil {
		t.Fatalf("Parse: ignore %q, want an alert", d.Ignore)
	}
	return d.Alert, d
}

func TestParseTolerates(t *testing.T) {
	t.Parallel()
	// Each edit leaves a valid alert; check looks at what the edit touched.
	tests := []struct {
		name  string
		edit  func(ev map[string]any)
		check func(t *testing.T, a *alert.Alert)
	}{
		{"every optional field null", func(ev map[string]any) {
			for k := range ev {
				if k != "issue_id" {
					ev[k] = nil
				}
			}
		}, func(t *testing.T, a *alert.Alert) {
			want := &alert.Alert{ProblemKey: "sentry:4214010673", SentryIssueID: "4214010673", Level: alert.SeverityError, Rule: "vue-alert"}
			if diff := cmp.Diff(want, a); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		}},
		{"every optional field missing", func(ev map[string]any) {
			for k := range ev {
				if k != "issue_id" {
					delete(ev, k)
				}
			}
		}, func(t *testing.T, a *alert.Alert) {
			want := &alert.Alert{ProblemKey: "sentry:4214010673", SentryIssueID: "4214010673", Level: alert.SeverityError, Rule: "vue-alert"}
			if diff := cmp.Diff(want, a); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		}},
		{"every optional field of the wrong type", func(ev map[string]any) {
			for k, v := range ev {
				switch v.(type) {
				case string:
					if k != "issue_id" {
						ev[k] = map[string]any{"x": 1}
					}
				case []any, map[string]any:
					ev[k] = 12.5
				case float64:
					ev[k] = []any{"x"}
				}
			}
		}, func(t *testing.T, a *alert.Alert) {
			if a.ProblemKey != "sentry:4214010673" || a.Title != "" || len(a.Frames) != 0 || len(a.Tags) != 0 {
				t.Errorf("got key %q title %q, %d frames, %d tags; want sentry:4214010673 and nothing else",
					a.ProblemKey, a.Title, len(a.Frames), len(a.Tags))
			}
		}},
		{"issue_id as a number", func(ev map[string]any) { ev["issue_id"] = 4214010673 },
			func(t *testing.T, a *alert.Alert) {
				if a.ProblemKey != "sentry:4214010673" || a.SentryIssueID != "4214010673" {
					t.Errorf("got key %q issue id %q, want sentry:4214010673, 4214010673", a.ProblemKey, a.SentryIssueID)
				}
			}},
		{"issue_id with other characters is hashed", func(ev map[string]any) { ev["issue_id"] = "12 <b>--></b>" },
			func(t *testing.T, a *alert.Alert) {
				if want := "sentry:" + sha256Hex32("12 <b>--></b>"); a.ProblemKey != want {
					t.Errorf("got key %q, want %q", a.ProblemKey, want)
				}
			}},
		{"issue_id with a colon is hashed", func(ev map[string]any) { ev["issue_id"] = "1:2" },
			func(t *testing.T, a *alert.Alert) {
				if want := "sentry:" + sha256Hex32("1:2"); a.ProblemKey != want {
					t.Errorf("got key %q, want %q", a.ProblemKey, want)
				}
			}},
		{"tags as objects, malformed tags skipped", func(ev map[string]any) {
			ev["tags"] = []any{
				map[string]any{"key": "environment", "value": "staging"},
				[]any{"only-key"},
				"loose",
				[]any{"answer", 42},
				[]any{"a", "b", "c"},
				nil,
				[]any{"sample_event", "yes"},
			}
			delete(ev, "environment")
		}, func(t *testing.T, a *alert.Alert) {
			want := []alert.Tag{{Key: "environment", Value: "staging"}, {Key: "answer", Value: "42"}, {Key: "sample_event", Value: "yes"}}
			if diff := cmp.Diff(want, a.Tags); diff != "" {
				t.Errorf("tags (-want +got):\n%s", diff)
			}
			if a.Environment != "staging" || !a.Sample {
				t.Errorf("got environment %q sample %t, want staging, true", a.Environment, a.Sample)
			}
		}},
		{"breadcrumbs as a bare list", func(ev map[string]any) {
			ev["breadcrumbs"] = ev["breadcrumbs"].(map[string]any)["values"]
		}, func(t *testing.T, a *alert.Alert) {
			if len(a.Breadcrumbs) != 5 || a.Breadcrumbs[3].Data != "from=/ to=/" {
				t.Errorf("got %d breadcrumbs, want the 5 of the fixture", len(a.Breadcrumbs))
			}
			if a.ProblemKey != "sentry:4214010673" || len(a.Frames) != 16 || len(a.Tags) != 11 {
				t.Errorf("got key %q, %d frames, %d tags; want the fixture's", a.ProblemKey, len(a.Frames), len(a.Tags))
			}
		}},
		{"breadcrumb fields of the wrong type", func(ev map[string]any) {
			ev["breadcrumbs"] = map[string]any{"values": []any{
				map[string]any{"timestamp": "2023-05-29T11:08:30.5Z", "message": 7, "category": "http",
					"data": map[string]any{"method": "GET", "status_code": 500, "url": "/api", "nested": map[string]any{"a": []any{1, 2}}}},
				map[string]any{"timestamp": "1685358510.5", "level": 30, "message": "ok"},
				"not a crumb",
				map[string]any{"timestamp": true, "data": "not an object"},
			}}
		}, func(t *testing.T, a *alert.Alert) {
			want := []alert.Breadcrumb{
				{Timestamp: time.Date(2023, 5, 29, 11, 8, 30, 5e8, time.UTC), Category: "http",
					Data: `method=GET nested={"a":[1,2]} status_code=500 url=/api`},
				{Timestamp: time.Date(2023, 5, 29, 11, 8, 30, 5e8, time.UTC), Level: "30", Message: "ok"},
				{},
				{},
			}
			if diff := cmp.Diff(want, a.Breadcrumbs); diff != "" {
				t.Errorf("breadcrumbs (-want +got):\n%s", diff)
			}
		}},
		{"frame fields of the wrong type", func(ev map[string]any) {
			vals := ev["exception"].(map[string]any)["values"].([]any)
			frames := vals[0].(map[string]any)["stacktrace"].(map[string]any)["frames"].([]any)
			last := frames[len(frames)-1].(map[string]any)
			last["lineno"] = "9134"
			last["in_app"] = "yes"
			last["function"] = 5
			last["pre_context"] = map[string]any{"a": "b"}
			first := frames[0].(map[string]any)
			first["lineno"] = 12.5
			first["colno"] = nil
		}, func(t *testing.T, a *alert.Alert) {
			if len(a.Frames) != 16 || a.Frames[15].Module != "deps/chunk-G4DFXOZZ" || a.Frames[0].Function != "flushJobs" {
				t.Errorf("got %d frames, want the fixture's 16 with their other fields", len(a.Frames))
			}
			if f := a.Frames[15]; f.Lineno != 0 || f.InApp || f.Function != "" || f.PreContext != nil {
				t.Errorf("last frame = %+v, want the mistyped fields empty", f)
			}
		}},
		{"exception as a bare list", func(ev map[string]any) {
			ev["exception"] = ev["exception"].(map[string]any)["values"]
		}, func(t *testing.T, a *alert.Alert) {
			// The list shape predates webhooks; the metadata still names the error.
			if a.ExceptionType != "TypeError" || len(a.Frames) != 0 {
				t.Errorf("got type %q, %d frames; want TypeError from metadata, no frames", a.ExceptionType, len(a.Frames))
			}
		}},
		{"level as a number", func(ev map[string]any) { ev["level"] = 40 },
			func(t *testing.T, a *alert.Alert) {
				if a.Level != alert.SeverityError || a.LevelRaw != "40" {
					t.Errorf("got level %v raw %q, want error, 40", a.Level, a.LevelRaw)
				}
			}},
		{"release as a number", func(ev map[string]any) { ev["release"] = 1.5 },
			func(t *testing.T, a *alert.Alert) {
				if a.Release != "1.5" {
					t.Errorf("got release %q, want 1.5", a.Release)
				}
			}},
		{"release set", func(ev map[string]any) { ev["release"] = "web@2.3.1" },
			func(t *testing.T, a *alert.Alert) {
				if a.Release != "web@2.3.1" {
					t.Errorf("got release %q, want web@2.3.1", a.Release)
				}
			}},
		{"timestamp missing: datetime", func(ev map[string]any) { delete(ev, "timestamp") },
			func(t *testing.T, a *alert.Alert) {
				if want := time.Date(2023, 5, 29, 11, 8, 30, 821000000, time.UTC); !a.Timestamp.Equal(want) {
					t.Errorf("got timestamp %v, want %v", a.Timestamp, want)
				}
			}},
		{"timestamp as an RFC 3339 string", func(ev map[string]any) { ev["timestamp"] = "2024-01-02T03:04:05+01:00" },
			func(t *testing.T, a *alert.Alert) {
				if want := time.Date(2024, 1, 2, 2, 4, 5, 0, time.UTC); a.Timestamp != want {
					t.Errorf("got timestamp %v, want %v", a.Timestamp, want)
				}
			}},
		{"timestamps out of range", func(ev map[string]any) { ev["timestamp"] = 1e300; ev["datetime"] = "0001-01-01T00:00:00Z" },
			func(t *testing.T, a *alert.Alert) {
				if !a.Timestamp.IsZero() {
					t.Errorf("got timestamp %v, want zero", a.Timestamp)
				}
			}},
		{"environment from the tag", func(ev map[string]any) { ev["environment"] = nil },
			func(t *testing.T, a *alert.Alert) {
				if a.Environment != "production" {
					t.Errorf("got environment %q, want production from the tag", a.Environment)
				}
			}},
		{"sample event", func(ev map[string]any) {
			ev["tags"] = append(ev["tags"].([]any), []any{"sample_event", "yes"})
			ev["culprit"] = "raven.scripts.runner in main"
		}, func(t *testing.T, a *alert.Alert) {
			if !a.Sample {
				t.Error("got Sample false, want true")
			}
		}},
		{"sample event shouted", func(ev map[string]any) {
			ev["tags"] = append(ev["tags"].([]any), []any{"sample_event", " YES "})
		}, func(t *testing.T, a *alert.Alert) {
			if !a.Sample {
				t.Error("got Sample false for sample_event YES, want true")
			}
		}},
		{"sample_event other than yes", func(ev map[string]any) {
			ev["tags"] = append(ev["tags"].([]any), []any{"sample_event", "no"})
		}, func(t *testing.T, a *alert.Alert) {
			if a.Sample {
				t.Error("got Sample true, want false")
			}
		}},
		{"no url: numeric project", func(ev map[string]any) { delete(ev, "url") },
			func(t *testing.T, a *alert.Alert) {
				if a.Project != "4505266924748801" {
					t.Errorf("got project %q, want 4505266924748801", a.Project)
				}
			}},
		{"unsafe urls dropped", func(ev map[string]any) {
			ev["web_url"] = "javascript:alert(1)//issues/1/events/2/"
			ev["url"] = "https://sentry.io/api/0/projects/org/<b>/events/1/"
		}, func(t *testing.T, a *alert.Alert) {
			if a.EventURL != "" || a.IssueURL != "" || a.Project != "4505266924748801" {
				t.Errorf("got event URL %q issue URL %q project %q, want no URLs and the numeric project",
					a.EventURL, a.IssueURL, a.Project)
			}
		}},
		{"web_url on an organization domain", func(ev map[string]any) {
			ev["web_url"] = "https://acme.sentry.io/issues/42/events/abc123/?project=1"
		}, func(t *testing.T, a *alert.Alert) {
			if a.IssueURL != "https://acme.sentry.io/issues/42/" {
				t.Errorf("got issue URL %q, want https://acme.sentry.io/issues/42/", a.IssueURL)
			}
		}},
		{"web_url of another shape", func(ev map[string]any) { ev["web_url"] = "https://sentry.example.com/share/issue/abc/" },
			func(t *testing.T, a *alert.Alert) {
				if a.EventURL != "https://sentry.example.com/share/issue/abc/" || a.IssueURL != "" {
					t.Errorf("got event URL %q issue URL %q, want the URL kept and no issue URL", a.EventURL, a.IssueURL)
				}
			}},
		{"chained exceptions: last raised, frames from the last with a stack", func(ev map[string]any) {
			exc := ev["exception"].(map[string]any)
			vals := exc["values"].([]any)
			exc["values"] = append(vals, map[string]any{"type": "WrapperError", "value": "while flushing", "stacktrace": nil})
		}, func(t *testing.T, a *alert.Alert) {
			if a.ExceptionType != "WrapperError" || a.ExceptionValue != "while flushing" || len(a.Frames) != 16 {
				t.Errorf("got %q %q with %d frames, want WrapperError, while flushing, 16 frames",
					a.ExceptionType, a.ExceptionValue, len(a.Frames))
			}
		}},
		{"no exception: metadata and event stacktrace", func(ev map[string]any) {
			vals := ev["exception"].(map[string]any)["values"].([]any)
			ev["stacktrace"] = vals[0].(map[string]any)["stacktrace"]
			delete(ev, "exception")
		}, func(t *testing.T, a *alert.Alert) {
			if a.ExceptionType != "TypeError" || !strings.HasPrefix(a.ExceptionValue, "Cannot read") || len(a.Frames) != 16 {
				t.Errorf("got %q %q with %d frames, want the metadata and 16 frames", a.ExceptionType, a.ExceptionValue, len(a.Frames))
			}
		}},
		{"too many frames: newest kept", func(ev map[string]any) {
			var frames []any
			for i := 1; i <= 300; i++ {
				frames = append(frames, map[string]any{"function": fmt.Sprint("f", i), "lineno": i, "line": -1})
			}
			ev["exception"] = map[string]any{"values": []any{map[string]any{"type": "E", "stacktrace": map[string]any{"frames": frames}}}}
		}, func(t *testing.T, a *alert.Alert) {
			if len(a.Frames) != maxFrames || a.Frames[0].Lineno != 45 || a.Frames[maxFrames-1].Lineno != 300 {
				t.Errorf("got %d frames, lines %d..%d; want %d frames, lines 45..300",
					len(a.Frames), a.Frames[0].Lineno, a.Frames[len(a.Frames)-1].Lineno, maxFrames)
			}
		}},
		{"too many breadcrumbs: newest kept", func(ev map[string]any) {
			var crumbs []any
			for i := range 150 {
				crumbs = append(crumbs, map[string]any{"message": fmt.Sprint("crumb ", i)})
			}
			ev["breadcrumbs"] = map[string]any{"values": crumbs}
		}, func(t *testing.T, a *alert.Alert) {
			n := len(a.Breadcrumbs)
			if n != maxBreadcrumbs || a.Breadcrumbs[0].Message != "crumb 50" || a.Breadcrumbs[n-1].Message != "crumb 149" {
				t.Errorf("got %d breadcrumbs, want %d from crumb 50 to crumb 149", n, maxBreadcrumbs)
			}
		}},
		{"huge strings are cut", func(ev map[string]any) {
			ev["title"] = strings.Repeat("é", 3000)
			ev["culprit"] = "nul\x00byte"
			vals := ev["exception"].(map[string]any)["values"].([]any)
			frames := vals[0].(map[string]any)["stacktrace"].(map[string]any)["frames"].([]any)
			frame := frames[len(frames)-1].(map[string]any)
			frame["context_line"] = strings.Repeat("x", 5000)
			var pre []any
			for i := range 40 {
				pre = append(pre, fmt.Sprint("line ", i))
			}
			frame["pre_context"] = pre
			frame["post_context"] = pre
		}, func(t *testing.T, a *alert.Alert) {
			if len(a.Title) > maxField || !utf8.ValidString(a.Title) || len(a.Title) < maxField-1 {
				t.Errorf("got title of %d bytes (valid UTF-8: %t), want %d at most, cut on a rune",
					len(a.Title), utf8.ValidString(a.Title), maxField)
			}
			if a.Culprit != "nulbyte" {
				t.Errorf("got culprit %q, want NUL removed", a.Culprit)
			}
			f := a.Frames[len(a.Frames)-1]
			if len(f.ContextLine) != maxField {
				t.Errorf("got context line of %d bytes, want %d", len(f.ContextLine), maxField)
			}
			if len(f.PreContext) != maxContextLines || f.PreContext[maxContextLines-1] != "line 39" ||
				len(f.PostContext) != maxContextLines || f.PostContext[0] != "line 0" {
				t.Errorf("got pre %v post %v, want the %d lines nearest the crash each side", f.PreContext, f.PostContext, maxContextLines)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, _ := mustAlert(t, tt.edit)
			if !keyRE.MatchString(a.ProblemKey) {
				t.Errorf("got key %q, want it to match %s", a.ProblemKey, keyRE)
			}
			tt.check(t, a)
		})
	}
}

func TestParseProblemKey(t *testing.T) {
	t.Parallel()
	const hash = "fdd7bfccd74d70129094ae0482059ab1" // the fixture's hashes[0]
	pre2021 := func(ev map[string]any) { delete(ev, "issue_id") }
	tests := []struct {
		name string
		edit func(ev map[string]any)
		want string
	}{
		{"issue_id", func(map[string]any) {}, "sentry:4214010673"},
		{"numeric issue_id", func(ev map[string]any) { ev["issue_id"] = json.RawMessage(`900130`) }, "sentry:900130"},
		{"numeric issue_id with fraction", func(ev map[string]any) { ev["issue_id"] = json.RawMessage(`900130.0`) }, "sentry:900130"},
		{"numeric issue_id with exponent", func(ev map[string]any) { ev["issue_id"] = json.RawMessage(`9.0013e5`) }, "sentry:900130"},
		{"string issue_id", func(ev map[string]any) { ev["issue_id"] = "900130" }, "sentry:900130"},
		{"string issue_id with fraction", func(ev map[string]any) { ev["issue_id"] = " 900130.00 " }, "sentry:900130"},
		{"string issue_id with leading zero", func(ev map[string]any) { ev["issue_id"] = "0900130" }, "sentry:900130"},
		{"issue_id with a real fraction", func(ev map[string]any) { ev["issue_id"] = json.RawMessage(`900130.5`) }, "sentry:900130.5"},
		{"issue_id past float precision", func(ev map[string]any) { ev["issue_id"] = json.RawMessage(`9007199254740993`) }, "sentry:9007199254740993"},
		{"pre-2021: numeric project with fraction", func(ev map[string]any) {
			pre2021(ev)
			ev["project"] = json.RawMessage(`4505266924748801.0`)
		}, "sentry:4505266924748801:" + hash},
		{"empty issue_id: hashes", func(ev map[string]any) { ev["issue_id"] = "" }, "sentry:4505266924748801:" + hash},
		{"pre-2021: project and hash", pre2021, "sentry:4505266924748801:" + hash},
		{"pre-2021 without project: slug", func(ev map[string]any) {
			pre2021(ev)
			delete(ev, "project")
		}, "sentry:javascript-vue-new:" + hash},
		{"pre-2021 without project or url", func(ev map[string]any) {
			pre2021(ev)
			delete(ev, "project")
			delete(ev, "url")
		}, "sentry::" + hash},
		{"pre-2021 with empty first hash", func(ev map[string]any) {
			pre2021(ev)
			ev["hashes"] = []any{"", nil, "abc"}
		}, "sentry:4505266924748801:abc"},
		{"pre-2021 with odd hash", func(ev map[string]any) {
			pre2021(ev)
			ev["hashes"] = []any{"a/b"}
		}, "sentry:4505266924748801:" + sha256Hex32("a/b")},
		{"pre-2021 custom fingerprint", func(ev map[string]any) {
			pre2021(ev)
			delete(ev, "hashes")
			ev["fingerprint"] = []any{"{{ default }}", "db-timeout"}
		}, "sentry:4505266924748801:" + sha256Hex32("{{ default }}\ndb-timeout")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, _ := mustAlert(t, tt.edit)
			if a.ProblemKey != tt.want {
				t.Errorf("got key %q, want %q", a.ProblemKey, tt.want)
			}
		})
	}
}

func TestParseLevel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		level       any // nil: no level field
		want        alert.Severity
		wantRaw     string
		wantUnknown bool
	}{
		{"missing", nil, alert.SeverityError, "", false},
		{"empty", "", alert.SeverityError, "", false},
		{"warning", "warning", alert.SeverityWarning, "", false},
		{"alias", "WARN", alert.SeverityWarning, "", false},
		{"fatal", "fatal", alert.SeverityFatal, "", false},
		{"info", "info", alert.SeverityInfo, "", false},
		{"unknown", "bogus", alert.SeverityError, "bogus", true},
		{"trailing NUL", "debug\x00", alert.SeverityDebug, "", false},
		{"control characters around", "\x01info\x7f", alert.SeverityInfo, "", false},
		{"number", 50, alert.SeverityError, "50", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, d := mustAlert(t, func(ev map[string]any) {
				if tt.level == nil {
					delete(ev, "level")
				} else {
					ev["level"] = tt.level
				}
			})
			if a.Level != tt.want || a.LevelRaw != tt.wantRaw || d.UnknownLevel != tt.wantUnknown {
				t.Errorf("got level %v raw %q unknown %t, want %v %q %t",
					a.Level, a.LevelRaw, d.UnknownLevel, tt.want, tt.wantRaw, tt.wantUnknown)
			}
		})
	}
}

func TestParseResource(t *testing.T) {
	t.Parallel()
	alertBody := fixture(t, vueFixture)
	m := fixtureMap(t, vueFixture)
	m["action"] = "resolved"
	resolved := mustMarshal(t, m)
	issueBody := fixture(t, "issue.created.json")
	tests := []struct {
		name      string
		resource  string
		body      []byte
		wantRes   string
		wantAlert bool
		want      alert.Reason
	}{
		{"event alert", "event_alert", alertBody, "event_alert", true, ""},
		{"header case and space", " Event_Alert\t", alertBody, "event_alert", true, ""},
		{"no header, event alert body", "", alertBody, "", true, ""},
		{"no header, issue body", "", issueBody, "", false, alert.ReasonNotEventAlert},
		{"no header, not triggered", "", resolved, "", false, alert.ReasonNotEventAlert},
		{"event alert, not triggered", "event_alert", resolved, "event_alert", false, alert.ReasonNotTriggered},
		{"not triggered, no event", "event_alert", []byte(`{"action":"resolved"}`), "event_alert", false, alert.ReasonNotTriggered},
		{"other resource with an event alert body", "issue", alertBody, "issue", false, alert.ReasonNotEventAlert},
		{"unknown resource", "brand_new_thing", []byte(`[1,2]`), "brand_new_thing", false, alert.ReasonNotEventAlert},
		{"other resource, action of the wrong type", "issue", []byte(`{"action":{"x":1}}`), "issue", false, alert.ReasonNotEventAlert},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := Parse(tt.resource, tt.body)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if d.Resource != tt.wantRes || (d.Alert != nil) != tt.wantAlert || d.Ignore != tt.want {
				t.Errorf("got resource %q alert %t ignore %q, want %q %t %q",
					d.Resource, d.Alert != nil, d.Ignore, tt.wantRes, tt.wantAlert, tt.want)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	noKey := fixtureMap(t, vueFixture)
	ev := eventOf(t, noKey)
	delete(ev, "issue_id")
	delete(ev, "hashes")
	tests := []struct {
		name        string
		resource    string
		body        string
		wantMissing []string // nil: a JSON error
	}{
		{"not JSON", "event_alert", `action=triggered`, nil},
		{"truncated JSON", "event_alert", string(fixture(t, vueFixture)[:1000]), nil},
		{"empty body", "event_alert", ``, nil},
		{"not JSON, other resource", "issue", `<html>`, nil},
		{"not JSON, no header", "", `{"action":`, nil},
		{"empty object", "event_alert", `{}`, []string{"action", "data.event"}},
		{"top level a list", "event_alert", `[]`, []string{"action", "data.event"}},
		{"empty action", "event_alert", `{"action":"","data":{"event":{"issue_id":"1"}}}`, []string{"action"}},
		{"event without action", "event_alert", `{"data":{"event":{"issue_id":"1"}}}`, []string{"action"}},
		{"no data", "event_alert", `{"action":"triggered"}`, []string{"data.event"}},
		{"no data.event", "event_alert", `{"action":"triggered","data":{"triggered_rule":"r"}}`, []string{"data.event"}},
		{"null data.event", "event_alert", `{"action":"triggered","data":{"event":null}}`, []string{"data.event"}},
		{"data.event a string", "event_alert", `{"action":"triggered","data":{"event":"e"}}`, []string{"data.event"}},
		{"data.event a list", "event_alert", `{"action":"triggered","data":{"event":[{"issue_id":"1"}]}}`, []string{"data.event"}},
		{"data a list", "event_alert", `{"action":"triggered","data":[]}`, []string{"data.event"}},
		{"nothing to key on", "event_alert", string(mustMarshal(t, noKey)), []string{"data.event.issue_id"}},
		{"empty event", "event_alert", `{"action":"triggered","data":{"event":{}}}`, []string{"data.event.issue_id"}},
		{"default fingerprint only", "event_alert",
			`{"action":"triggered","data":{"event":{"project":1,"fingerprint":["{{ default }}"]}}}`, []string{"data.event.issue_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := Parse(tt.resource, []byte(tt.body))
			var pe *PayloadError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse = %+v, %v; want a *PayloadError", d, err)
			}
			if d != nil {
				t.Errorf("got delivery %+v with the error, want nil", d)
			}
			if diff := cmp.Diff(tt.wantMissing, pe.Missing); diff != "" {
				t.Errorf("Missing (-want +got):\n%s", diff)
			}
			if tt.wantMissing == nil && (pe.Unwrap() == nil || !strings.HasPrefix(pe.Error(), "invalid payload: ")) {
				t.Errorf("got %q wrapping %v, want an invalid payload error wrapping the JSON error", pe, pe.Unwrap())
			}
			if tt.wantMissing != nil && !strings.Contains(pe.Error(), tt.wantMissing[0]) {
				t.Errorf("got message %q, want it to name %s", pe.Error(), tt.wantMissing[0])
			}
		})
	}
}
