package proctest_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"booty/internal/proctest"
)

// fake is the test server, built once for the package's tests.
var fake = proctest.NewBinary("./testdata/fakeserver", "")

func TestMain(m *testing.M) {
	code := m.Run()
	_ = fake.Remove()
	os.Exit(code)
}

func start(t *testing.T, env ...string) *proctest.Process {
	t.Helper()
	path, err := fake.Path(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return proctest.StartTest(t, proctest.Options{Path: path, Env: env, AddrEnv: "FAKE_LISTEN"})
}

func TestStartWaitsForHealthAndKillEnds(t *testing.T) {
	t.Parallel()
	p := start(t)
	resp, err := http.Get(p.URL + "/health")
	if err != nil {
		t.Fatalf("healthy process does not answer: %v", err)
	}
	resp.Body.Close()
	if !strings.Contains(p.Logs.String(), "fakeserver: listening") {
		t.Errorf("Logs lack the process's output: %q", p.Logs)
	}
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	default:
		t.Fatal("Kill returned before the process was gone")
	}
	if p.Err() == nil {
		t.Error("a SIGKILLed process reports a clean exit")
	}
	if err := p.Kill(); err != nil {
		t.Errorf("second Kill: %v", err)
	}
}

func TestStartReportsEarlyExit(t *testing.T) {
	t.Parallel()
	path, err := fake.Path(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	_, err = proctest.Start(t.Context(), proctest.Options{Path: path, Env: []string{"FAKE_EXIT=3"}, AddrEnv: "FAKE_LISTEN"})
	if err == nil || !strings.Contains(err.Error(), "exited before it was healthy") || !strings.Contains(err.Error(), "exiting as asked") {
		t.Fatalf("got %v, want an early-exit error carrying the output", err)
	}
}

func TestBinaryIsBuiltOnce(t *testing.T) {
	t.Parallel()
	first, err := fake.Path(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	again, err := fake.Path(t.Context())
	if err != nil || again != first {
		t.Fatalf("second Path: %q %v, want %q", again, err, first)
	}
	if filepath.Base(first) != "fakeserver" {
		t.Errorf("binary named %q, want fakeserver", filepath.Base(first))
	}
	if _, err := os.Stat(first); err != nil {
		t.Error(err)
	}
}

func TestSignal(t *testing.T) {
	t.Parallel()
	p := start(t)
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
		if p.Err() != nil {
			t.Errorf("exit after SIGTERM: %v, want a clean exit", p.Err())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no exit within 10 s of SIGTERM")
	}
}

func TestStop(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     []string
		wantErr bool
	}{
		{"exits on SIGTERM", nil, false},
		{"ignores SIGTERM", []string{"FAKE_IGNORE_TERM=1"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := start(t, tt.env...)
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
			defer cancel()
			err := p.Stop(ctx)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Stop: got %v, want error %v", err, tt.wantErr)
			}
			select {
			case <-p.Done():
			default:
				t.Error("process still running after Stop")
			}
		})
	}
}

// TestWaitJobsDoneWaitsForTheGauge: the fake drains one job per scrape, so
// returning before the fifth scrape would be returning on a busy booty.
func TestWaitJobsDoneWaitsForTheGauge(t *testing.T) {
	t.Parallel()
	p := start(t, "FAKE_JOBS=5")
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	states, err := p.WaitJobsDone(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if states["available"] != 0 || states["completed"] != 7 {
		t.Errorf("got %v, want available 0 and completed 7", states)
	}
	// Five scrapes drained it: the next shows 0 too, never negative.
	got, err := proctest.Jobs(ctx, http.DefaultClient, p.URL)
	if err != nil || got["available"] != 0 {
		t.Errorf("after the wait: %v %v", got, err)
	}
}

func TestWaitJobsDoneNeverTakesAMissingGaugeForIdle(t *testing.T) {
	t.Parallel()
	p := start(t, "FAKE_JOBS=-1")
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	_, err := p.WaitJobsDone(ctx)
	if !errors.Is(err, proctest.ErrNoJobsMetric) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want a timeout naming the missing gauge", err)
	}
}

func TestPeakRSSSeesAnAllocation(t *testing.T) {
	t.Parallel()
	p := start(t)
	before, err := p.PeakRSS()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(p.URL+"/alloc?mb=64", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	after, err := p.PeakRSS()
	if err != nil {
		t.Fatal(err)
	}
	if after < before+60<<20 {
		t.Errorf("peak RSS went from %d to %d bytes after holding 64 MiB, want at least 60 MiB more", before, after)
	}
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.PeakRSS(); err == nil {
		t.Error("PeakRSS of an ended process: got no error")
	}
}
