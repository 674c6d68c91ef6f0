package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"booty/internal/githubtest"
	"booty/internal/store"
)

// jobStates reads River's job counts of the store at dbPath the way an
// operator command does, beside the server.
func jobStates(t *testing.T, dbPath string) map[string]int {
	t.Helper()
	st, err := store.OpenWith(context.Background(), "sqlite:"+dbPath, store.Options{Access: store.Operate})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := st.JobsByState(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestSecondServeRefused starts a second booty serve, on the same file and
// port, while the first one's create hangs in GitHub. The second refuses,
// naming the file and the first's PID, before it touches the job: the
// create stays the first one's, and one issue is filed.
func TestSecondServeRefused(t *testing.T) {
	t.Parallel()
	gh := githubtest.NewServer(t, githubtest.Options{Token: testToken, Owner: "acme", Repo: "shop"})
	gh.FailNextMatching(http.MethodPost, "/repos/acme/shop/issues", 1, githubtest.Hang(3*time.Second))
	dbPath := filepath.Join(t.TempDir(), "booty.db")
	env := bootyEnv(gh.URL, "sqlite:"+dbPath)
	addr := freeAddr(t)
	first := startBooty(t, env, addr)
	if got := send(first.url, deliveries(t, 1, 1)[0]); got != http.StatusAccepted {
		t.Fatalf("delivery: %d, want 202", got)
	}
	waitFor(t, 10*time.Second, "the create to be in flight", func() bool { return jobStates(t, dbPath)["running"] == 1 })

	second := exec.Command(builtBooty(t), "serve")
	// Another port: the lock, not the taken address, must stop it.
	second.Env = append(env, "BOOTY_LISTEN="+freeAddr(t))
	out, err := second.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("second serve: %v, want exit 1; output:\n%s", err, out)
	}
	for _, want := range []string{dbPath, "process " + strconv.Itoa(first.PID())} {
		if !strings.Contains(string(out), want) {
			t.Errorf("second serve's error does not name %q:\n%s", want, out)
		}
	}
	if got := jobStates(t, dbPath); got["running"] != 1 {
		t.Errorf("after the second serve: jobs %v, want the create still running", got)
	}

	waitFor(t, 20*time.Second, "the create to finish", func() bool { return jobStates(t, dbPath)["completed"] == 1 })
	checkOneIssueEach(t, gh, 1)
	if n := gh.Count(http.MethodPost, "/repos/acme/shop/issues"); n != 1 {
		t.Errorf("GitHub got %d creates, want 1", n)
	}
}

// TestLostDatabase deletes the database under a running booty: it refuses
// deliveries and health says why. Restarted on the empty store, it finds
// the issues it filed by their marker and files none again.
func TestLostDatabase(t *testing.T) {
	t.Parallel()
	gh := githubtest.NewServer(t, githubtest.Options{Token: testToken, Owner: "acme", Repo: "shop"})
	dbPath := filepath.Join(t.TempDir(), "booty.db")
	env := bootyEnv(gh.URL, "sqlite:"+dbPath)
	addr := freeAddr(t)
	p := startBooty(t, env, addr)
	const problems = 3
	for _, d := range deliveries(t, problems, 1) {
		if got := send(p.url, d); got != http.StatusAccepted {
			t.Fatalf("delivery: %d, want 202", got)
		}
	}
	waitFor(t, 20*time.Second, "the issues", func() bool { return len(gh.Issues()) == problems })
	waitFor(t, 20*time.Second, "the creates to finish", func() bool { return jobStates(t, dbPath)["completed"] == problems })

	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(dbPath + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}
	later := deliveries(t, problems, 2)[problems:]
	if got := send(p.url, later[0]); got != http.StatusServiceUnavailable {
		t.Errorf("delivery after the database was deleted: %d, want 503", got)
	}
	resp, err := http.Get(p.url + "/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("health after the database was deleted: %d, want 503", resp.StatusCode)
	}
	if !strings.Contains(p.logs.String(), "database file lost") {
		t.Errorf("no error line for the lost database:\n%s", p.logs)
	}
	p.kill()

	p = startBooty(t, env, addr)
	waitFor(t, 10*time.Second, "the recovery on the empty store", func() bool {
		return strings.Contains(p.logs.String(), "recovered problems")
	})
	for _, d := range later {
		if got := send(p.url, d); got != http.StatusAccepted {
			t.Fatalf("delivery after the restart: %d, want 202", got)
		}
	}
	// Each new event comments on the problem's issue.
	waitFor(t, 20*time.Second, "a comment on each issue", func() bool {
		for _, is := range gh.Issues() {
			if len(is.Comments) == 0 {
				return false
			}
		}
		return true
	})
	checkOneIssueEach(t, gh, problems)
}

// TestOperatorCommandsNeverCreate runs every store command against a store
// that does not exist: each fails, names the path and the variable, and
// creates nothing.
func TestOperatorCommandsNeverCreate(t *testing.T) {
	t.Parallel()
	gh := githubtest.NewServer(t, githubtest.Options{Token: testToken, Owner: "acme", Repo: "shop"})
	missing := filepath.Join(t.TempDir(), "var", "booty.db")
	for _, args := range [][]string{
		{"parked", "list"}, {"parked", "retry", "--all"}, {"parked", "retry", "1"}, {"parked", "drop", "1"},
		{"spool", "list"}, {"recover"}, {"migrate"}, {"migrate", "--status"},
		{"problems", "list"}, {"problems", "list", "--json"}, {"problems", "show", "sentry:1"}, {"problems", "show", "acme/shop#1"},
		{"deliveries"}, {"deliveries", "--since", "1h", "--json"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			env := map[string]string{
				"BOOTY_DATABASE_URL": "sqlite:" + missing, "SENTRY_WEBHOOK_SECRET": testSecret,
				"GITHUB_TOKEN": testToken, "TARGET_REPO_URL": "acme/shop", "GITHUB_API_URL": gh.URL,
			}
			code, out, errOut := runBooty(t, env, args...)
			if code != 1 || !strings.Contains(errOut, missing) || !strings.Contains(errOut, "BOOTY_DATABASE_URL") {
				t.Errorf("exit %d, stderr %q; want 1 naming %s and BOOTY_DATABASE_URL", code, errOut, missing)
			}
			if out != "" {
				t.Errorf("stdout %q reports on a store that does not exist", out)
			}
			if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s exists after the command (%v)", missing, err)
			}
		})
	}
}

