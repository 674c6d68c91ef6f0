package deploy_test

import (
	"bufio"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// fakeSystemd stands in for systemd in the deploy tests. deploy.sh's SYSTEMCTL is a
// script that hands "systemctl VERB UNIT" to it over HTTP, and it runs
// BOOTY_ROOT/current/booty serve the way booty.service does: the unit's environment plus
// BOOTY_ETC/release.env, a start that fails only when the exec fails (Type=exec), and
// SIGTERM to stop. Running the process from the test, rather than from a shell script,
// means every process is waited for and none outlives the test.
//
// With socket set it also plays booty.socket: it holds the listening socket for the
// whole test and passes it to every booty it starts as systemd does (descriptor 3,
// LISTEN_FDS=1, LISTEN_PID the pid of booty, which a shell learns as $$ and keeps
// through exec), so a restart leaves connections waiting in the backlog.
type fakeSystemd struct {
	unit   string   // the service it knows; UNIT.socket is the socket unit
	dir    string   // working directory, like the unit's StateDirectory
	root   string   // BOOTY_ROOT
	etc    string   // BOOTY_ETC
	env    []string // the unit's own environment (secrets.env on a server)
	log    string   // where the service's output goes
	socket *os.File // the listening socket of UNIT.socket; nil: no socket unit

	mu       sync.Mutex
	running  *exec.Cmd
	exited   chan struct{}
	restarts int
}

// handler serves POST /VERB/UNIT and answers like systemctl: the body is what systemctl
// prints, a status >= 400 is a non-zero exit.
func (f *fakeSystemd) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{verb}/{unit}", func(w http.ResponseWriter, r *http.Request) {
		unit := strings.TrimSuffix(r.PathValue("unit"), ".service")
		if unit == f.unit+".socket" && r.PathValue("verb") == "is-active" {
			state := "active"
			if f.socket == nil {
				state = "inactive"
				w.WriteHeader(http.StatusConflict)
			}
			fmt.Fprintln(w, state)
			return
		}
		if unit != f.unit {
			http.Error(w, "Unit "+unit+".service not found.", http.StatusNotFound)
			return
		}
		switch verb := r.PathValue("verb"); verb {
		case "restart":
			if err := f.restart(); err != nil {
				http.Error(w, "Job for "+f.unit+".service failed: "+err.Error(), http.StatusInternalServerError)
			}
		case "stop":
			f.stop()
		case "is-active":
			state := f.state()
			if state != "active" {
				w.WriteHeader(http.StatusConflict) // systemctl is-active exits 3
			}
			fmt.Fprintln(w, state)
		default:
			http.Error(w, "Unknown command verb "+verb+".", http.StatusBadRequest)
		}
	})
	return mux
}

func (f *fakeSystemd) restart() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopLocked()
	f.restarts++
	release, err := readEnvFile(filepath.Join(f.etc, "release.env"))
	if err != nil {
		return err // EnvironmentFile= without "-": a missing file stops the start
	}
	logFile, err := os.OpenFile(f.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(filepath.Join(f.root, "current", "booty"), "serve")
	cmd.Dir = f.dir
	cmd.Env = append(slices.Clone(f.env), release...)
	if f.socket != nil {
		cmd = exec.Command("/bin/sh", "-c", `LISTEN_PID=$$ exec "$0" serve`, cmd.Path)
		cmd.Dir = f.dir
		cmd.Env = append(slices.Clone(f.env), append(release, "LISTEN_FDS=1")...)
		cmd.ExtraFiles = []*os.File{f.socket}
	}
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return err
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		_ = logFile.Close()
		close(exited)
	}()
	f.running, f.exited = cmd, exited
	return nil
}

func (f *fakeSystemd) stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopLocked()
}

func (f *fakeSystemd) stopLocked() {
	if f.running == nil {
		return
	}
	_ = f.running.Process.Signal(syscall.SIGTERM)
	select {
	case <-f.exited:
	case <-time.After(30 * time.Second): // booty.service's TimeoutStopSec, then SIGKILL as systemd sends
		_ = f.running.Process.Kill()
		<-f.exited
	}
	f.running = nil
}

func (f *fakeSystemd) state() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.running == nil {
		return "inactive"
	}
	select {
	case <-f.exited:
		return "failed"
	default:
		return "active"
	}
}

// restartCount says how many times the unit was restarted.
func (f *fakeSystemd) restartCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.restarts
}

// readEnvFile reads KEY=VALUE lines the way EnvironmentFile= does for the simple cases
// deploy.sh writes: blank lines and # comments are skipped.
func readEnvFile(path string) ([]string, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	var env []string
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !strings.Contains(line, "=") {
			return nil, errors.New(path + ": line without '=': " + line)
		}
		env = append(env, line)
	}
	return env, sc.Err()
}
