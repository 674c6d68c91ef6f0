// Package deploy_test runs deploy.sh, the script that installs and switches booty
// releases on a server, against a temporary BOOTY_ROOT and BOOTY_ETC, with a systemctl
// stand-in that starts and stops a real booty binary on a loopback port.
package deploy_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// bootyBinary is the booty built once by TestMain for all tests; deploy.sh copies it
// into each release it installs.
var bootyBinary string

const (
	// Short health-check intervals keep the failure cases, which use every try, quick.
	healthTries    = "30"
	healthInterval = "0.1"

	shaA = "aaaaaaa1111111111111111111111111111111aa"
	shaB = "bbbbbbb2222222222222222222222222222222bb"
	shaC = "ccccccc3333333333333333333333333333333cc"
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	if runtime.GOOS != "linux" {
		fmt.Println("deploy.sh targets Linux servers (GNU coreutils, /proc); skipping")
		return 0
	}
	for _, tool := range []string{"bash", "curl", "flock"} {
		if _, err := exec.LookPath(tool); err != nil {
			fmt.Fprintf(os.Stderr, "deploy tests need %s: %v\n", tool, err)
			return 1
		}
	}
	dir, err := os.MkdirTemp("", "booty-deploy-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bootyBinary, err = buildBooty(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// buildBooty builds cmd/booty into dir. It builds with the environment's settings rather
// than the deploy workflow's CGO_ENABLED=0 -trimpath so that it reuses what "go build ./..."
// left in the build cache: a cold build of booty's dependencies takes longer than all
// the tests.
func buildBooty(dir string) (string, error) {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("find the module root: %w", err)
	}
	bin := filepath.Join(dir, "booty")
	cmd := exec.Command("go", "build", "-ldflags", "-X main.version=deploytest", "-o", bin, "./cmd/booty")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build booty: %w\n%s", err, out)
	}
	return bin, nil
}

// bundle is one server: its own BOOTY_ROOT, BOOTY_ETC, fake systemd and port.
type bundle struct {
	t         *testing.T
	tmp       string // the server's TMPDIR
	root, etc string
	healthURL string
	systemd   *fakeSystemd
	env       []string
	script    string
}

// setup makes a server where booty listens itself. Most tests check what deploy.sh does
// when a release fails, and without a booty serving, a socket that systemd holds would
// let every health check wait for its timeout, where the real booty.socket would start
// booty again; the tests of the socket use setupServer.
func setup(t *testing.T) *bundle {
	t.Helper()
	return setupServer(t, false)
}

// setupServer makes a server, with booty.socket holding booty's listening socket as
// docs/deploy.md sets it up, or without it (booty listens itself).
func setupServer(t *testing.T, withSocket bool) *bundle {
	t.Helper()
	dir := t.TempDir()
	b := &bundle{
		t:      t,
		tmp:    dir,
		root:   filepath.Join(dir, "opt", "booty"),
		etc:    filepath.Join(dir, "etc", "booty"),
		script: scriptPath(t),
	}
	for _, d := range []string{b.root, b.etc} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	addr := freeAddr(t)
	var socket *os.File
	if withSocket {
		socket, addr = listenSocket(t)
	}
	b.healthURL = "http://" + addr + "/health"
	b.systemd = &fakeSystemd{
		unit: "booty",
		dir:  dir,
		root: b.root,
		etc:  b.etc,
		env: []string{
			"SENTRY_WEBHOOK_SECRET=deploy-test-secret",
			"TARGET_REPO_URL=acme/shop",
			"BOOTY_DRY_RUN=true",
			"BOOTY_DATABASE_URL=sqlite:" + filepath.Join(dir, "booty.db"),
			"BOOTY_LISTEN=" + addr,
			"TMPDIR=" + dir,
		},
		log:    filepath.Join(dir, "booty.log"),
		socket: socket,
	}
	srv := httptest.NewServer(b.systemd.handler())
	t.Cleanup(srv.Close)
	t.Cleanup(b.systemd.stop) // runs before srv.Close: cleanups run last-in first-out
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := os.ReadFile(b.systemd.log)
			t.Logf("booty's output:\n%s", out)
		}
	})

	systemctl := filepath.Join(dir, "systemctl")
	writeScript(t, systemctl, `#!/bin/sh
# systemctl stand-in: hands "systemctl VERB UNIT" to the test's fake systemd.
exec curl --silent --show-error --fail-with-body -X POST "$FAKE_SYSTEMD_URL/$1/$2"
`)
	b.env = []string{
		"PATH=" + os.Getenv("PATH"),
		"TMPDIR=" + dir,
		"BOOTY_ROOT=" + b.root,
		"BOOTY_ETC=" + b.etc,
		"SYSTEMCTL=" + systemctl,
		"FAKE_SYSTEMD_URL=" + srv.URL,
		"HEALTH_URL=" + b.healthURL,
		"HEALTH_TRIES=" + healthTries,
		"HEALTH_INTERVAL=" + healthInterval,
	}
	return b
}

