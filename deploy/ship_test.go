package deploy_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// ci is one CI job's runner for ship.sh: its RUNNER_TEMP, job summary and step outputs.
type ci struct {
	dir, summary, outputs string
}

func newCI(t *testing.T) ci {
	t.Helper()
	dir := t.TempDir()
	return ci{dir: dir, summary: filepath.Join(dir, "summary.md"), outputs: filepath.Join(dir, "outputs")}
}

func (c ci) env() []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"RUNNER_TEMP=" + c.dir,
		"GITHUB_STEP_SUMMARY=" + c.summary,
		"GITHUB_OUTPUT=" + c.outputs,
	}
}

func (c ci) read(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(data)
}

// shipPath is ship.sh, run by the tests the way the workflows run it.
func shipPath(t *testing.T) string {
	t.Helper()
	path, err := filepath.Abs("ship.sh")
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func TestShipPreflight(t *testing.T) {
	t.Parallel()
	production := map[string]string{
		"TARGET_ENV":  "production",
		"EVENT":       "push",
		"DEPLOY_HOST": "203.0.113.10",
		"DEPLOY_USER": "deploy",
		"SERVER_NAME": "booty.example.com",
		"HAS_SSH_KEY": "true",
	}
	with := func(base map[string]string, changes ...string) map[string]string {
		env := make(map[string]string, len(base))
		for k, v := range base {
			env[k] = v
		}
		for _, kv := range changes {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
		return env
	}
	staging := with(production, "TARGET_ENV=staging", "DEPLOY_HOST=198.51.100.7", "SERVER_NAME=staging.booty.example.com",
		"REPO_DEPLOY_HOST=203.0.113.10", "REPO_SERVER_NAME=booty.example.com")

	tests := []struct {
		name           string
		env            map[string]string
		wantCode       int
		wantConfigured string   // the step output; "" when there is none
		wantSummary    []string // lines the job summary must contain
	}{
		{"production ready", production, 0, "true", []string{"DEPLOY_KNOWN_HOSTS is not set"}},
		{"production with known hosts", with(production, "DEPLOY_KNOWN_HOSTS=203.0.113.10 ssh-ed25519 AAAA"), 0, "true", nil},
		{
			"production with nothing set", map[string]string{"TARGET_ENV": "production", "EVENT": "push", "HAS_SSH_KEY": "false"}, 1, "",
			[]string{"- missing variable DEPLOY_HOST", "- missing variable DEPLOY_USER", "- missing variable SERVER_NAME", "- missing secret SSH_PRIVATE_KEY"},
		},
		{"production without the key", with(production, "HAS_SSH_KEY=false"), 1, "", []string{"- missing secret SSH_PRIVATE_KEY"}},
		{"server name with a scheme", with(production, "SERVER_NAME=https://booty.example.com/"), 1, "", []string{"SERVER_NAME 'https://booty.example.com/' is not a host name"}},
		{"port that is not a number", with(production, "DEPLOY_PORT=ssh"), 1, "", []string{"DEPLOY_PORT 'ssh' is not a port number"}},
		{"user with a shell character", with(production, "DEPLOY_USER=deploy;id"), 1, "", []string{"DEPLOY_USER 'deploy;id' is not a user name"}},
		{"unknown architecture", with(production, "DEPLOY_GOARCH=m68k"), 1, "", []string{"DEPLOY_GOARCH 'm68k'"}},
		{"staging ready", staging, 0, "true", nil},
		{"staging not configured on push", map[string]string{"TARGET_ENV": "staging", "EVENT": "push", "HAS_SSH_KEY": "false"}, 0, "false", []string{"Staging is not configured"}},
		{"staging inheriting production's server on push", with(staging, "SERVER_NAME=booty.example.com", "DEPLOY_HOST=203.0.113.10"), 0, "false", []string{"Staging is not configured"}},
		{"staging inheriting production's host on push", with(staging, "DEPLOY_HOST=203.0.113.10"), 0, "false", []string{"Staging is not configured"}},
		{
			"staging inheriting production's server when asked for", with(staging, "EVENT=workflow_dispatch", "SERVER_NAME=booty.example.com", "DEPLOY_HOST=203.0.113.10"), 1, "",
			[]string{"- SERVER_NAME is the repository's (production's)", "- DEPLOY_HOST is the repository's (production's)"},
		},
		{"staging not configured when asked for", map[string]string{"TARGET_ENV": "staging", "EVENT": "workflow_dispatch", "HAS_SSH_KEY": "false"}, 1, "", []string{"- missing variable DEPLOY_HOST"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newCI(t)
			env := c.env()
			for k, v := range tt.env {
				env = append(env, k+"="+v)
			}
			res := (&bundle{t: t, script: shipPath(t), env: env}).run("preflight")
			if res.code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr:\n%s", res.code, tt.wantCode, res.stderr)
			}
			var configured string
			for line := range strings.Lines(c.read(t, c.outputs)) {
				if v, ok := strings.CutPrefix(strings.TrimSpace(line), "configured="); ok {
					configured = v
				}
			}
			if configured != tt.wantConfigured {
				t.Errorf("output configured=%q, want %q", configured, tt.wantConfigured)
			}
			summary := c.read(t, c.summary)
			for _, want := range tt.wantSummary {
				if !strings.Contains(summary, want) {
					t.Errorf("job summary does not say %q:\n%s", want, summary)
				}
			}
		})
	}
}

// TestShipOverSSH runs ship.sh's ship and rollback with ssh and scp stand-ins that run
// the "remote" side on this machine, against a server bundle: the upload, the quoting of
// the remote command and the SHA that comes back are the real ones.
func TestShipOverSSH(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := newCI(t)

	stubs := t.TempDir()
	writeScript(t, filepath.Join(stubs, "ssh"), `#!/usr/bin/env bash
# ssh stand-in: runs the remote command here, in a shell, as sshd would.
set -euo pipefail
while (($#)); do case $1 in -o | -p) shift 2 ;; --) shift; break ;; -*) shift ;; *) break ;; esac; done
[[ $1 == deploy@server.test ]] || { echo "ssh: unexpected destination $1" >&2; exit 255; }
shift
exec bash -c "$*"
`)
	writeScript(t, filepath.Join(stubs, "scp"), `#!/usr/bin/env bash
# scp stand-in: copies to the "remote" path here.
set -euo pipefail
while (($#)); do case $1 in -o | -P) shift 2 ;; --) shift; break ;; -*) shift ;; *) break ;; esac; done
args=("$@")
dest=${args[-1]}
unset 'args[-1]'
[[ $dest == deploy@server.test:* ]] || { echo "scp: unexpected destination $dest" >&2; exit 1; }
cp -r -- "${args[@]}" "${dest#*:}"
`)

	release := filepath.Join(c.dir, "booty-release", "booty")
	putRelease := func(binary string) {
		t.Helper()
		data, err := os.ReadFile(binary)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(release), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(release, data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ship := func(cmd string, extra ...string) result {
		t.Helper()
		env := append(c.env(), b.env...) // b.env's PATH wins; the stubs go in front below
		env = append(env,
			"PATH="+stubs+string(os.PathListSeparator)+os.Getenv("PATH"),
			"TARGET_ENV=staging",
			"DEPLOY_HOST=server.test",
			"DEPLOY_USER=deploy",
			"DEPLOY_PORT=2222",
		)
		env = append(env, extra...)
		if err := os.Truncate(c.outputs, 0); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		return (&bundle{t: t, script: shipPath(t), env: env}).run(cmd)
	}
	wantOutput := func(want string) {
		t.Helper()
		if got := c.read(t, c.outputs); got != want {
			t.Errorf("step outputs %q, want %q", got, want)
		}
	}

	putRelease(bootyBinary)
	for _, sha := range []string{shaA, shaB} {
		if res := ship("ship", "SHA="+sha); res.code != 0 {
			t.Fatalf("ship %s: exit %d; stderr:\n%s", sha, res.code, res.stderr)
		}
		wantOutput("live=" + sha + "\n")
	}
	if diff := cmp.Diff(wantState(shaB, shaA, "staging"), b.state()); diff != "" {
		t.Errorf("after shipping twice (-want +got):\n%s", diff)
	}

	res := ship("rollback")
	if res.code != 0 {
		t.Fatalf("rollback: exit %d; stderr:\n%s", res.code, res.stderr)
	}
	wantOutput("live=" + shaA + "\n")
	if diff := cmp.Diff(wantState(shaA, shaB, "staging"), b.state()); diff != "" {
		t.Errorf("after rollback (-want +got):\n%s", diff)
	}

	putRelease(unrunnableBinary(t))
	if res := ship("ship", "SHA="+shaC); res.code != 1 {
		t.Errorf("ship of a binary that does not run: exit %d, want 1", res.code)
	}
	wantOutput("")
	if diff := cmp.Diff(wantState(shaA, shaB, "staging"), b.state()); diff != "" {
		t.Errorf("after the failed ship (-want +got):\n%s", diff)
	}
	res = ship("summary", "SHA="+shaC, `STEPS_JSON={"checkout":{"outcome":"success"},"ship":{"outcome":"failure"},"check":{"outcome":"skipped"}}`)
	if res.code != 0 {
		t.Errorf("summary: exit %d; stderr:\n%s", res.code, res.stderr)
	}
	summary := c.read(t, c.summary)
	for _, want := range []string{"## Deploy to staging failed", "Failed step: **ship**", "does not run on this server", "nothing was changed"} {
		if !strings.Contains(summary, want) {
			t.Errorf("job summary does not say %q:\n%s", want, summary)
		}
	}

	leftovers, err := filepath.Glob(filepath.Join(b.tmp, "booty-deploy.*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(leftovers) != 0 {
		t.Errorf("uploads left on the server: %v", leftovers)
	}
}
