package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"booty/internal/alert"
	"booty/internal/store"
	"booty/internal/web"
)

// seededRuns is a store holding one problem with a finished build run and
// a running verify run, as the builder and the verifier record them.
type seededRuns struct {
	env           map[string]string
	key           string
	build, verify int64
}

// The seeded build's output: a line carrying a terminal escape, another a
// carriage return, the last without a line break.
const seededLog = "go test ./...\n\x1b[31mFAIL\x1b[0m TestCart\r\nok  \tacme/shop"

// seedRuns records the runs through the store's API, then closes the store
// for the commands to open.
func seedRuns(t *testing.T, dbURL string) seededRuns {
	t.Helper()
	ctx := t.Context()
	st, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Now().Add(-time.Hour).UTC().Truncate(time.Millisecond)
	s := seededRuns{env: map[string]string{"BOOTY_DATABASE_URL": dbURL, "TARGET_REPO_URL": "acme/shop"}, key: "sentry:6100"}
	if err := st.Transact(ctx, func(tx *store.Tx) error {
		return tx.SaveProblem(ctx, alert.Problem{}, alert.Problem{Key: s.key, Title: "TypeError in cart", Route: "default",
			Repo: "acme/shop", IssueNumber: 5, FirstSeen: at, LastSeen: at, Count: 1})
	}); err != nil {
		t.Fatal(err)
	}
	if s.build, err = st.StartRun(ctx, store.Run{Kind: store.RunBuild, JobID: 40, ProblemKey: s.key, Repo: "acme/shop", Issue: 5,
		Attempt: 1, SHA: "1111111111111111111111111111111111111111", StartedAt: at}); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishRun(ctx, s.build, store.RunEnd{Outcome: "pull_opened", Detail: "opened pull request #9", Log: seededLog,
		SHA: "2222222222222222222222222222222222222222", Pull: 9, At: at.Add(90 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	if s.verify, err = st.StartRun(ctx, store.Run{Kind: store.RunVerify, JobID: 41, ProblemKey: s.key, Repo: "acme/shop", Issue: 5,
		Pull: 9, Attempt: 1, SHA: "2222222222222222222222222222222222222222", StartedAt: at.Add(2 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRunsCommands shows the seeded runs, alone and in their problem, on
// either backend, for a person and as JSON.
func TestRunsCommands(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := seedRuns(t, dbURL)
		build, verify := fmt.Sprint(s.build), fmt.Sprint(s.verify)

		code, out, errOut := runBooty(t, s.env, "runs", "show", build)
		if code != 0 {
			t.Fatalf("runs show %s: exit %d\n%s%s", build, code, out, errOut)
		}
		for _, line := range [][]string{{"run", build + " (build, job 40, attempt 1)"}, {"outcome", "pull_opened"},
			{"detail", "opened pull request #9"}, {"problem", s.key},
			{"issue", "acme/shop#5  https://github.com/acme/shop/issues/5"},
			{"pull request", "acme/shop#9  https://github.com/acme/shop/pull/9"},
			{"commit", "2222222222222222222222222222222222222222"}, {"finished", "Z, after 1m30s"}, {"page", "/runs/" + build},
			{"Log:"}, {"go test ./..."}, {" [31mFAIL [0m TestCart"}, {"ok  \tacme/shop"}} {
			if !regexpLine(out, line...) {
				t.Errorf("runs show %s has no line with %q:\n%s", build, line, out)
			}
		}
		if strings.ContainsAny(out, "\x1b\r") || !strings.HasSuffix(out, "acme/shop\n") {
			t.Errorf("runs show %s printed the log's control characters, or no last line break: %q", build, out)
		}

		code, out, errOut = runBooty(t, s.env, "runs", "show", verify)
		if code != 0 || !regexpLine(out, "outcome", "running") || !regexpLine(out, "finished", "not yet: running for") ||
			!strings.Contains(out, "no output yet") {
			t.Errorf("runs show %s: exit %d, want it running\n%s%s", verify, code, out, errOut)
		}

		code, out, errOut = runBooty(t, s.env, "runs", "show", "--json", build)
		var shown web.RunShowJSON
		if err := json.Unmarshal([]byte(out), &shown); code != 0 || err != nil {
			t.Fatalf("runs show --json: exit %d, %v\n%s%s", code, err, out, errOut)
		}
		if shown.Run.ID != s.build || shown.Run.Kind != "build" || shown.Run.Outcome != "pull_opened" || shown.Run.Pull != 9 ||
			shown.Run.PullURL != "https://github.com/acme/shop/pull/9" || shown.Run.Running || shown.Log != seededLog {
			t.Errorf("runs show --json %s: %+v", build, shown)
		}

		// The problem lists both, newest first.
		code, out, errOut = runBooty(t, s.env, "problems", "show", s.key)
		if code != 0 {
			t.Fatalf("problems show %s: exit %d\n%s%s", s.key, code, out, errOut)
		}
		runs := out[strings.Index(out, "Runs:"):strings.Index(out, "Jobs:")]
		if !regexpLine(runs, verify, "verify", "1", "running", "Z", "acme/shop#9") ||
			!regexpLine(runs, build, "build", "1", "pull_opened", "Z", "1m30s", "acme/shop#9", "opened pull request #9") ||
			strings.Index(runs, "verify") > strings.Index(runs, "pull_opened") || !strings.Contains(runs, "booty runs show RUN") {
			t.Errorf("problems show %s: want both runs, newest first:\n%s", s.key, out)
		}
		code, out, _ = runBooty(t, s.env, "problems", "show", "--json", s.key)
		var problem web.ProblemShowJSON
		if err := json.Unmarshal([]byte(out), &problem); code != 0 || err != nil || len(problem.Runs) != 2 ||
			problem.Runs[0].ID != s.verify || problem.Runs[1].ID != s.build || problem.Runs[1].Detail != "opened pull request #9" {
			t.Errorf("problems show --json %s: exit %d, %v, runs %+v", s.key, code, err, problem.Runs)
		}

		for _, tc := range []struct {
			args []string
			code int
			want string // on stderr
		}{
			{[]string{"runs", "show", "999"}, 1, "no run 999 in the store"},
			{[]string{"runs", "show", "x"}, 2, `run id "x": want a whole number above 0`},
			{[]string{"runs", "show", "0"}, 2, "want a whole number above 0"},
			{[]string{"runs", "show"}, 2, "missing argument: a run id"},
			{[]string{"runs", "show", "1", "2"}, 2, `unexpected argument "2"`},
			{[]string{"runs"}, 2, "missing command: show"},
			{[]string{"runs", "list"}, 2, `unexpected argument "list": want show`},
		} {
			code, out, errOut := runBooty(t, s.env, tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.want) || out != "" {
				t.Errorf("%s: exit %d, stdout %q, stderr %q; want %d and %q", strings.Join(tc.args, " "), code, out, errOut, tc.code, tc.want)
			}
		}
	})
}

// TestRunsHelp asks for the runs commands' usage, which goes to stdout and
// opens no store.
func TestRunsHelp(t *testing.T) {
	t.Parallel()
	env := map[string]string{"BOOTY_DATABASE_URL": "sqlite:" + t.TempDir() + "/missing.db"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"runs", "--help"}, "usage: booty runs show ID"},
		{[]string{"runs", "show", "-h"}, "usage: booty runs show ID [--json]"},
		{[]string{"runs", "show", "7", "--help"}, "the last 64 KiB"},
		{[]string{"help"}, "runs show ID [--json]"},
	} {
		if code, out, errOut := runBooty(t, env, tc.args...); code != 0 || !strings.Contains(out, tc.want) || errOut != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want 0 and %q on stdout", strings.Join(tc.args, " "), code, out, errOut, tc.want)
		}
	}
}

func TestCleanLog(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"ok\n", "ok\n"},
		{"a\tb\r\nc", "a\tb\nc"},
		{"\x1b[2J\x07bell\rredraw", " [2J bell redraw"},
		{"\u202eevil\u200b", " evil "},
	} {
		if got := cleanLog(tc.in); got != tc.want {
			t.Errorf("cleanLog(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestPrintRunWithoutOutput prints a finished run that kept no output and
// has no pull request.
func TestPrintRunWithoutOutput(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	printRun(&b, store.Run{ID: 3, Kind: store.RunBuild, JobID: 9, ProblemKey: "sentry:1", Issue: 4, Attempt: 2, Outcome: "no_change",
		StartedAt: at, FinishedAt: at.Add(400 * time.Millisecond)}, issueLinks{DefaultRepo: "acme/shop", Web: "https://github.com"}, at)
	for _, line := range [][]string{{"run", "3 (build, job 9, attempt 2)"}, {"outcome", "no_change"}, {"issue", "acme/shop#4"},
		{"pull request", "none yet"}, {"finished", "2026-05-01T12:00:00Z, after 400ms"}, {"no output kept"}} {
		if !regexpLine(b.String(), line...) {
			t.Errorf("no line with %q:\n%s", line, b.String())
		}
	}
	if strings.Contains(b.String(), "commit") {
		t.Errorf("a run without a commit shows one:\n%s", b.String())
	}
}
