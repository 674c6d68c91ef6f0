package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"booty/internal/githubtest"
	"booty/internal/store"
	"booty/internal/web"
)

// known is a store a real booty filled, for the read-only commands to read.
type known struct {
	env map[string]string // the commands' environment
	// web is where the stand-in's issues are, as booty derives it from
	// GITHUB_API_URL.
	web string
	// open has an open issue and a duplicate delivery; closed had its issue
	// closed through GitHub's webhook; pending has its create parked.
	open, closed, pending string
	openIssue             int
	parkedJob             int64
}

// fillKnown runs booty on dbURL and sends it three problems through its
// webhooks, as described on known.
func fillKnown(t *testing.T, dbURL string) known {
	t.Helper()
	gh := githubtest.NewServer(t, githubtest.Options{Token: testToken, Owner: "acme", Repo: "shop"})
	p := startBooty(t, append(bootyEnv(gh.URL, dbURL), "GITHUB_WEBHOOK_SECRET="+testGitHubSecret), "")
	gh.SendWebhooks(p.url+"/webhooks/github", []byte(testGitHubSecret))
	k := known{
		env: map[string]string{"BOOTY_DATABASE_URL": dbURL, "TARGET_REPO_URL": "acme/shop", "GITHUB_API_URL": gh.URL},
		web: strings.TrimSuffix(gh.URL, "/"), open: "sentry:5100", closed: "sentry:5200", pending: "sentry:5300",
	}
	payload := fixture(t, "event_alert.triggered.vue-breadcrumbs-zulip-2023.json")
	at := time.Now().Add(-time.Minute)
	for _, d := range []struct {
		issueID, eventID, want string
	}{
		{"5100", "ev-1", "create"},
		{"5200", "ev-2", "create"},
		{"5100", "ev-1", "duplicate"},
	} {
		got := deliver(t, p.url, "event_alert", withEventAt(t, payload, d.issueID, d.eventID, at), testSecret)
		if d.want != got.Decision+got.Reason {
			t.Fatalf("delivery of %s/%s: %s, want %s", d.issueID, d.eventID, got.RawBody, d.want)
		}
	}
	waitJobsDone(t, p, 30*time.Second)
	st, err := store.OpenWith(t.Context(), dbURL, store.Options{Access: store.Operate})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	open, err := st.Problem(t.Context(), k.open)
	if err != nil {
		t.Fatal(err)
	}
	closed, err := st.Problem(t.Context(), k.closed)
	if err != nil {
		t.Fatal(err)
	}
	k.openIssue = open.IssueNumber
	if err := gh.CloseIssueAs(closed.IssueNumber, "completed"); err != nil {
		t.Fatal(err)
	}
	gh.WaitWebhooks()

	gh.FailNextMatching(http.MethodPost, "/repos/acme/shop/issues", 1, githubtest.Status(http.StatusUnprocessableEntity))
	if got := deliver(t, p.url, "event_alert", withEventAt(t, payload, "5300", "ev-3", at), testSecret); got.Decision != "create" {
		t.Fatalf("third problem: %s", got.RawBody)
	}
	waitFor(t, 20*time.Second, "the third create to park and the close to land", func() bool {
		n, err := st.ParkedJobs(t.Context())
		closed, _ := st.Problem(t.Context(), k.closed)
		return err == nil && n == 1 && closed.IssueClosed
	})
	jobs, err := st.ProblemJobs(t.Context(), k.pending)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("jobs of %s: %+v %v", k.pending, jobs, err)
	}
	k.parkedJob = jobs[0].ID
	return k
}

// tsvRows splits tab-separated output into rows of fields, the header
// first.
func tsvRows(out string) [][]string {
	var rows [][]string
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if line != "" {
			rows = append(rows, strings.Split(line, "\t"))
		}
	}
	return rows
}

// column returns the field named name of each row after the header.
func column(rows [][]string, name string) []string {
	if len(rows) == 0 {
		return nil
	}
	at := -1
	for i, h := range rows[0] {
		if h == name {
			at = i
		}
	}
	var out []string
	for _, r := range rows[1:] {
		if at >= 0 && at < len(r) {
			out = append(out, r[at])
		}
	}
	return out
}

