package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"booty/internal/githubtest"
	"booty/internal/store"
	"booty/internal/storetest"
)

// schemaOf returns where the schema of the store at dbURL stands, read
// without changing it.
func schemaOf(t *testing.T, dbURL string) store.SchemaStatus {
	t.Helper()
	st, err := store.OpenWith(t.Context(), dbURL, store.Options{Access: store.Operate, KeepSchema: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := st.Schema(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var appliedAt = regexp.MustCompile(`applied \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)

// TestMigrate takes a database booty has not migrated through migrate
// --status (pending, exit 1), migrate (each migration applied, once) and
// migrate --status again (up to date, exit 0), on each backend.
func TestMigrate(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			var dbURL, name string
			if backend == "postgres" {
				dbURL = storetest.PostgresURL(t)
				u, _ := url.Parse(dbURL)
				name = "postgres://" + u.Host + u.Path
			} else {
				name = filepath.Join(t.TempDir(), "booty.db")
				dbURL = "sqlite:" + name
				// A file that exists with nothing migrated into it.
				st, err := store.OpenWith(ctx, dbURL, store.Options{KeepSchema: true})
				if err != nil {
					t.Fatal(err)
				}
				st.Close()
			}
			env := map[string]string{"BOOTY_DATABASE_URL": dbURL}
			before := schemaOf(t, dbURL)
			if !before.Pending() || before.River != 0 {
				t.Fatalf("fresh database: %+v, want everything pending", before)
			}

			code, out, errOut := runBooty(t, env, "migrate", "--status")
			if code != 1 || errOut != "booty: store "+name+"\n" {
				t.Errorf("migrate --status before: exit %d, stderr %q; want 1 and the store's name", code, errOut)
			}
			var names []string
			for _, m := range before.Booty {
				if !regexp.MustCompile(`\nbooty +` + regexp.QuoteMeta(m.Name) + ` +pending\n`).MatchString(out) {
					t.Errorf("migrate --status before does not show %s pending:\n%s", m.Name, out)
				}
				names = append(names, m.Name)
			}
			wantRiver := regexp.MustCompile(fmt.Sprintf(`\nriver +version 0 +pending: this booty's is version %d\n`, before.RiverLatest))
			wantLast := "pending: " + strings.Join(names, ", ") + ", River's schema; booty migrate applies them\n"
			if !wantRiver.MatchString(out) || !strings.HasSuffix(out, wantLast) {
				t.Errorf("migrate --status before:\n%s\nwant River's %q and the verdict %q", out, wantRiver, wantLast)
			}
			if after := schemaOf(t, dbURL); !after.Pending() {
				t.Errorf("migrate --status applied migrations: %+v", after)
			}

			code, out, errOut = runBooty(t, env, "migrate")
			want := ""
			for _, n := range names {
				want += "applied " + n + "\n"
			}
			want += fmt.Sprintf("applied River's schema: version 0 to %d\n", before.RiverLatest)
			if code != 0 || out != want {
				t.Errorf("migrate: exit %d, stdout:\n%s\nstderr %q; want 0 and\n%s", code, out, errOut, want)
			}

			code, out, _ = runBooty(t, env, "migrate", "--status")
			if code != 0 || !strings.HasSuffix(out, "\nup to date\n") || len(appliedAt.FindAllString(out, -1)) != len(names) ||
				!regexp.MustCompile(fmt.Sprintf(`\nriver +version %d +applied\n`, before.RiverLatest)).MatchString(out) {
				t.Errorf("migrate --status after: exit %d, stdout:\n%s\nwant 0, each migration applied, up to date", code, out)
			}
			if code, out, _ := runBooty(t, env, "migrate"); code != 0 || out != "nothing to apply: the schema is up to date\n" {
				t.Errorf("second migrate: exit %d, stdout %q", code, out)
			}
		})
	}
}

// TestMigrateServedSQLite migrates an SQLite file a booty serves: nothing
// pending is fine, something pending is refused, naming the process.
func TestMigrateServedSQLite(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()

	current := filepath.Join(dir, "current.db")
	served, err := store.Open(ctx, "sqlite:"+current)
	if err != nil {
		t.Fatal(err)
	}
	defer served.Close()
	if code, out, errOut := runBooty(t, map[string]string{"BOOTY_DATABASE_URL": "sqlite:" + current}, "migrate"); code != 0 ||
		out != "nothing to apply: the schema is up to date\n" {
		t.Errorf("migrate beside a booty with nothing pending: exit %d\n%s%s", code, out, errOut)
	}

	behind := filepath.Join(dir, "behind.db")
	old, err := store.OpenWith(ctx, "sqlite:"+behind, store.Options{KeepSchema: true}) // serves, unmigrated
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"BOOTY_DATABASE_URL": "sqlite:" + behind}
	code, out, errOut := runBooty(t, env, "migrate")
	if code != 1 || out != "" || !strings.Contains(errOut, "in use by another booty") ||
		!strings.Contains(errOut, "process "+strconv.Itoa(os.Getpid())) || !strings.Contains(errOut, "stop it first") {
		t.Errorf("migrate beside a booty with migrations pending: exit %d, stdout %q, stderr %q; want 1 naming the process", code, out, errOut)
	}
	if code, _, _ := runBooty(t, env, "migrate", "--status"); code != 1 {
		t.Errorf("migrate --status beside the booty: exit %d, want 1 (pending)", code)
	}
	old.Close()
	if code, out, errOut := runBooty(t, env, "migrate"); code != 0 || !strings.Contains(out, "applied ") {
		t.Errorf("migrate once the booty stopped: exit %d\n%s%s", code, out, errOut)
	}
}

