package deploy_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"booty/internal/sentry"
)

// TestDeployUnderLoadAnswersEverything deploys and rolls back while webhooks stream in.
// booty.socket holds the listening socket, so every delivery sent during the restarts
// gets an answer: none is refused, none is dropped.
func TestDeployUnderLoadAnswersEverything(t *testing.T) {
	t.Parallel()
	b := setupServer(t, true)
	b.deploy(shaA, bootyBinary)
	url := strings.TrimSuffix(b.healthURL, "/health") + "/webhooks/sentry"
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "sentry", "event_alert.triggered.json"))
	if err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		t.Fatal(err)
	}
	payload := compact.Bytes()
	if !bytes.Contains(payload, []byte(`"event_id":"`)) {
		t.Fatal("the fixture has no event_id to vary")
	}

	// A new connection per delivery, as Sentry makes them.
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	var stop atomic.Bool
	var mu sync.Mutex
	var sent int
	var failures []string
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Go(func() {
			// Bounded: at most 2000 deliveries per sender, whatever the deploys take.
			for i := 0; i < 2000 && !stop.Load(); i++ {
				body := bytes.Replace(payload, []byte(`"event_id":"`), fmt.Appendf(nil, `"event_id":"%d-%d-`, w, i), 1)
				status, err := post(client, url, body)
				mu.Lock()
				sent++
				if status/100 != 2 {
					failures = append(failures, fmt.Sprintf("status %d, error %v", status, err))
				}
				mu.Unlock()
			}
		})
	}
	b.deploy(shaB, bootyBinary)
	b.mustRun("rollback")
	stop.Store(true)
	wg.Wait()

	if b.systemd.restartCount() != 3 {
		t.Errorf("restarts = %d, want 3", b.systemd.restartCount())
	}
	if sent < 10 {
		t.Errorf("only %d deliveries were sent during the deploys", sent)
	}
	if len(failures) > 0 {
		t.Errorf("%d of %d deliveries got no good answer; the first: %s", len(failures), sent, failures[0])
	}
}

// TestDeployWarnsWithoutSocket checks that deploy.sh says when a restart will refuse
// connections because booty.socket is not active, and that status shows the socket.
func TestDeployWarnsWithoutSocket(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		withSocket bool
		wantWarn   bool
		wantStatus string
	}{
		{"with booty.socket", true, false, "socket:   booty.socket active\n"},
		{"without booty.socket", false, true, "socket:   booty.socket inactive\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setupServer(t, tt.withSocket)
			res := b.mustRun("deploy", "--sha", shaA, "--env", "test", "--binary", bootyBinary)
			if got := strings.Contains(res.stderr, "warning: booty.socket is inactive"); got != tt.wantWarn {
				t.Errorf("warning shown: %t, want %t; stderr:\n%s", got, tt.wantWarn, res.stderr)
			}
			if got := b.live(); got != shaA {
				t.Errorf("live release %q, want %s", got, shaA)
			}
			if res := b.mustRun("status"); !strings.Contains(res.stdout, tt.wantStatus) {
				t.Errorf("status does not say %q:\n%s", tt.wantStatus, res.stdout)
			}
		})
	}
}

func post(client *http.Client, url string, body []byte) (int, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Sentry-Hook-Resource", "event_alert")
	req.Header.Set("Sentry-Hook-Signature", sentry.Sign([]byte("deploy-test-secret"), body))
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