// TestProblemsCommands lists and shows the problems a real booty filed, on
// either backend, with the filters, in a table and as JSON.
func TestProblemsCommands(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, dbURL string) {
		k := fillKnown(t, dbURL)
		all := []string{k.pending, k.closed, k.open}

		code, out, errOut := runBooty(t, k.env, "problems", "list")
		if code != 0 {
			t.Fatalf("problems list: exit %d\n%s%s", code, out, errOut)
		}
		rows := tsvRows(out)
		if got := strings.Join(rows[0], ","); got != "KEY,STATE,ISSUE,EVENTS,LAST SEEN,ROUTE,TITLE,URL" {
			t.Errorf("header %q", got)
		}
		keys := column(rows, "KEY")
		if len(keys) != 3 {
			t.Fatalf("problems list: %d rows, want 3:\n%s", len(keys), out)
		}
		byKey := map[string][]string{}
		for _, r := range rows[1:] {
			byKey[r[0]] = r
		}
		wantOpen := []string{k.open, "open", fmt.Sprintf("acme/shop#%d", k.openIssue), "1"}
		if got := byKey[k.open]; len(got) != 8 || strings.Join(got[:4], " ") != strings.Join(wantOpen, " ") ||
			got[7] != fmt.Sprintf("%s/acme/shop/issues/%d", k.web, k.openIssue) || got[6] == "-" {
			t.Errorf("row of the open problem: %q, want %q, a title and the issue's URL", got, wantOpen)
		}
		if got := byKey[k.pending]; len(got) != 8 || got[1] != "pending" || got[2] != "-" || got[7] != "-" {
			t.Errorf("row of the pending problem: %q", got)
		}

		code, out, errOut = runBooty(t, k.env, "problems", "list", "--json")
		var list []web.ProblemJSON
		if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil || len(list) != 3 {
			t.Fatalf("problems list --json: exit %d, %v\n%s%s", code, err, out, errOut)
		}
		var open web.ProblemJSON
		for _, p := range list {
			if p.Key == k.open {
				open = p
			}
		}
		if open.State != "open" || open.Repo != "acme/shop" || open.Issue != k.openIssue ||
			open.IssueURL != fmt.Sprintf("%s/acme/shop/issues/%d", k.web, k.openIssue) || open.Events != 1 ||
			open.Title == "" || open.LastSeen == nil || !strings.HasSuffix(*open.LastSeen, "Z") {
			t.Errorf("open problem as JSON: %+v", open)
		}
		word := strings.Fields(open.Title)[0]

		for _, tc := range []struct {
			args []string
			want []string
		}{
			{[]string{"--state", "open"}, []string{k.open}},
			{[]string{"--state", "closed"}, []string{k.closed}},
			{[]string{"--state", "pending"}, []string{k.pending}},
			{[]string{"--state", "folded"}, nil},
			{[]string{"--repo", "acme/shop"}, all},
			{[]string{"--repo", "https://github.com/Acme/Shop"}, all},
			{[]string{"--repo", "acme/other"}, nil},
			{[]string{"--route", open.Route}, all},
			{[]string{"--route", "nowhere"}, nil},
			{[]string{"--since", "1h"}, all},
			{[]string{"--since", time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, nil},
			{[]string{"--search", "5200"}, []string{k.closed}},
			{[]string{"--search", strings.ToUpper(word)}, all},
			{[]string{"--search", "no such text"}, nil},
			{[]string{"--limit", "1", "--state", "closed"}, []string{k.closed}},
		} {
			t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
				code, out, errOut := runBooty(t, k.env, append([]string{"problems", "list"}, tc.args...)...)
				if code != 0 {
					t.Fatalf("exit %d\n%s%s", code, out, errOut)
				}
				got := column(tsvRows(out), "KEY")
				if strings.Join(got, " ") != strings.Join(tc.want, " ") {
					t.Errorf("keys %q, want %q", got, tc.want)
				}
			})
		}
		if code, out, errOut := runBooty(t, k.env, "problems", "list", "--limit", "2"); code != 0 ||
			len(column(tsvRows(out), "KEY")) != 2 || !strings.Contains(errOut, "--limit 0 shows all") {
			t.Errorf("list --limit 2: exit %d\n%s%s", code, out, errOut)
		}

		// show, by key and by issue.
		code, byKeyOut, errOut := runBooty(t, k.env, "problems", "show", k.open)
		if code != 0 {
			t.Fatalf("show %s: exit %d\n%s%s", k.open, code, byKeyOut, errOut)
		}
		for _, line := range [][]string{{"problem", k.open}, {"title", open.Title}, {"state", "open"},
			{"issue", fmt.Sprintf("acme/shop#%d  %s/acme/shop/issues/%d", k.openIssue, k.web, k.openIssue)},
			{"repository", "acme/shop"}, {"events", "1, first seen"}, {"Timeline:"},
			{"sentry", "event_alert", "triggered", "create", "event ev-1"}, {"sentry", "event_alert", "ignored", "duplicate"},
			{"job", "create", "queued"}, {"job", "create", "completed", "attempt 1 of"}, {"Jobs:"}} {
			if !regexpLine(byKeyOut, line...) {
				t.Errorf("show %s has no line with %q:\n%s", k.open, line, byKeyOut)
			}
		}
		for _, ref := range []string{fmt.Sprintf("acme/shop#%d", k.openIssue), fmt.Sprintf("ACME/shop#%d", k.openIssue),
			fmt.Sprintf("#%d", k.openIssue), fmt.Sprintf("https://github.com/acme/shop/issues/%d", k.openIssue)} {
			if code, out, errOut := runBooty(t, k.env, "problems", "show", ref); code != 0 || out != byKeyOut {
				t.Errorf("show %s: exit %d, stderr %q; want the same as show %s:\n%s", ref, code, errOut, k.open, out)
			}
		}

		code, out, errOut = runBooty(t, k.env, "problems", "show", k.closed)
		if code != 0 || !regexpLine(out, "closed", "Z, as completed") ||
			!strings.Contains(out, "issues") || !regexpLine(out, "github", "closed") ||
			!regexpLine(out, "lifecycle", "github_closed", "closed_completed", "closed", "from open") {
			t.Errorf("show %s: exit %d, want its close and GitHub's delivery of it\n%s%s", k.closed, code, out, errOut)
		}
		code, out, errOut = runBooty(t, k.env, "problems", "show", k.pending)
		retry := fmt.Sprintf("booty parked retry %d", k.parkedJob)
		if code != 0 || !strings.Contains(out, "none yet") || !strings.Contains(out, "parked: refused") ||
			!strings.Contains(out, "422") || !strings.Contains(out, retry) {
			t.Errorf("show %s: exit %d, want the parked create and %q\n%s%s", k.pending, code, retry, out, errOut)
		}

		code, out, errOut = runBooty(t, k.env, "problems", "show", "--json", k.pending)
		var shown web.ProblemShowJSON
		if err := json.Unmarshal([]byte(out), &shown); code != 0 || err != nil {
			t.Fatalf("show --json: exit %d, %v\n%s%s", code, err, out, errOut)
		}
		if shown.Problem.Key != k.pending || shown.Problem.State != "pending" || len(shown.Jobs) != 1 ||
			!shown.Jobs[0].Parked || shown.Jobs[0].RetryCommand != retry || shown.Jobs[0].Action != "create" ||
			len(shown.Timeline) < 3 || shown.Timeline[0].Source != "sentry" || shown.Timeline[0].Decision != "create" {
			t.Errorf("show --json %s: %+v", k.pending, shown)
		}
		if code, out2, _ := runBooty(t, k.env, "problems", "show", k.pending, "--json"); code != 0 || out2 != out {
			t.Errorf("show KEY --json differs from show --json KEY: exit %d\n%s", code, out2)
		}

		for _, tc := range []struct {
			args []string
			code int
			want string // on stderr
		}{
			{[]string{"problems", "show", "sentry:404"}, 1, `no problem "sentry:404" in the store`},
			{[]string{"problems", "show", "acme/shop#999"}, 1, "no problem has issue acme/shop#999 in the store"},
			{[]string{"problems", "show"}, 2, "missing argument"},
			{[]string{"problems", "show", "a", "b"}, 2, `unexpected argument "b"`},
			{[]string{"problems"}, 2, "missing command: list or show"},
			{[]string{"problems", "frob"}, 2, `unexpected argument "frob"`},
			{[]string{"problems", "list", "--state", "bogus"}, 2, `--state "bogus"`},
			{[]string{"problems", "list", "--repo", "not a repo"}, 2, "want OWNER/REPO"},
			{[]string{"problems", "list", "--since", "yesterday"}, 2, "RFC 3339"},
			{[]string{"problems", "list", "extra"}, 2, `unexpected argument "extra"`},
		} {
			code, out, errOut := runBooty(t, k.env, tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.want) || out != "" {
				t.Errorf("%s: exit %d, stdout %q, stderr %q; want %d and %q", strings.Join(tc.args, " "), code, out, errOut, tc.code, tc.want)
			}
		}
	})
}

