// Package proctest runs a server binary, booty above all, as a real process
// on loopback, for the tests that must see what only a process shows (a
// SIGKILL mid-write, a restart on the same file, the peak memory) and for
// the benchmark: build it once, start it with an environment of its own,
// wait until it answers its health check, end it with SIGKILL or SIGTERM.
package proctest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/procfs"

	"booty/internal/logtest"
)

// pollEvery is how often a wait checks its condition again.
const pollEvery = 20 * time.Millisecond

// Binary is a Go main package built once, on first use, into a temporary
// directory of its own.
type Binary struct {
	pkg     string
	ldflags string

	once sync.Once
	dir  string
	path string
	err  error
}

// NewBinary returns the binary of the main package pkg (a go build
// argument such as "." or "./cmd/booty"), built with ldflags (may be
// empty). Nothing is built until Path is called.
func NewBinary(pkg, ldflags string) *Binary { return &Binary{pkg: pkg, ldflags: ldflags} }

// Path builds the binary the first time it is called and returns its path;
// later calls return the same path, or the same build error.
func (b *Binary) Path(ctx context.Context) (string, error) {
	b.once.Do(func() {
		b.dir, b.err = os.MkdirTemp("", "proctest-bin-")
		if b.err != nil {
			b.err = fmt.Errorf("build %s: %w", b.pkg, b.err)
			return
		}
		name := filepath.Base(filepath.Clean(b.pkg))
		if name == "." {
			// Named after the directory, as go build names it.
			wd, _ := os.Getwd()
			name = filepath.Base(wd)
		}
		b.path = filepath.Join(b.dir, name)
		args := []string{"build", "-o", b.path}
		if b.ldflags != "" {
			args = append(args, "-ldflags", b.ldflags)
		}
		out, err := exec.CommandContext(ctx, "go", append(args, b.pkg)...).CombinedOutput()
		if err != nil {
			b.err = fmt.Errorf("go build %s: %w\n%s", b.pkg, err, out)
		}
	})
	return b.path, b.err
}

// Remove deletes what Path built. Call it once every process has ended
// (TestMain, after m.Run).
func (b *Binary) Remove() error {
	if b.dir == "" {
		return nil
	}
	return os.RemoveAll(b.dir)
}

// FreeAddr returns a loopback address that was free a moment ago. Another
// process may take it before the server does; on loopback, in a test, that
// is rare enough.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free address: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// Options says how to start a process.
type Options struct {
	// Path is the binary; Args its arguments.
	Path string
	Args []string
	// Env is the whole environment: nothing of the caller's leaks in, so a
	// variable set on the developer's machine cannot change the outcome.
	Env []string
	// Addr is the address the server listens on; a free loopback address
	// when empty.
	Addr string
	// AddrEnv, when set, is the variable that tells the server Addr
	// (BOOTY_LISTEN for booty); it is appended to Env.
	AddrEnv string
	// Health is the path that answers 200 once the server is ready;
	// "/health" when empty.
	Health string
	// StartTimeout bounds the wait for Health; 20 s when zero.
	StartTimeout time.Duration
	// ExtraFiles are passed to the process from file descriptor 3 on, as
	// systemd passes an activated socket.
	ExtraFiles []*os.File
}

// Process is a started server.
type Process struct {
	// URL is "http://" + Addr.
	URL  string
	Addr string
	// Logs holds what the process wrote to stdout and stderr.
	Logs *logtest.Buffer

	cmd  *exec.Cmd
	done chan struct{} // closed once the process has exited and been reaped
	err  error         // what Wait returned, set before done is closed
}

// Start starts the process and waits until its health check answers 200.
// If the process exits first, or the wait runs out, the process is killed
// and the error carries its output.
func Start(ctx context.Context, o Options) (*Process, error) {
	if o.Addr == "" {
		addr, err := FreeAddr()
		if err != nil {
			return nil, err
		}
		o.Addr = addr
	}
	if o.Health == "" {
		o.Health = "/health"
	}
	if o.StartTimeout == 0 {
		o.StartTimeout = 20 * time.Second
	}
	p := &Process{URL: "http://" + o.Addr, Addr: o.Addr, Logs: &logtest.Buffer{}, done: make(chan struct{})}
	// Not CommandContext: the process outlives the start, and the caller
	// ends it with Kill or Stop.
	p.cmd = exec.Command(o.Path, o.Args...)
	p.cmd.Env = append([]string{}, o.Env...)
	if o.AddrEnv != "" {
		p.cmd.Env = append(p.cmd.Env, o.AddrEnv+"="+o.Addr)
	}
	p.cmd.ExtraFiles = o.ExtraFiles
	p.cmd.Stdout, p.cmd.Stderr = p.Logs, p.Logs
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", o.Path, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	if err := p.waitHealthy(ctx, o.Health, o.StartTimeout); err != nil {
		_ = p.Kill()
		return nil, fmt.Errorf("start %s: %w; output:\n%s", filepath.Base(o.Path), err, p.Logs)
	}
	return p, nil
}

func (p *Process) waitHealthy(ctx context.Context, path string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+path, nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.done:
			return fmt.Errorf("exited before it was healthy: %v", p.err)
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer 200 within %v", path, timeout)
		case <-tick.C:
		}
	}
}

// PID returns the process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Done is closed once the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err returns how the process exited (nil for status 0); call it after
// Done is closed.
func (p *Process) Err() error { return p.err }

// Signal sends sig to the process, for the signals Kill and Stop do not
// cover.
func (p *Process) Signal(sig os.Signal) error {
	if err := p.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("signal %d: %w", p.PID(), err)
	}
	return nil
}

// Kill ends the process with SIGKILL (no shutdown, no flush, as a crash or
// the OOM killer would) and waits until it is gone. It is safe to call
// again, and after the process has exited on its own.
func (p *Process) Kill() error {
	select {
	case <-p.done:
		return nil
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill %d: %w", p.PID(), err)
	}
	<-p.done
	return nil
}

// Stop sends SIGTERM and waits for the process to exit, at most until ctx
// ends. It returns an error when the exit was not clean (status other than
// 0) or did not come in time; the process is then killed.
func (p *Process) Stop(ctx context.Context) error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop %d: %w", p.PID(), err)
	}
	select {
	case <-p.done:
		if p.err != nil {
			return fmt.Errorf("stop %d: exited with %w", p.PID(), p.err)
		}
		return nil
	case <-ctx.Done():
		_ = p.Kill()
		return fmt.Errorf("stop %d: did not exit after SIGTERM: %w", p.PID(), context.Cause(ctx))
	}
}

// PeakRSS returns the most resident memory the process has held so far,
// in bytes: VmHWM of /proc/PID/status, the kernel's own high-water mark,
// so a peak between two looks is not missed. Linux only, and only while the
// process runs.
func (p *Process) PeakRSS() (uint64, error) {
	proc, err := procfs.NewProc(p.PID())
	if err != nil {
		return 0, fmt.Errorf("peak rss of %d: %w", p.PID(), err)
	}
	st, err := proc.NewStatus()
	if err != nil {
		return 0, fmt.Errorf("peak rss of %d: %w", p.PID(), err)
	}
	if st.VmHWM == 0 {
		// A zombie's status has no memory lines.
		return 0, fmt.Errorf("peak rss of %d: no VmHWM (has it exited?)", p.PID())
	}
	return st.VmHWM, nil
}

// StartTest is Start for a test: it fails the test when the process does
// not come up, and kills the process when the test ends.
func StartTest(tb testing.TB, o Options) *Process {
	tb.Helper()
	p, err := Start(tb.Context(), o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = p.Kill() })
	return p
}
