package builder

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// booty's environment as a test gives it, secrets included.
func bootyEnv(name string) string {
	return map[string]string{
		"PATH": os.Getenv("PATH"), "GITHUB_TOKEN": "ghp_secret", "SENTRY_DSN": "https://k@s/1",
		"ANTHROPIC_API_KEY": "sk-ant-x", "OPENAI_API_KEY": "", "HOME": "/root",
	}[name]
}

func TestEnvironIsAnAllowList(t *testing.T) {
	t.Parallel()
	env, err := Environ(Command{Home: "/tmp/h", Task: map[string]string{"BOOTY_TASK_JSON": "/tmp/t.json"},
		Pass: []string{"ANTHROPIC_API_KEY", "OPENAI_API_KEY"}}, bootyEnv)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(env, "\n")
	for _, want := range []string{"HOME=/tmp/h", "LANG=C.UTF-8", "BOOTY_TASK_JSON=/tmp/t.json", "ANTHROPIC_API_KEY=sk-ant-x", "PATH="} {
		if !strings.Contains(got, want) {
			t.Errorf("environment lacks %q:\n%s", want, got)
		}
	}
	for _, never := range []string{"GITHUB_TOKEN", "SENTRY_DSN", "OPENAI_API_KEY", "HOME=/root"} {
		if strings.Contains(got, never) {
			t.Errorf("environment has %q:\n%s", never, got)
		}
	}
	for _, c := range []Command{
		{Pass: []string{"GITHUB_TOKEN"}},
		{Pass: []string{"github_app_private_key_file"}},
		{Task: map[string]string{"PATH": "/evil"}},
	} {
		if _, err := Environ(c, bootyEnv); err == nil {
			t.Errorf("Environ(%+v): no error", c)
		}
	}
}

func shell(t *testing.T) string {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatalf("no sh: %v", err)
	}
	return sh
}

func TestRun(t *testing.T) {
	t.Parallel()
	sh := shell(t)
	tests := []struct {
		name      string
		script    string
		stdin     string
		timeout   time.Duration
		wantCode  int
		wantOut   string
		timedOut  bool
		truncated bool
	}{
		{"exit code and stdin", `cat; exit 3`, "the task", 0, 3, "the task", false, false},
		{"sees no secret", `echo "token=${GITHUB_TOKEN:-none} home=$HOME"`, "", 0, 0, "token=none home=", false, false},
		{"capped output", `i=0; while [ $i -lt 200 ]; do echo 0123456789; i=$((i+1)); done`, "", 0, 0, "0123456789", false, true},
		{"timeout", `sleep 30`, "", 200 * time.Millisecond, -1, "", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			home := t.TempDir()
			res, err := Run(t.Context(), Command{Argv: []string{sh, "-c", tt.script}, Dir: t.TempDir(), Home: home,
				Stdin: tt.stdin, Timeout: tt.timeout, Grace: 100 * time.Millisecond, MaxOutput: 100}, bootyEnv)
			if err != nil {
				t.Fatal(err)
			}
			if res.TimedOut != tt.timedOut || res.Truncated != tt.truncated {
				t.Errorf("timed out %v, truncated %v; want %v, %v", res.TimedOut, res.Truncated, tt.timedOut, tt.truncated)
			}
			if !tt.timedOut && res.ExitCode != tt.wantCode {
				t.Errorf("exit %d, want %d", res.ExitCode, tt.wantCode)
			}
			if !strings.Contains(string(res.Stdout), tt.wantOut) {
				t.Errorf("stdout %q, want %q", res.Stdout, tt.wantOut)
			}
			if tt.truncated && len(res.Stdout) != 100 {
				t.Errorf("kept %d bytes, want 100", len(res.Stdout))
			}
			if tt.name == "sees no secret" && !strings.Contains(string(res.Stdout), "home="+home) {
				t.Errorf("HOME is not the job's: %q", res.Stdout)
			}
		})
	}
}

// TestTimeoutKillsTheGroup: a command that ignores SIGTERM, and the child
// it started in the background, are both gone once Run returns.
func TestTimeoutKillsTheGroup(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	script := `trap '' TERM; sleep 60 & echo $! > ` + pidFile + `; wait`
	res, err := Run(t.Context(), Command{Argv: []string{shell(t), "-c", script}, Dir: dir, Home: t.TempDir(),
		Timeout: 300 * time.Millisecond, Grace: 200 * time.Millisecond}, bootyEnv)
	if err != nil {
		t.Fatal(err)
	}
	if !res.TimedOut {
		t.Fatalf("not timed out: %+v", res)
	}
	raw, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	// The child may linger as a zombie for an instant; wait for it to go.
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := syscall.Kill(pid, 0)
		if errors.Is(err, syscall.ESRCH) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("child %d still there after the timeout: %v", pid, err)
		}
		if state, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat")); strings.Contains(string(state), ") Z ") {
			return // a zombie: killed, waiting for init to reap it
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRunRefusesAnEmptyCommand(t *testing.T) {
	t.Parallel()
	if _, err := Run(context.Background(), Command{}, bootyEnv); err == nil {
		t.Error("no error for an empty command")
	}
}
