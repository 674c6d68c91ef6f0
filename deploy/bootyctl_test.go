package deploy_test

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"booty/internal/store"
)

// unitSettings reads what booty-ctl asks systemd about from booty.service itself, with
// the server's directories moved into the test's: the fake systemctl answers with them.
func unitSettings(t *testing.T, etc, state string) map[string]string {
	t.Helper()
	f, err := os.Open("booty.service")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	move := strings.NewReplacer("/etc/booty", etc, "/var/lib/booty", state)
	props := map[string]string{}
	var env, files []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), "=")
		if !ok || strings.HasPrefix(key, "#") {
			continue
		}
		value = move.Replace(value)
		switch key {
		case "User", "WorkingDirectory":
			props[key] = value
		case "Environment":
			env = append(env, value)
		case "EnvironmentFile":
			// systemctl show's form: "PATH (ignore_errors=yes)".
			if p, ok := strings.CutPrefix(value, "-"); ok {
				files = append(files, p+" (ignore_errors=yes)")
			} else {
				files = append(files, value+" (ignore_errors=no)")
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	props["Environment"] = strings.Join(env, " ")
	props["EnvironmentFiles"] = strings.Join(files, "\n")
	return props
}

// fakeSystemdRun runs the command as systemd-run would for booty-ctl's flags, minus the
// user switch: a clean environment of --setenv, overridden by the environment files, in
// the working directory. It records its arguments in $FAKE_RUN_LOG.
const fakeSystemdRun = `#!/usr/bin/env bash
set -euo pipefail
printf '%s\n' "$@" >"$FAKE_RUN_LOG"
setenv=() fromfiles=() dir=/
while (($#)); do
	case $1 in
	--quiet | --pipe | --wait | --collect | --uid=*) ;;
	--working-directory=*) dir=${1#*=} ;;
	--setenv=*) setenv+=("${1#--setenv=}") ;;
	--property=EnvironmentFile=*)
		f=${1#--property=EnvironmentFile=} optional=""
		if [[ $f == -* ]]; then f=${f#-} optional=1; fi
		if [[ -f $f ]]; then
			while IFS= read -r l; do [[ -z $l || $l == \#* ]] || fromfiles+=("$l"); done <"$f"
		elif [[ -z $optional ]]; then
			echo "fake systemd-run: $f is missing" >&2
			exit 1
		fi
		;;
	--) shift && break ;;
	*) echo "fake systemd-run: unexpected $1" >&2 && exit 1 ;;
	esac
	shift
done
cd "$dir"
exec env -i "${setenv[@]}" "${fromfiles[@]}" "$@"
`

// TestBootyCtl deploys a release and runs the operator commands through its booty-ctl
// as docs/deploy.md says: booty gets the unit's store and secrets, not the caller's
// environment, and runs in the unit's directory as the unit's user.
func TestBootyCtl(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.deploy(shaA, bootyBinary)
	ctl := filepath.Join(b.root, "current", "booty-ctl")
	if fi, err := os.Stat(ctl); err != nil || fi.Mode()&0o111 == 0 {
		t.Fatalf("the release has no executable booty-ctl: %v", err)
	}

	state := filepath.Join(b.tmp, "state")
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	props := unitSettings(t, b.etc, state)
	if props["User"] != "booty" || !strings.Contains(props["Environment"], "BOOTY_DATABASE_URL=sqlite:"+state+"/booty.db") {
		t.Fatalf("booty.service settings: %v", props)
	}
	dir := t.TempDir()
	for name, value := range props {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(value+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	systemctl := filepath.Join(dir, "systemctl")
	writeScript(t, systemctl, `#!/bin/sh
# systemctl show --property=NAME --value -- UNIT stand-in.
[ "$1" = show ] && [ "$5" = booty ] || { echo "fake systemctl: $*" >&2; exit 1; }
exec cat "`+dir+`/${2#--property=}"
`)
	systemdRun := filepath.Join(dir, "systemd-run")
	writeScript(t, systemdRun, fakeSystemdRun)
	if err := os.WriteFile(filepath.Join(b.etc, "secrets.env"), []byte(
		"SENTRY_WEBHOOK_SECRET=ctl-secret\nTARGET_REPO_URL=acme/shop\nBOOTY_DRY_RUN=true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	runLog := filepath.Join(dir, "run.log")
	ctlRun := func(args ...string) result {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "bash", append([]string{ctl}, args...)...)
		// What the caller's shell holds must not reach booty.
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "SYSTEMCTL=" + systemctl, "SYSTEMD_RUN=" + systemdRun,
			"FAKE_RUN_LOG=" + runLog, "BOOTY_DATABASE_URL=sqlite:" + filepath.Join(dir, "wrong.db")}
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		res := result{stdout: stdout.String(), stderr: stderr.String()}
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			res.code = exitErr.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return res
	}

	dbPath := filepath.Join(state, "booty.db")
	// No store yet: booty says where it looked, which is the unit's store.
	res := ctlRun("parked", "list")
	if res.code != 1 || !strings.Contains(res.stderr, dbPath) || !strings.Contains(res.stderr, "BOOTY_DATABASE_URL") || res.stdout != "" {
		t.Errorf("parked list without a store: exit %d, stdout %q, stderr %q; want 1 naming %s", res.code, res.stdout, res.stderr, dbPath)
	}
	st, err := store.Open(t.Context(), "sqlite:"+dbPath)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	res = ctlRun("parked", "list")
	if res.code != 0 || res.stdout != "no parked jobs\n" || res.stderr != "booty: store "+dbPath+"\n" {
		t.Errorf("parked list: exit %d, stdout %q, stderr %q; want 0, no parked jobs, the store on stderr", res.code, res.stdout, res.stderr)
	}
	logged, err := os.ReadFile(runLog)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"--uid=booty", "--working-directory=" + state, "--pipe", "--wait",
		"--property=EnvironmentFile=-" + filepath.Join(b.etc, "secrets.env"),
		"--property=EnvironmentFile=" + filepath.Join(b.etc, "release.env"),
		"--", filepath.Join(b.root, "releases", shaA, "booty"), "parked", "list"} {
		if !strings.Contains("\n"+string(logged), "\n"+want+"\n") {
			t.Errorf("systemd-run was not given %q:\n%s", want, logged)
		}
	}
	// The secrets file reached booty too.
	if res := ctlRun("check-config"); res.code != 0 || !strings.Contains(res.stdout, "acme/shop") {
		t.Errorf("check-config: exit %d, stdout %q, stderr %q; want 0 with the unit's repo", res.code, res.stdout, res.stderr)
	}

	if res := ctlRun("--help"); res.code != 0 || !strings.Contains(res.stdout, "sudo booty-ctl parked list") {
		t.Errorf("--help: exit %d, stdout %q", res.code, res.stdout)
	}
	if res := ctlRun(); res.code != 2 || !strings.Contains(res.stderr, "Usage:") {
		t.Errorf("no command: exit %d, stderr %q; want 2 with the usage", res.code, res.stderr)
	}
}
