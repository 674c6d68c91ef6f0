package main

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"booty/internal/web"
)

// TestOperatorStatusPage serves booty with BOOTY_STATUS_TOKEN and reads a
// delivered alert's problem back through the JSON API and the page.
func TestOperatorStatusPage(t *testing.T) {
	t.Parallel()
	const token = "status-e2e-token"
	p := startBooty(t, []string{
		"SENTRY_WEBHOOK_SECRET=" + testSecret,
		"TARGET_REPO_URL=acme/shop",
		"BOOTY_DRY_RUN=true",
		"BOOTY_DATABASE_URL=sqlite:" + filepath.Join(t.TempDir(), "booty.db"),
		"BOOTY_LOG_FORMAT=json",
		"BOOTY_STATUS_TOKEN=" + token,
	}, "")
	if got := deliver(t, p.url, "event_alert", fixture(t, "event_alert.triggered.json"), testSecret); got.Status != http.StatusAccepted {
		t.Fatalf("delivery: %d %s", got.Status, got.RawBody)
	}
	get := func(path, password string) (int, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, p.url+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth("booty", password)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, _ := get("/", "wrong"); code != http.StatusUnauthorized {
		t.Errorf("wrong password: %d, want 401", code)
	}
	code, body := get("/api/v1/problems", token)
	var list web.ProblemListJSON
	if err := json.Unmarshal([]byte(body), &list); code != http.StatusOK || err != nil || len(list.Problems) != 1 {
		t.Fatalf("GET /api/v1/problems: %d %v %s; logs:\n%s", code, err, body, p.logs)
	}
	key := list.Problems[0].Key
	if code, body := get("/problems/"+key, token); code != http.StatusOK || !strings.Contains(body, `id="timeline"`) ||
		!strings.Contains(body, "<dd>sqlite</dd>") {
		t.Errorf("GET /problems/%s: %d %s", key, code, body)
	}
}