// TestParkedCommands parks a create, lists, retries and drops it under
// booty's word for it, and checks each answers --help and refuses what it
// does not take.
func TestParkedCommands(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.gh.FailNextMatching(http.MethodPost, "/repos/acme/shop/issues", 1, githubtest.Status(422))
	deliver(t, b.url, "event_alert", fixture(t, "event_alert.triggered.json"), testSecret)
	waitFor(t, 10*time.Second, "the job to park", func() bool {
		n, err := b.app.store.ParkedJobs(context.Background())
		return err == nil && n == 1
	})
	env := map[string]string{"BOOTY_DATABASE_URL": b.app.cfg.DatabaseURL}
	dbPath := strings.TrimPrefix(b.app.cfg.DatabaseURL, "sqlite:")

	code, out, errOut := runBooty(t, env, "parked", "list")
	if code != 0 || !strings.Contains(out, "sentry:1117540176") || !strings.Contains(out, "refused") || !strings.Contains(out, "422") {
		t.Fatalf("parked list: exit %d\n%s%s", code, out, errOut)
	}
	if want := "booty: store " + dbPath + "\n"; errOut != want || strings.Contains(out, dbPath) {
		t.Errorf("parked list: stderr %q, want %q (and not on stdout)", errOut, want)
	}
	var id int64
	for _, line := range strings.Split(out, "\n")[1:] {
		if _, err := fmt.Sscan(line, &id); err == nil {
			break
		}
	}
	if code, out, errOut := runBooty(t, env, "parked", "retry", fmt.Sprint(id)); code != 0 || out != fmt.Sprintf("retrying: job %d\n", id) {
		t.Fatalf("parked retry %d: exit %d\n%s%s", id, code, out, errOut)
	}
	waitFor(t, 10*time.Second, "the retried issue", func() bool { return len(b.gh.Issues()) == 1 })
	if code, out, _ := runBooty(t, env, "parked", "list"); code != 0 || out != "no parked jobs\n" {
		t.Errorf("parked list after retry: exit %d\n%s", code, out)
	}
	if code, _, errOut := runBooty(t, env, "parked", "drop", fmt.Sprint(id)); code != 1 || !strings.Contains(errOut, "not parked") {
		t.Errorf("dropping a finished job: exit %d %q, want 1 and 'not parked'", code, errOut)
	}

	for _, tc := range []struct {
		args     []string
		wantCode int
		want     string // on stdout for --help, else on stderr
	}{
		{[]string{"parked", "--help"}, 0, "usage: booty parked list"},
		{[]string{"parked", "list", "--help"}, 0, "usage: booty parked list"},
		{[]string{"parked", "retry", "-h"}, 0, "--all"},
		{[]string{"recover", "--help"}, 0, "usage: booty recover"},
		{[]string{"parked"}, 2, "usage: booty parked"},
		{[]string{"parked", "frob"}, 2, `unexpected argument "frob": want list, retry or drop`},
		{[]string{"parked", "list", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"parked", "list", "--all"}, 2, "flag provided but not defined"},
		{[]string{"parked", "retry"}, 2, "usage: booty parked retry"},
		{[]string{"parked", "retry", "abc"}, 2, `"abc" is not a job id`},
		{[]string{"parked", "retry", "--all", "3"}, 2, "--all takes no ID"},
		{[]string{"parked", "drop", "1", "2"}, 2, "usage: booty parked drop"},
		{[]string{"recover", "now"}, 2, `unexpected argument "now"`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errOut := runBooty(t, env, tc.args...)
			shown, other := errOut, out
			if tc.wantCode == 0 {
				shown, other = out, errOut
			}
			if code != tc.wantCode || !strings.Contains(shown, tc.want) || other != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d and %q (usage on stdout for --help, else stderr)",
					code, out, errOut, tc.wantCode, tc.want)
			}
		})
	}
}

