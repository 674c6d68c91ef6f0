// Package builder runs a builder command on other people's code as safely
// as a process can be run without a container: in a clean checkout, with an
// environment of booty's choosing (no booty secret), its output capped, and
// a wall-clock limit that ends its whole process group. It also reads what
// the command changed from git itself, never from what the command says,
// and checks the change against limits and protected paths.
package builder

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Command is one run of a builder command.
type Command struct {
	// Argv is the command and its arguments (BOOTY_BUILDER_COMMAND, a JSON
	// list): never a shell string.
	Argv []string
	// Dir is the working tree it runs in, and Home its HOME: a directory
	// of the job's own.
	Dir, Home string
	// Task are the BOOTY_* variables of the task (BOOTY_TASK_JSON, …).
	Task map[string]string
	// Pass names the variables of booty's own environment the command
	// gets besides (BOOTY_BUILDER_ENV: model keys); nothing else passes.
	Pass []string
	// Stdin is what the command reads: the task as a prompt.
	Stdin string
	// Timeout ends the run: SIGTERM to the process group, then SIGKILL
	// after Grace.
	Timeout, Grace time.Duration
	// MaxOutput caps what is kept of stdout and of stderr, each.
	MaxOutput int
}

// Result is how a run ended.
type Result struct {
	ExitCode int
	// TimedOut reports that the wall-clock limit ended the run.
	TimedOut bool
	// Stdout and Stderr are the first MaxOutput bytes of each;
	// Truncated reports that more was written.
	Stdout, Stderr []byte
	Truncated      bool
	Elapsed        time.Duration
}

// DefaultGrace is how long a command has between SIGTERM and SIGKILL.
const DefaultGrace = 5 * time.Second

// Environ returns the whole environment of cmd, from getenv (booty's): PATH,
// HOME, LANG, the task's variables and the passed ones that are set. It is
// an allow-list: a GitHub token, a webhook secret or a DSN in booty's
// environment is not in it unless named in Pass, and Pass may not name
// booty's own secrets.
func Environ(c Command, getenv func(string) string) ([]string, error) {
	env := map[string]string{
		"PATH": getenv("PATH"),
		"HOME": c.Home,
		"LANG": "C.UTF-8",
	}
	if env["PATH"] == "" {
		env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
	}
	for k, v := range c.Task {
		if !strings.HasPrefix(k, "BOOTY_") {
			return nil, fmt.Errorf("task variable %q: task variables start with BOOTY_", k)
		}
		env[k] = v
	}
	for _, k := range c.Pass {
		if secret(k) {
			return nil, fmt.Errorf("BOOTY_BUILDER_ENV names %s, one of booty's own secrets: the builder never gets it", k)
		}
		if v := getenv(k); v != "" {
			env[k] = v
		}
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out, nil
}

// secret reports whether name is a variable booty keeps a secret in.
func secret(name string) bool {
	switch strings.TrimSuffix(strings.ToUpper(name), "_FILE") {
	case "GITHUB_TOKEN", "GITHUB_APP_PRIVATE_KEY", "GITHUB_WEBHOOK_SECRET", "SENTRY_WEBHOOK_SECRET", "SENTRY_DSN",
		"SENTRY_API_TOKEN", "BOOTY_DATABASE_URL", "BOOTY_STATUS_TOKEN", "INTERNAL_TEST_TOKEN":
		return true
	}
	return false
}

// Run runs c and waits for it and every process it started in its group.
// An error means the command could not be run at all; a command that
// fails, or runs out of time, is a Result.
func Run(ctx context.Context, c Command, getenv func(string) string) (Result, error) {
	if len(c.Argv) == 0 || c.Argv[0] == "" {
		return Result{}, errors.New("builder command: empty")
	}
	env, err := Environ(c, getenv)
	if err != nil {
		return Result{}, err
	}
	grace := c.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	cmd := exec.Command(c.Argv[0], c.Argv[1:]...)
	cmd.Dir, cmd.Env = c.Dir, env
	cmd.Stdin = strings.NewReader(c.Stdin)
	stdout, stderr := &capped{max: c.MaxOutput}, &capped{max: c.MaxOutput}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	// Its own process group, so that the limit ends what it started too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return Result{}, fmt.Errorf("start builder command: %w", err)
	}
	pgid := cmd.Process.Pid
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	var limit <-chan time.Time
	if c.Timeout > 0 {
		t := time.NewTimer(c.Timeout)
		defer t.Stop()
		limit = t.C
	}
	res := Result{}
	var waitErr error
	select {
	case waitErr = <-done:
	case <-limit:
		res.TimedOut = true
		waitErr = stop(pgid, done, grace)
	case <-ctx.Done():
		res.TimedOut = true
		waitErr = stop(pgid, done, grace)
	}
	// Whatever is left of the group goes too: a child that outlived its
	// parent must not go on working in the tree.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	res.Elapsed = time.Since(start)
	res.Stdout, res.Stderr = stdout.buf.Bytes(), stderr.buf.Bytes()
	res.Truncated = stdout.dropped || stderr.dropped
	var exit *exec.ExitError
	switch {
	case waitErr == nil:
	case errors.As(waitErr, &exit):
		res.ExitCode = exit.ExitCode()
	default:
		return res, fmt.Errorf("wait for builder command: %w", waitErr)
	}
	return res, nil
}

// stop ends process group pgid: SIGTERM, then SIGKILL after grace.
func stop(pgid int, done <-chan error, grace time.Duration) error {
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		return <-done
	}
}

// capped keeps the first max bytes written to it (all when max is 0).
type capped struct {
	max     int
	buf     bytes.Buffer
	dropped bool
}

func (c *capped) Write(p []byte) (int, error) {
	if c.max <= 0 {
		return c.buf.Write(p)
	}
	if room := c.max - c.buf.Len(); room < len(p) {
		c.buf.Write(p[:max(room, 0)])
		c.dropped = true
		return len(p), nil
	}
	return c.buf.Write(p)
}