// regexpLine reports whether a line of out holds each of words, in order.
func regexpLine(out string, words ...string) bool {
	for _, line := range strings.Split(out, "\n") {
		rest, ok := line, true
		for _, w := range words {
			i := strings.Index(rest, w)
			if i < 0 {
				ok = false
				break
			}
			rest = rest[i+len(w):]
		}
		if ok {
			return true
		}
	}
	return false
}

// TestDeliveriesCommand lists the audit trail a real booty recorded.
func TestDeliveriesCommand(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, dbURL string) {
		k := fillKnown(t, dbURL)
		code, out, errOut := runBooty(t, k.env, "deliveries", "--since", "1h")
		if code != 0 {
			t.Fatalf("deliveries: exit %d\n%s%s", code, out, errOut)
		}
		rows := tsvRows(out)
		if got := strings.Join(rows[0], ","); got != "TIME,SOURCE,RESOURCE,ACTION,PROBLEM,DECISION,REASON,ROUTE,JOB,ISSUE" {
			t.Errorf("header %q", got)
		}
		var sentry []string
		for _, r := range rows[1:] {
			if r[1] == "sentry" {
				sentry = append(sentry, r[4]+" "+r[5]+" "+r[6])
			}
		}
		want := []string{k.open + " create -", k.closed + " create -", k.open + " ignored duplicate", k.pending + " create -"}
		if strings.Join(sentry, "|") != strings.Join(want, "|") {
			t.Errorf("Sentry deliveries %q, want %q", sentry, want)
		}
		if !regexpLine(out, "github", "issues", "closed", k.closed, "closed") {
			t.Errorf("no GitHub delivery of the close:\n%s", out)
		}

		code, out, errOut = runBooty(t, k.env, "deliveries", "--json", "--limit", "2")
		var recs []deliveryJSON
		if err := json.Unmarshal([]byte(out), &recs); code != 0 || err != nil || len(recs) != 2 || !strings.Contains(errOut, "newest 2") {
			t.Fatalf("deliveries --json --limit 2: exit %d, %v\n%s%s", code, err, out, errOut)
		}
		last := recs[1]
		if last.Source != "sentry" || last.ProblemKey != k.pending || last.Decision != "create" || last.JobID != k.parkedJob ||
			last.EventID != "ev-3" || last.Time == nil {
			t.Errorf("newest delivery as JSON: %+v", last)
		}

		future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		if code, out, _ := runBooty(t, k.env, "deliveries", "--since", future); code != 0 || len(tsvRows(out)) != 1 {
			t.Errorf("deliveries --since %s: exit %d, want the header alone:\n%s", future, code, out)
		}
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"deliveries", "--since", "-1h"}, "positive duration"},
			{[]string{"deliveries", "--since", "tomorrow"}, "RFC 3339"},
			{[]string{"deliveries", "--limit", "-1"}, "want 0 or more"},
			{[]string{"deliveries", "now"}, `unexpected argument "now"`},
		} {
			if code, out, errOut := runBooty(t, k.env, tc.args...); code != 2 || out != "" || !strings.Contains(errOut, tc.want) {
				t.Errorf("%s: exit %d, stdout %q, stderr %q; want 2 and %q", strings.Join(tc.args, " "), code, out, errOut, tc.want)
			}
		}
	})
}

// TestReadCommandsHelp asks each read-only command for its usage, which
// goes to stdout and opens no store.
func TestReadCommandsHelp(t *testing.T) {
	t.Parallel()
	env := map[string]string{"BOOTY_DATABASE_URL": "sqlite:" + t.TempDir() + "/missing.db"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"problems", "--help"}, "usage: booty problems list [FLAGS] | show KEY|OWNER/REPO#N"},
		{[]string{"problems", "list", "--help"}, "-search string"},
		{[]string{"problems", "show", "-h"}, "usage: booty problems show KEY | OWNER/REPO#N [--json]"},
		{[]string{"problems", "show", "sentry:1", "--help"}, "usage: booty problems show"},
		{[]string{"deliveries", "--help"}, "BOOTY_DELIVERY_RETENTION"},
		{[]string{"help"}, "deliveries [--since 1h] [--json]"},
	} {
		if code, out, errOut := runBooty(t, env, tc.args...); code != 0 || !strings.Contains(out, tc.want) || errOut != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want 0 and %q on stdout", strings.Join(tc.args, " "), code, out, errOut, tc.want)
		}
	}
}