// runBinary runs the built booty with args and env alone, and returns its
// exit code and output.
func runBinary(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, builtBooty(t), args...)
	cmd.Env = append([]string{}, env...) // never nil: nil is the test's own environment
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		t.Fatalf("booty %v: %v", args, err)
	}
	return code, out.String(), errb.String()
}

var progressLine = regexp.MustCompile(`(?m)^booty: copied (\d+)/(\d+) rows$`)

// TestMigrateStore copies the SQLite store of a booty that filed two issues
// and parked a create into a new store of each backend, through the built
// binary: refused while booty serves, copied once stopped, refused the
// second time; booty then serves the copy, where the redelivered event is
// a duplicate and the parked create, retried, files the third issue.
func TestMigrateStore(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			var toURL, toName string
			if backend == "postgres" {
				toURL = storetest.PostgresURL(t)
				u, _ := url.Parse(toURL)
				toName = "postgres://" + u.Host + u.Path
			} else {
				toName = filepath.Join(t.TempDir(), "copy.db")
				toURL = "sqlite:" + toName
			}
			gh := githubtest.NewServer(t, githubtest.Options{Token: testToken, Owner: "acme", Repo: "shop"})
			gh.FailNextMatching(http.MethodPost, "/repos/acme/shop/issues", 1, githubtest.Status(422))
			src := filepath.Join(t.TempDir(), "booty.db")
			fromURL := "sqlite:" + src
			p := startBooty(t, bootyEnv(gh.URL, fromURL), "")
			ds := deliveries(t, 3, 1)
			for _, d := range ds {
				if got := send(p.url, d); got != http.StatusAccepted {
					t.Fatalf("delivery: %d, want 202", got)
				}
			}
			waitFor(t, 20*time.Second, "two issues and a parked create", func() bool {
				s := jobStates(t, src)
				return s["parked"] == 1 && s["completed"] == 2
			})

			code, out, errOut := runBinary(t, nil, "migrate-store", "--from", fromURL, "--to", toURL)
			if code != 1 || out != "" || !strings.Contains(errOut, "in use by another booty") ||
				!strings.Contains(errOut, "process "+strconv.Itoa(p.PID())) {
				t.Errorf("migrate-store from a served store: exit %d, stdout %q, stderr %q; want 1 naming booty's process", code, out, errOut)
			}
			p.stop(t)

			jobs := 0
			for state, n := range jobStates(t, src) {
				if state != "completed" {
					jobs += n
				}
			}
			_, parkedBefore, _ := runBooty(t, map[string]string{"BOOTY_DATABASE_URL": fromURL}, "parked", "list")
			code, out, errOut = runBinary(t, nil, "migrate-store", "--from", fromURL, "--to", toURL)
			if want := fmt.Sprintf("3 problems, 3 events, 3 deliveries, 0 digests, 0 runs, %d jobs (1 parked) copied\n", jobs); code != 0 || out != want {
				t.Fatalf("migrate-store: exit %d, stdout %q, stderr:\n%s\nwant 0 and %q", code, out, errOut, want)
			}
			if !strings.Contains(errOut, "booty: copying "+src+" to "+toName+"\n") {
				t.Errorf("stderr does not name both stores:\n%s", errOut)
			}
			lines := progressLine.FindAllStringSubmatch(errOut, -1)
			// Rows: 3 problems, 3 events, 3 deliveries, the 2 budgets of new
			// issues the creates took from (the route's and the global
			// one), the 3 creates' lifecycle transitions, and the jobs.
			if total := strconv.Itoa(9 + 2 + 3 + jobs); len(lines) == 0 || lines[len(lines)-1][1] != total || lines[len(lines)-1][2] != total {
				t.Errorf("progress on stderr: %q, want it to end at %s/%s rows", lines, total, total)
			}

			code, out, errOut = runBinary(t, nil, "migrate-store", "--from", fromURL, "--to", toURL)
			if code != 1 || out != "" || !strings.Contains(errOut, "not empty: it holds 3 problems, 3 counted events, 3 deliveries") {
				t.Errorf("second migrate-store: exit %d, stdout %q, stderr %q; want 1 naming what the target holds", code, out, errOut)
			}

			targetEnv := map[string]string{"BOOTY_DATABASE_URL": toURL}
			code, parkedAfter, errOut := runBooty(t, targetEnv, "parked", "list")
			if code != 0 || parkedAfter != parkedBefore {
				t.Errorf("parked list on the copy: exit %d\n%s%s\nwant what the source listed:\n%s", code, parkedAfter, errOut, parkedBefore)
			}
			var id int64
			for _, line := range strings.Split(parkedAfter, "\n")[1:] {
				if _, err := fmt.Sscan(line, &id); err == nil {
					break
				}
			}

			env := bootyEnv(gh.URL, toURL)
			p = startBooty(t, env, "")
			if got := send(p.url, ds[0]); got != http.StatusOK {
				t.Errorf("the first event again, on the copy: %d, want 200 (a duplicate)", got)
			}
			if code, out, errOut := runBooty(t, targetEnv, "parked", "retry", strconv.FormatInt(id, 10)); code != 0 {
				t.Fatalf("parked retry %d on the copy: exit %d\n%s%s", id, code, out, errOut)
			}
			waitFor(t, 20*time.Second, "the third issue", func() bool { return len(gh.Issues()) == 3 })
			checkOneIssueEach(t, gh, 3)
			p.stop(t)
		})
	}
}

// TestMigrateStoreArguments checks what migrate-store refuses before it
// opens anything.
func TestMigrateStoreArguments(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.db")
	for _, tc := range []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{"no flags", nil, 2, "missing --from"},
		{"no target", []string{"--from", "sqlite:" + missing}, 2, "missing --to"},
		{"bad URL", []string{"--from", "mysql://db", "--to", "sqlite:" + filepath.Join(dir, "t.db")}, 2, "--from: must be sqlite:PATH or postgres://"},
		{"target directory missing", []string{"--from", "sqlite:" + missing, "--to", "sqlite:" + filepath.Join(dir, "no", "t.db")}, 2,
			"--to: the directory " + filepath.Join(dir, "no")},
		{"no source", []string{"--from", "sqlite:" + missing, "--to", "sqlite:" + filepath.Join(dir, "t.db")}, 1,
			"--from: no database at " + missing},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runBooty(t, nil, append([]string{"migrate-store"}, tc.args...)...)
			if code != tc.wantCode || out != "" || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d and %q", code, out, errOut, tc.wantCode, tc.want)
			}
		})
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s exists after migrate-store (%v)", missing, err)
	}
}
