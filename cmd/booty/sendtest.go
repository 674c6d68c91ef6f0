package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"

	"booty/internal/config"
	"booty/internal/sentry"
)

// testIssueID is the Sentry issue of the test alert: every run is a new
// event of the same problem, so a second run shows dedup at work instead of
// filing another issue. --new picks a fresh problem.
const testIssueID = "4000000001"

const sendTestAlertAbout = `Signs an event alert with SENTRY_WEBHOOK_SECRET the way Sentry does, posts it to a
booty server, and says in plain words what booty decided, then prints the HTTP
status and booty's answer. Exits 0 on a 2xx answer, 1 otherwise.

Every run of the built-in test alert is a new event of one test problem: the
first files an issue, later ones are counted during the cooldown. --new makes
it (or the --fixture payload) a fresh problem, which files a new issue.`

// sendTestAlert signs and posts an event alert the way Sentry does, so an
// operator can check a deployment end to end.
func sendTestAlert(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := newFlags("send-test-alert", "--url URL [--fixture FILE] [--resource NAME] [--new]", sendTestAlertAbout)
	target := fs.String("url", "", "webhook URL, e.g. http://127.0.0.1:8000/webhooks/sentry (required)")
	fixture := fs.String("fixture", "", "post this payload file instead of the built-in test alert")
	resource := fs.String("resource", "event_alert", "Sentry-Hook-Resource header")
	fresh := fs.Bool("new", false, "report a new problem (fresh issue and event ids) instead of another event of the same one")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if *target == "" {
		return usageError(fs, stderr, errors.New("--url is required"))
	}
	secret, err := config.WebhookSecret(getenv)
	if err != nil {
		printConfigErrors(stderr, err)
		return 1
	}

	var body []byte
	if *fixture != "" {
		body, err = fixtureBody(*fixture, *fresh)
	} else {
		issueID := testIssueID
		if *fresh {
			issueID = freshIssueID()
		}
		body, err = testAlert(issueID, buildVersion(), time.Now())
	}
	if err != nil {
		fmt.Fprintf(stderr, "booty: %v\n", err)
		return 1
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
	what := "the test problem"
	if *fixture != "" {
		what = "the fixture's problem"
	}
	fmt.Fprintln(stdout, describeAnswer(resp.StatusCode, answer, what, time.Now()))
	fmt.Fprintf(stdout, "%s\n%s\n", resp.Status, strings.TrimSpace(string(answer)))
	if resp.StatusCode/100 != 2 {
		return 1
	}
	return 0
}

// webhookAnswer is the part of booty's webhook answer send-test-alert
// explains. Fields a server does not send stay empty.
type webhookAnswer struct {
	Decision      string `json:"decision"`
	Reason        string `json:"reason"`
	Error         string `json:"error"`
	ProblemKey    string `json:"problem_key"`
	CooldownUntil string `json:"cooldown_until"`
}

// describeAnswer says in plain words what booty decided. what names the
// problem ("the test problem"); times are shown in now's location.
func describeAnswer(status int, raw []byte, what string, now time.Time) string {
	var a webhookAnswer
	_ = json.Unmarshal(raw, &a) // an answer that is not JSON is explained by its status
	// What a server says stays text on one line, whatever it holds.
	a.Decision, a.Reason, a.ProblemKey = printable(a.Decision), printable(a.Reason), printable(a.ProblemKey)
	key := ""
	if a.ProblemKey != "" {
		key = " (" + a.ProblemKey + ")"
	}
	const fresh = "; send with --new for a fresh problem"
	switch {
	case a.Decision == "create":
		return "filed: booty is creating a GitHub issue for " + what + key
	case a.Decision == "comment":
		return "commented: the cooldown of " + what + key + " is over; booty adds a comment with the new count to its issue " +
			"(and reopens the issue as a regression if it was closed)"
	case a.Decision == "reopen":
		return "reopened: the issue of " + what + key + " was closed; booty reopens it as a regression"
	case a.Decision != "":
		return "accepted: booty decided " + strconv.Quote(a.Decision) + " for " + what + key
	case a.Reason == "cooldown":
		until := ""
		if t, err := time.Parse(time.RFC3339, a.CooldownUntil); err == nil {
			until = " until " + clock(t, now)
		}
		return "counted: " + what + key + " is in its cooldown" + until +
			" (OBSV_COOLDOWN_HOURS after booty last wrote to its issue), so no GitHub write" + fresh
	case a.Reason == "duplicate":
		return "duplicate: booty has already counted this very event of " + what + key + "; nothing changes" + fresh
	case a.Reason == "below_threshold":
		return "ignored: the event's level is below booty's OBSV_MIN_SEVERITY"
	case a.Reason == "sample_event":
		return "ignored: the payload is Sentry's sample event, which booty never files"
	case a.Reason == "not_triggered":
		return "ignored: the alert's action is not \"triggered\""
	case a.Reason == "not_event_alert":
		return "ignored: booty files only event alerts (Sentry-Hook-Resource: event_alert)"
	case a.Reason != "":
		return "ignored: " + a.Reason
	case status == http.StatusUnauthorized:
		return "refused: the signature does not match; SENTRY_WEBHOOK_SECRET here must be the server's"
	case status == http.StatusRequestEntityTooLarge:
		return "refused: the payload is larger than the server's BOOTY_MAX_BODY_BYTES"
	case status == http.StatusUnprocessableEntity:
		return "refused: booty could not read the payload as a Sentry event alert"
	case status == http.StatusServiceUnavailable:
		return "not stored: booty's store is unavailable; Sentry would lose this alert (see /health)"
	case status/100 == 2:
		return "accepted"
	}
	return "failed: booty answered " + strconv.Itoa(status)
}

// printable cuts s to 100 runes and replaces control characters, so that
// an answer cannot break the line or drive the terminal.
func printable(s string) string {
	r := []rune(s)
	if len(r) > 100 {
		r = append(r[:99], '…')
	}
	for i, c := range r {
		if unicode.IsControl(c) || c == '\u2028' || c == '\u2029' {
			r[i] = '?'
		}
	}
	return string(r)
}

// clock formats t for a person: the time of day when it is today, the date
// as well otherwise.
func clock(t, now time.Time) string {
	t = t.In(now.Location())
	if y, m, d := t.Date(); y == now.Year() && m == now.Month() && d == now.Day() {
		return t.Format("15:04 MST")
	}
	return t.Format("Jan 2 15:04 MST")
}

// fixtureBody reads a payload file as Sentry would send it: compact JSON.
// fresh gives it a new issue and event id, so that it is a new problem.
func fixtureBody(path string, fresh bool) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if fresh {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("%s is not JSON: %w", path, err)
		}
		data, _ := m["data"].(map[string]any)
		ev, _ := data["event"].(map[string]any)
		if ev == nil {
			return nil, fmt.Errorf("%s has no data.event to make fresh", path)
		}
		ev["issue_id"] = freshIssueID()
		ev["event_id"] = randomHex(16)
		return json.Marshal(m)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, fmt.Errorf("%s is not JSON: %w", path, err)
	}
	return buf.Bytes(), nil
}

// freshIssueID is a random Sentry issue id, far from real ones.
func freshIssueID() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(1e9))
	return strconv.FormatInt(5e9+n.Int64(), 10)
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