// result is what one run of deploy.sh did.
type result struct {
	stdout, stderr string
	code           int
}

// run runs deploy.sh with args and returns what it printed and its exit status.
func (b *bundle) run(args ...string) result {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", append([]string{b.script}, args...)...)
	cmd.Env = b.env
	var stdout, stderr strings.Builder
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	res := result{stdout: stdout.String(), stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		res.code = exitErr.ExitCode()
	case err != nil:
		b.t.Fatalf("run deploy.sh %s: %v", strings.Join(args, " "), err)
	}
	return res
}

// mustRun runs deploy.sh and fails the test unless it exits 0.
func (b *bundle) mustRun(args ...string) result {
	b.t.Helper()
	res := b.run(args...)
	if res.code != 0 {
		b.t.Fatalf("deploy.sh %s: exit %d, want 0; stderr:\n%s", strings.Join(args, " "), res.code, res.stderr)
	}
	return res
}

// deploy deploys binary as sha in the test environment and fails the test unless it worked.
func (b *bundle) deploy(sha, binary string) {
	b.t.Helper()
	res := b.mustRun("deploy", "--sha", sha, "--env", "test", "--binary", binary)
	if got, want := res.stdout, sha+"\n"; got != want {
		b.t.Fatalf("deploy %s: stdout %q, want %q", sha, got, want)
	}
}