// TestEmptyStoreWhileGitHubIsDown starts booty on an empty store while
// GitHub cannot list its issues, beside an issue it filed before it lost its database. It
// must serve (alerts are accepted) but file nothing until it has read its
// issues back; then the alert's problem is linked to the issue it has, and
// no second issue is filed.
func TestEmptyStoreWhileGitHubIsDown(t *testing.T) {
	t.Parallel()
	gh := githubtest.NewServer(t, githubtest.Options{Token: testToken, Owner: "acme", Repo: "shop"})
	first := deliveries(t, 1, 2)
	// File the problem's issue with a first booty, then lose its store.
	dbPath := filepath.Join(t.TempDir(), "booty.db")
	p := startBooty(t, bootyEnv(gh.URL, "sqlite:"+dbPath), "")
	if got := send(p.url, first[0]); got != http.StatusAccepted {
		t.Fatalf("delivery: %d, want 202", got)
	}
	waitFor(t, 20*time.Second, "the issue", func() bool { return len(gh.Issues()) == 1 })
	waitFor(t, 20*time.Second, "the create to finish", func() bool { return jobStates(t, dbPath)["completed"] == 1 })
	p.stop(t)

	// Listing issues fails for the first three recovery attempts (over
	// about 3 s); creating one would still work, so a create that was not
	// held would file a duplicate.
	gh.FailNextMatching(http.MethodGet, "/repos/acme/shop/issues", 3, githubtest.Status(http.StatusBadGateway))
	emptyPath := filepath.Join(t.TempDir(), "booty.db")
	p = startBooty(t, bootyEnv(gh.URL, "sqlite:"+emptyPath), "")
	got := deliver(t, p.url, "event_alert", first[1].body, testSecret)
	if got.Status != http.StatusAccepted || got.Decision != "create" {
		t.Fatalf("delivery while booty cannot read GitHub: %s, want 202 create", got.RawBody)
	}
	waitFor(t, 20*time.Second, "booty to say it is waiting for GitHub", func() bool {
		return strings.Contains(p.logs.String(), "cannot read booty's issues from GitHub yet")
	})
	waitFor(t, 30*time.Second, "the recovery", func() bool { return strings.Contains(p.logs.String(), "recovered problems") })
	waitFor(t, 30*time.Second, "the held create to finish", func() bool { return jobStates(t, emptyPath)["completed"] == 1 })
	if n := len(gh.Issues()); n != 1 {
		t.Errorf("got %d issues, want the 1 filed before the store was lost", n)
	}
	if c := gh.Count(http.MethodPost, "/repos/acme/shop/issues"); c != 1 {
		t.Errorf("got %d issue creates in all, want 1", c)
	}
}
