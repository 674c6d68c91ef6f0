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
type fakeSystemd struct {
	unit string   // the only unit it knows
	dir  string   // working directory, like the unit's StateDirectory
	root string   // BOOTY_ROOT
	etc  string   // BOOTY_ETC
	env  []string // the unit's own environment (secrets.env on a server)
	log  string   // where the service's output goes

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
		if unit := r.PathValue("unit"); unit != f.unit {
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
	case <-time.After(10 * time.Second): // TimeoutStopSec
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