// live asks /health which release is answering; "" when nothing answers with 200.
func (b *bundle) live() string {
	b.t.Helper()
	resp, err := http.Get(b.healthURL)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return ""
	}
	var health struct {
		Release string `json:"release"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&health); err != nil {
		b.t.Fatalf("decode /health: %v", err)
	}
	return health.Release
}

// link says which release BOOTY_ROOT/name points at; "" when there is no such link.
func (b *bundle) link(name string) string {
	b.t.Helper()
	target, err := os.Readlink(filepath.Join(b.root, name))
	if errors.Is(err, os.ErrNotExist) {
		return ""
	}
	if err != nil {
		b.t.Fatal(err)
	}
	return filepath.Base(target)
}

// releases lists the release directories under BOOTY_ROOT/releases, sorted.
func (b *bundle) releases() []string {
	b.t.Helper()
	entries, err := os.ReadDir(filepath.Join(b.root, "releases"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		b.t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names
}

// releaseEnv is the content of BOOTY_ETC/release.env.
func (b *bundle) releaseEnv() string {
	b.t.Helper()
	data, err := os.ReadFile(filepath.Join(b.etc, "release.env"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		b.t.Fatal(err)
	}
	return string(data)
}

// state is what a test checks after each step: what answers, what the links say, and
// what systemd will read.
type state struct {
	Live, Current, Previous, ReleaseEnv string
}

func (b *bundle) state() state {
	b.t.Helper()
	return state{Live: b.live(), Current: b.link("current"), Previous: b.link("previous"), ReleaseEnv: b.releaseEnv()}
}

func wantState(live, previous, env string) state {
	return state{
		Live:       live,
		Current:    live,
		Previous:   previous,
		ReleaseEnv: "SENTRY_RELEASE=" + live + "\nSENTRY_ENVIRONMENT=" + env + "\n",
	}
}

func scriptPath(t *testing.T) string {
	t.Helper()
	path, err := filepath.Abs("deploy.sh")
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// listenSocket opens a loopback listening socket that stays open until the test ends,
// like booty.socket's, and returns it as a file to pass on and its address.
func listenSocket(t *testing.T) (*os.File, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f, err := l.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		f.Close()
		l.Close()
	})
	return f, l.Addr().String()
}

func writeScript(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o755); err != nil {
		t.Fatal(err)
	}
}

// wrongReleaseBinary is a release that starts and is healthy but reports another
// release than the one deployed, like a stale binary would.
func wrongReleaseBinary(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "booty")
	writeScript(t, path, fmt.Sprintf("#!/bin/sh\nSENTRY_RELEASE=0000000bad exec '%s' \"$@\"\n", bootyBinary))
	return path
}

// failingBinary is a release that runs ("booty version" works) but exits at once when served.
func failingBinary(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "booty")
	writeScript(t, path, "#!/bin/sh\n[ \"$1\" = version ] && { echo broken; exit 0; }\necho 'booty: cannot start' >&2\nexit 1\n")
	return path
}

// unrunnableBinary does not run at all, like a binary built for another architecture.
func unrunnableBinary(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "booty")
	writeScript(t, path, "#!/bin/sh\necho 'exec format error' >&2\nexit 126\n")
	return path
}

func TestDeployGoodRelease(t *testing.T) {
	t.Parallel()
	b := setup(t)

	b.deploy(shaA, bootyBinary)
	if diff := cmp.Diff(wantState(shaA, "", "test"), b.state()); diff != "" {
		t.Fatalf("after first deploy (-want +got):\n%s", diff)
	}
	for _, file := range []string{"booty", "deploy.sh"} {
		info, err := os.Stat(filepath.Join(b.root, "releases", shaA, file))
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm()&0o111 == 0 {
			t.Errorf("releases/%s/%s mode %v, want executable", shaA, file, info.Mode())
		}
	}

	b.deploy(shaB, bootyBinary)
	if diff := cmp.Diff(wantState(shaB, shaA, "test"), b.state()); diff != "" {
		t.Fatalf("after second deploy (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{shaA, shaB}, b.releases()); diff != "" {
		t.Errorf("releases (-want +got):\n%s", diff)
	}
}

func TestDeployBadReleaseRollsBack(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		binary func(*testing.T) string
	}{
		{"fails to start", failingBinary},
		{"reports another release", wrongReleaseBinary},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.deploy(shaA, bootyBinary)
			b.deploy(shaB, bootyBinary)

			res := b.run("deploy", "--sha", shaC, "--env", "test", "--binary", tt.binary(t))
			if res.code != 1 {
				t.Errorf("deploy of a bad release: exit %d, want 1", res.code)
			}
			if res.stdout != "" {
				t.Errorf("deploy of a bad release: stdout %q, want nothing", res.stdout)
			}
			if want := "rolled back to " + shaB + ", which is serving again"; !strings.Contains(res.stderr, want) {
				t.Errorf("deploy of a bad release: stderr does not say %q:\n%s", want, res.stderr)
			}
			if diff := cmp.Diff(wantState(shaB, shaA, "test"), b.state()); diff != "" {
				t.Errorf("after the rollback (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{shaA, shaB}, b.releases()); diff != "" {
				t.Errorf("releases: the failed one should be gone (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDeployFirstReleaseFails(t *testing.T) {
	t.Parallel()
	b := setup(t)

	res := b.run("deploy", "--sha", shaA, "--env", "test", "--binary", failingBinary(t))
	if res.code != 1 {
		t.Errorf("exit %d, want 1", res.code)
	}
	if want := "no previous release to return to"; !strings.Contains(res.stderr, want) {
		t.Errorf("stderr does not say %q:\n%s", want, res.stderr)
	}
}

func TestDeployRefusesBinaryThatDoesNotRun(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.deploy(shaA, bootyBinary)
	restarts := b.systemd.restartCount()

	res := b.run("deploy", "--sha", shaB, "--env", "test", "--binary", unrunnableBinary(t))
	if res.code != 1 {
		t.Errorf("exit %d, want 1", res.code)
	}
	if want := "does not run on this server"; !strings.Contains(res.stderr, want) {
		t.Errorf("stderr does not say %q:\n%s", want, res.stderr)
	}
	if got := b.systemd.restartCount(); got != restarts {
		t.Errorf("restarts: got %d, want %d (nothing should change)", got, restarts)
	}
	if diff := cmp.Diff(wantState(shaA, "", "test"), b.state()); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{shaA}, b.releases()); diff != "" {
		t.Errorf("releases (-want +got):\n%s", diff)
	}
}

func TestRedeploySameSHAIsNoOp(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.deploy(shaA, bootyBinary)
	b.deploy(shaB, bootyBinary)
	restarts := b.systemd.restartCount()

	b.deploy(shaB, bootyBinary)
	if got := b.systemd.restartCount(); got != restarts {
		t.Errorf("restarts after re-deploying the live SHA: got %d, want %d", got, restarts)
	}
	if diff := cmp.Diff(wantState(shaB, shaA, "test"), b.state()); diff != "" {
		t.Errorf("state after re-deploy (-want +got):\n%s", diff)
	}

	res := b.run("deploy", "--sha", shaB, "--env", "production", "--binary", bootyBinary)
	if res.code != 1 {
		t.Errorf("re-deploy of the live SHA for another environment: exit %d, want 1", res.code)
	}
	if got := b.systemd.restartCount(); got != restarts {
		t.Errorf("restarts after refused re-deploy: got %d, want %d", got, restarts)
	}
}

func TestRollback(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.deploy(shaA, bootyBinary)
	b.deploy(shaB, bootyBinary)
	b.deploy(shaC, bootyBinary)

	steps := []struct {
		args []string
		want state
	}{
		{[]string{"rollback"}, wantState(shaB, shaC, "test")},
		// previous now names what was live, so a second rollback goes forward again.
		{[]string{"rollback"}, wantState(shaC, shaB, "test")},
		{[]string{"rollback", "--to", shaA}, wantState(shaA, shaC, "test")},
		{[]string{"rollback", "--to", shaA}, wantState(shaA, shaC, "test")},
	}
	for _, step := range steps {
		res := b.mustRun(step.args...)
		if got, want := res.stdout, step.want.Live+"\n"; got != want {
			t.Errorf("%v: stdout %q, want %q", step.args, got, want)
		}
		if diff := cmp.Diff(step.want, b.state()); diff != "" {
			t.Fatalf("after %v (-want +got):\n%s", step.args, diff)
		}
	}

	res := b.run("rollback", "--to", "ddddddd")
	if res.code != 1 || !strings.Contains(res.stderr, "not on this server") {
		t.Errorf("rollback to an unknown release: exit %d, stderr %q; want exit 1 saying it is not on this server", res.code, res.stderr)
	}
}

func TestRollbackToBrokenReleaseReturns(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.deploy(shaA, bootyBinary)
	b.deploy(shaB, bootyBinary)
	// Release A's binary goes bad on disk after it was live.
	if err := os.Remove(filepath.Join(b.root, "releases", shaA, "booty")); err != nil {
		t.Fatal(err)
	}
	writeScript(t, filepath.Join(b.root, "releases", shaA, "booty"), "#!/bin/sh\nexit 1\n")

	res := b.run("rollback")
	if res.code != 1 {
		t.Errorf("exit %d, want 1", res.code)
	}
	if want := shaB + " is serving again"; !strings.Contains(res.stderr, want) {
		t.Errorf("stderr does not say %q:\n%s", want, res.stderr)
	}
	if diff := cmp.Diff(wantState(shaB, shaA, "test"), b.state()); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}
}

func TestRollbackWithoutPrevious(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.deploy(shaA, bootyBinary)

	res := b.run("rollback")
	if res.code != 1 || !strings.Contains(res.stderr, "no previous release") {
		t.Errorf("exit %d, stderr %q; want exit 1 saying there is no previous release", res.code, res.stderr)
	}
	if diff := cmp.Diff(wantState(shaA, "", "test"), b.state()); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}
}

func TestStatus(t *testing.T) {
	t.Parallel()
	b := setup(t)

	res := b.run("status")
	if res.code != 1 {
		t.Errorf("status before any deploy: exit %d, want 1", res.code)
	}
	for _, want := range []string{"current:  none\n", "previous: none\n", "unit:     booty inactive\n", "health:   no answer"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("status before any deploy does not say %q:\n%s", want, res.stdout)
		}
	}

	b.deploy(shaA, bootyBinary)
	b.deploy(shaB, bootyBinary)
	res = b.mustRun("status")
	for _, want := range []string{
		"current:  " + shaB + " (test)\n",
		"previous: " + shaA + " (test)\n",
		"releases: " + shaB + " " + shaA + "\n",
		"unit:     booty active\n",
		"health:   HTTP 200 ",
		`"release":"` + shaB + `"`,
	} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("status does not say %q:\n%s", want, res.stdout)
		}
	}
}

func TestPruneKeepsFiveReleases(t *testing.T) {
	t.Parallel()
	b := setup(t)
	shas := []string{"1111111", "2222222", "3333333", "4444444", "5555555", "6666666", "7777777"}
	for _, sha := range shas {
		b.deploy(sha, bootyBinary)
	}
	if diff := cmp.Diff(shas[2:], b.releases()); diff != "" {
		t.Errorf("releases kept (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantState("7777777", "6666666", "test"), b.state()); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "missing command"},
		{"unknown command", []string{"launch"}, "unknown command 'launch'"},
		{"deploy without sha", []string{"deploy", "--env", "test", "--binary", bootyBinary}, "--sha must be"},
		{"deploy with a path for sha", []string{"deploy", "--sha", "../../etc", "--env", "test", "--binary", bootyBinary}, "--sha must be"},
		{"deploy with uppercase sha", []string{"deploy", "--sha", "ABCDEF0", "--env", "test", "--binary", bootyBinary}, "--sha must be"},
		{"deploy without env", []string{"deploy", "--sha", shaA, "--binary", bootyBinary}, "--env must be"},
		{"deploy with a bad env", []string{"deploy", "--sha", shaA, "--env", "a b", "--binary", bootyBinary}, "--env must be"},
		{"deploy without binary", []string{"deploy", "--sha", shaA, "--env", "test"}, "is not a file"},
		{"deploy with option missing its value", []string{"deploy", "--sha"}, "--sha needs a value"},
		{"deploy with unknown option", []string{"deploy", "--force"}, "unknown argument '--force'"},
		{"rollback to a bad sha", []string{"rollback", "--to", "HEAD~1"}, "--to must be"},
		{"status with arguments", []string{"status", "now"}, "status takes no arguments"},
		{"check without sha", []string{"check"}, "--sha must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub := *b
			sub.t = t
			res := sub.run(tt.args...)
			if res.code != 2 {
				t.Errorf("exit %d, want 2", res.code)
			}
			if !strings.Contains(res.stderr, tt.want) || !strings.Contains(res.stderr, "Usage:") {
				t.Errorf("stderr should say %q and show the usage:\n%s", tt.want, res.stderr)
			}
		})
	}
	if got := b.releases(); len(got) != 0 {
		t.Errorf("usage errors installed releases %v, want none", got)
	}

	b.env = append(b.env, "HEALTH_TRIES=0")
	if res := b.run("status"); res.code != 2 || !strings.Contains(res.stderr, "HEALTH_TRIES") {
		t.Errorf("HEALTH_TRIES=0: exit %d, stderr %q; want exit 2 naming HEALTH_TRIES", res.code, res.stderr)
	}
}

// TestCheck runs "deploy.sh check" against a /health that answers the way booty's does,
// as the deploy workflow does from outside the server.
func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		status   int
		body     string
		wantCode int
		wantErr  string
	}{
		{"the release answers", 200, `{"status":"ok","version":"` + shaA + `","release":"` + shaA + `","environment":"production"}`, 0, ""},
		{"spaced json", 200, "{\n  \"release\" : \"" + shaA + "\"\n}", 0, ""},
		{"another release answers", 200, `{"status":"ok","release":"` + shaB + `"}`, 1, "release '" + shaB + "', want " + shaA},
		{"unhealthy", 503, `{"status":"unavailable","release":"` + shaA + `"}`, 1, "HTTP 503"},
		{"no release field", 200, `{"status":"ok"}`, 1, "release 'none'"},
		{"not json", 200, `ok`, 1, "release 'none'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/health" {
					http.NotFound(w, r)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			}))
			t.Cleanup(srv.Close)
			b := &bundle{t: t, script: scriptPath(t), env: []string{
				"PATH=" + os.Getenv("PATH"),
				"TMPDIR=" + t.TempDir(),
				"HEALTH_URL=" + srv.URL + "/health",
				"HEALTH_TRIES=3",
				"HEALTH_INTERVAL=0",
			}}
			res := b.run("check", "--sha", shaA)
			if res.code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr:\n%s", res.code, tt.wantCode, res.stderr)
			}
			if !strings.Contains(res.stderr, tt.wantErr) {
				t.Errorf("stderr does not say %q:\n%s", tt.wantErr, res.stderr)
			}
		})
	}

	t.Run("nothing answers", func(t *testing.T) {
		t.Parallel()
		b := &bundle{t: t, script: scriptPath(t), env: []string{
			"PATH=" + os.Getenv("PATH"),
			"TMPDIR=" + t.TempDir(),
			"HEALTH_URL=http://" + freeAddr(t) + "/health",
			"HEALTH_TRIES=2",
			"HEALTH_INTERVAL=0",
		}}
		res := b.run("check", "--sha", shaA)
		if res.code != 1 || !strings.Contains(res.stderr, "no answer (curl: (7)") {
			t.Errorf("exit %d, stderr %q; want exit 1 saying nothing answered", res.code, res.stderr)
		}
	})
}
