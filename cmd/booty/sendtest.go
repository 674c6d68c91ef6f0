package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"booty/internal/config"
	"booty/internal/sentry"
)

// testIssueID is the Sentry issue of the test alert: every run is a new
// event of the same problem, so a second run shows dedup at work instead of
// filing another issue. --new picks a fresh problem.
const testIssueID = "4000000001"

// sendTestAlert signs and posts an event alert the way Sentry does, so an
// operator can check a deployment end to end.
func sendTestAlert(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("send-test-alert", flag.ContinueOnError)
	fs.SetOutput(stderr)
	target := fs.String("url", "", "webhook URL, e.g. http://127.0.0.1:8000/webhooks/sentry")
	fixture := fs.String("fixture", "", "post this payload file instead of the built-in test alert")
	resource := fs.String("resource", "event_alert", "Sentry-Hook-Resource header")
	fresh := fs.Bool("new", false, "report a new problem instead of another event of the test problem")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *target == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: booty send-test-alert --url URL [--fixture FILE] [--resource NAME] [--new]")
		return 2
	}
	secret, err := config.WebhookSecret(getenv)
	if err != nil {
		printProblems(stderr, err)
		return 1
	}

	var body []byte
	if *fixture != "" {
		raw, err := os.ReadFile(*fixture)
		if err != nil {
			fmt.Fprintf(stderr, "booty: %v\n", err)
			return 1
		}
		// Sentry sends compact JSON; so do we, and sign what we send.
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			fmt.Fprintf(stderr, "booty: %s is not JSON: %v\n", *fixture, err)
			return 1
		}
		body = buf.Bytes()
	} else {
		issueID := testIssueID
		if *fresh {
			n, _ := rand.Int(rand.Reader, big.NewInt(1e9))
			issueID = strconv.FormatInt(5e9+n.Int64(), 10)
		}
		body, err = testAlert(issueID, buildVersion(), time.Now())
		if err != nil {
			fmt.Fprintf(stderr, "booty: %v\n", err)
			return 1
		}
	}

	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, *target, bytes.NewReader(body))
	if err != nil {
		fmt.Fprintf(stderr, "booty: %v\n", err)
		return 1
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Request-ID", randomHex(16))
	req.Header.Set("Sentry-Hook-Resource", *resource)
	req.Header.Set("Sentry-Hook-Timestamp", strconv.FormatInt(time.Now().Unix(), 10))
	req.Header.Set("Sentry-Hook-Signature", sentry.Sign([]byte(secret), body))
	req.Header.Set("User-Agent", "sentry/booty-send-test-alert")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "booty: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	fmt.Fprintf(stdout, "%s\n%s\n", resp.Status, strings.TrimSpace(string(answer)))
	if resp.StatusCode/100 != 2 {
		return 1
	}
	return 0
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// testAlert builds an event alert shaped like Sentry's: a Go error with an
// in-app stack, breadcrumbs and tags.
func testAlert(issueID, release string, now time.Time) ([]byte, error) {
	eventID := randomHex(16)
	frame := func(fn, file string, line int, inApp bool) map[string]any {
		return map[string]any{"function": fn, "module": "example.com/shop/" + strings.TrimSuffix(file, ".go"),
			"filename": file, "abs_path": "/src/shop/" + file, "lineno": line, "in_app": inApp,
			"context_line": "\treturn fmt.Errorf(\"charge order %d: %w\", id, err)"}
	}
	crumb := func(sec int, cat, level, msg string) map[string]any {
		return map[string]any{"timestamp": float64(now.Add(time.Duration(sec)*time.Second).UnixMilli()) / 1000,
			"type": "default", "category": cat, "level": level, "message": msg}
	}
	payload := map[string]any{
		"action": "triggered",
		"actor":  map[string]any{"id": "sentry", "name": "Sentry", "type": "application"},
		"data": map[string]any{
			"triggered_rule": "booty send-test-alert",
			"event": map[string]any{
				"event_id": eventID, "issue_id": issueID, "project": 1, "platform": "go",
				"level": "error", "environment": "booty-test", "release": release,
				"title":    "BootyTestError: this is a test alert from booty send-test-alert",
				"culprit":  "example.com/shop/checkout in Charge",
				"datetime": now.UTC().Format(time.RFC3339Nano), "timestamp": float64(now.UnixMilli()) / 1000,
				"exception": map[string]any{"values": []any{map[string]any{
					"type": "BootyTestError", "value": "this is a test alert from booty send-test-alert",
					"stacktrace": map[string]any{"frames": []any{
						frame("runtime.goexit", "asm_amd64.s", 1700, false),
						frame("main.main", "main.go", 42, true),
						frame("checkout.(*Service).Charge", "checkout.go", 118, true),
					}},
				}}},
				"breadcrumbs": map[string]any{"values": []any{
					crumb(-3, "http", "info", "POST /api/checkout"),
					crumb(-2, "query", "debug", "SELECT * FROM orders WHERE id = $1"),
					crumb(-1, "payment", "error", "card declined by processor"),
				}},
				"tags":      [][]string{{"environment", "booty-test"}, {"level", "error"}, {"release", release}},
				"url":       "https://sentry.io/api/0/projects/example/shop/events/" + eventID + "/",
				"web_url":   "https://sentry.io/organizations/example/issues/" + issueID + "/events/" + eventID + "/",
				"issue_url": "https://sentry.io/api/0/issues/" + issueID + "/",
			},
		},
		"installation": map[string]any{"uuid": "00000000-0000-4000-8000-000000000000"},
	}
	return json.Marshal(payload)
}
