package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"booty/internal/config"
	"booty/internal/githubtest"
	"booty/internal/logtest"
	"booty/internal/proctest"
	"booty/internal/sentry"
)

// bundle is booty booted in-process against a GitHub stand-in and a real
// store.
type bundle struct {
	url  string
	gh   *githubtest.Server
	app  *app
	logs *logtest.Buffer
}

// setup boots booty with env over the defaults: a new SQLite file unless
// env names a BOOTY_DATABASE_URL. The tests of what flows through the store
// run over both backends (eachBackend); those of HTTP and process concerns
// keep the default.
func setup(t *testing.T, env map[string]string) *bundle {
	t.Helper()
	gh := githubtest.NewServer(t, githubtest.Options{Token: testToken, Owner: "acme", Repo: "shop"})
	vars := map[string]string{
		"SENTRY_WEBHOOK_SECRET": testSecret,
		"GITHUB_TOKEN":          testToken,
		"TARGET_REPO_URL":       "https://github.com/acme/shop",
		"GITHUB_API_URL":        gh.URL,
		"BOOTY_DATABASE_URL":    "sqlite:" + filepath.Join(t.TempDir(), "booty.db"),
	}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	logs := &logtest.Buffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	ctx := context.Background()
	a, err := newApp(ctx, cfg, log, time.Now())
	if err != nil {
		t.Fatalf("newApp: %v", err)
	}
	if err := a.start(ctx); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.handler)
	t.Cleanup(func() {
		srv.Close()
		stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		a.stop(stopCtx)
		a.close()
	})
	return &bundle{url: srv.URL, gh: gh, app: a, logs: logs}
}

func TestWebhookAnswers(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, dbURL string) {
		b := setup(t, map[string]string{"BOOTY_DATABASE_URL": dbURL, "BOOTY_MAX_BODY_BYTES": "65536"})
		vue := fixture(t, "event_alert.triggered.vue-breadcrumbs-zulip-2023.json")
		docs := fixture(t, "event_alert.triggered.json")
		warning := bytes.Replace(withEvent(t, docs, "777", ""), []byte(`"level":"error"`), []byte(`"level":"warning"`), 1)
		sample := bytes.Replace(withEvent(t, docs, "778", ""), []byte(`["handled","no"]`), []byte(`["sample_event","yes"]`), 1)
		resolved := bytes.Replace(withEvent(t, docs, "779", ""), []byte(`"action":"triggered"`), []byte(`"action":"resolved"`), 1)

		tests := []struct {
			name       string
			resource   string
			body       []byte
			secret     string
			wantStatus int
			wantField  string // decision, reason or error
		}{
			{"no signature", "event_alert", vue, "", 401, "invalid_signature"},
			{"wrong secret", "event_alert", vue, "not-the-secret", 401, "invalid_signature"},
			{"too large", "event_alert", bytes.Repeat([]byte(" "), 70000), testSecret, 413, "body_too_large"},
			{"not JSON", "event_alert", []byte("{not json"), testSecret, 422, "invalid_payload"},
			{"no event", "event_alert", []byte(`{"action":"triggered","data":{}}`), testSecret, 422, "invalid_payload"},
			{"first alert", "event_alert", vue, testSecret, 202, "create"},
			{"same event again", "event_alert", vue, testSecret, 200, "duplicate"},
			{"new event within cooldown", "event_alert", withEvent(t, vue, "", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), testSecret, 200, "cooldown"},
			{"below threshold", "event_alert", warning, testSecret, 200, "below_threshold"},
			{"sample event", "event_alert", sample, testSecret, 200, "sample_event"},
			{"not triggered", "event_alert", resolved, testSecret, 200, "not_triggered"},
			{"issue resource", "issue", fixture(t, "issue.created.json"), testSecret, 200, "not_event_alert"},
			{"metric alert", "metric_alert", fixture(t, "metric_alert.critical.json"), testSecret, 200, "not_event_alert"},
			{"error resource", "error", fixture(t, "error.created.json"), testSecret, 200, "not_event_alert"},
			{"installation", "installation", fixture(t, "installation.created.json"), testSecret, 200, "not_event_alert"},
			{"comment", "comment", fixture(t, "comment.created.json"), testSecret, 200, "not_event_alert"},
			{"seer", "seer", fixture(t, "seer.root_cause_completed.json"), testSecret, 200, "not_event_alert"},
			{"unknown resource", "brand_new_thing", []byte(`{"action":"happened","data":{}}`), testSecret, 200, "not_event_alert"},
		}
		// Sequential: later rows depend on the state earlier ones leave.
		for _, tt := range tests {
			got := deliver(t, b.url, tt.resource, tt.body, tt.secret)
			field := got.Decision + got.Reason + got.ErrCode
			if got.Status != tt.wantStatus || field != tt.wantField {
				t.Errorf("%s: got %d %s, want %d %s", tt.name, got.Status, got.RawBody, tt.wantStatus, tt.wantField)
			}
		}

		waitFor(t, 10*time.Second, "the issue", func() bool { return len(b.gh.Issues()) == 1 })
		is := b.gh.Issues()[0]
		if !strings.Contains(is.Body, "<!-- booty:problem=sentry:4214010673 -->") {
			t.Errorf("issue body lacks the problem marker:\n%s", is.Body)
		}
		if len(is.Labels) != 1 || is.Labels[0] != "agent:builder" {
			t.Errorf("labels = %v, want [agent:builder]", is.Labels)
		}
		// GitHub renders no mention inside code, where booty puts the
		// payload's text (in spans of one or two backticks here); outside
		// code it must not appear.
		codeSpan := regexp.MustCompile("``[^`](?:[^`]|`[^`])*?``|`[^`]+`")
		if outside := codeSpan.ReplaceAllString(is.Body, ""); strings.Contains(outside, "@sentry/vue") {
			t.Errorf("issue body can ping @sentry/vue:\n%s", is.Body)
		}
		if strings.Contains(b.logs.String(), testSecret) || strings.Contains(b.logs.String(), testToken) {
			t.Error("a secret reached the log")
		}
	})
}

func TestSignatureHeaderIsCaseInsensitive(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	body := fixture(t, "event_alert.triggered.json")
	req, _ := http.NewRequest(http.MethodPost, b.url+"/webhooks/sentry", bytes.NewReader(body))
	req.Header["sentry-hook-signature"] = []string{sentry.Sign([]byte(testSecret), body)}
	req.Header["SENTRY-HOOK-RESOURCE"] = []string{"event_alert"}
	if got := do(t, req); got.Status != http.StatusAccepted {
		t.Errorf("got %d %s, want 202", got.Status, got.RawBody)
	}
}

func TestLifecycle(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, dbURL string) {
		// No cooldown: every new event after the issue exists writes to it.
		b := setup(t, map[string]string{"BOOTY_DATABASE_URL": dbURL, "OBSV_COOLDOWN_HOURS": "0"})
		docs := fixture(t, "event_alert.triggered.json")

		if got := deliver(t, b.url, "event_alert", withEvent(t, docs, "", "e1"), testSecret); got.Decision != "create" {
			t.Fatalf("first alert: %s", got.RawBody)
		}
		waitFor(t, 10*time.Second, "the issue number in the store", func() bool {
			p, err := b.app.store.Problem(context.Background(), "sentry:1117540176")
			return err == nil && p.IssueNumber == 1
		})

		if got := deliver(t, b.url, "event_alert", withEvent(t, docs, "", "e2"), testSecret); got.Decision != "comment" {
			t.Fatalf("second event after cooldown: %s", got.RawBody)
		}
		waitFor(t, 10*time.Second, "a comment", func() bool { return len(b.gh.Issues()[0].Comments) == 1 })

		// A person closes the issue; the problem comes back: a regression.
		if err := b.gh.CloseIssue(1); err != nil {
			t.Fatal(err)
		}
		// An old event (the fixture's own time, before the close) is no
		// regression; a new one is.
		if got := deliver(t, b.url, "event_alert", withEvent(t, docs, "", "e2b"), testSecret); got.Status/100 != 2 {
			t.Fatalf("old event after the close: %s", got.RawBody)
		}
		deliver(t, b.url, "event_alert", withEventAt(t, docs, "", "e3", time.Now().Add(time.Minute)), testSecret)
		waitFor(t, 10*time.Second, "the reopen", func() bool {
			is := b.gh.Issues()[0]
			return is.State == "open" && len(is.Comments) == 2
		})
		if n := len(b.gh.Issues()); n != 1 {
			t.Errorf("issues = %d, want 1", n)
		}
		if c := b.gh.Issues()[0].Comments[1]; !strings.Contains(strings.ToLower(c), "regress") && !strings.Contains(strings.ToLower(c), "reopen") {
			t.Errorf("regression comment does not say so:\n%s", c)
		}
	})
}

func TestHealth(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, dbURL string) {
		b := setup(t, map[string]string{"BOOTY_DATABASE_URL": dbURL, "SENTRY_RELEASE": "abc123", "SENTRY_ENVIRONMENT": "staging"})
		resp, err := http.Get(b.url + "/health")
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("health: %d %s", resp.StatusCode, raw)
		}
		for _, want := range []string{`"release":"abc123"`, `"environment":"staging"`, `"store":"ok"`, `"parked_jobs":0`} {
			if !strings.Contains(string(raw), want) {
				t.Errorf("health %s lacks %s", raw, want)
			}
		}

		// With the store gone, health and the webhook answer 503.
		b.app.store.Close()
		resp, err = http.Get(b.url + "/health")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("health with the store closed: %d, want 503", resp.StatusCode)
		}
		got := deliver(t, b.url, "event_alert", fixture(t, "event_alert.triggered.json"), testSecret)
		if got.Status != http.StatusServiceUnavailable || got.ErrCode != "unavailable" {
			t.Errorf("webhook with the store closed: %d %s, want 503 unavailable", got.Status, got.RawBody)
		}
	})
}

// failingListener accepts nothing: its Accept fails at once, as when the
// listening socket breaks, so that the HTTP server returns an error.
type failingListener struct{ net.Listener }

func (failingListener) Accept() (net.Conn, error) { return nil, errors.New("injected accept failure") }

// TestServeStopsInOrder ends serve each way it can end and checks that
// every way stops the worker before the store closes. Before, an HTTP server
// failure returned past the worker's stop and closed the store under a
// running River client.
func TestServeStopsInOrder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		fail      bool // the HTTP server fails instead of a signal arriving
		failStart bool // the worker cannot start: its database is gone
		wantErr   string
	}{
		{name: "signal"},
		{name: "http server fails", fail: true, wantErr: "http server: injected accept failure"},
		{name: "start fails", failStart: true, wantErr: "start worker"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, logs, ln := newTestApp(t)
			var serveLn net.Listener = ln
			if tt.fail {
				serveLn = failingListener{ln}
				defer ln.Close()
			}
			if tt.failStart {
				a.store.DB().Close()
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- a.serve(ctx, serveLn) }()
			if !tt.fail && !tt.failStart {
				waitFor(t, 10*time.Second, "booty to serve", func() bool {
					resp, err := http.Get("http://" + ln.Addr().String() + "/health")
					if err != nil {
						return false
					}
					resp.Body.Close()
					return resp.StatusCode == http.StatusOK
				})
				cancel()
			}
			var got error
			select {
			case got = <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("serve did not return")
			}
			if (tt.wantErr == "") != (got == nil) || (got != nil && !strings.Contains(got.Error(), tt.wantErr)) {
				t.Errorf("serve returned %v, want %q", got, tt.wantErr)
			}
			select {
			case <-a.jobs.Stopped():
			default:
				t.Error("serve returned with the worker still running")
			}
			if err := a.store.Ping(context.Background()); err == nil {
				t.Error("serve returned with the store still open")
			}
			if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
				c.Close()
				t.Error("serve returned with its listener still open")
			}
			if !tt.failStart && strings.Contains(logs.String(), "database is closed") {
				t.Errorf("something used the store after it closed:\n%s", logs)
			}
		})
	}
}

// TestServeChecksGitHubAccessAtStart checks that booty says at startup
// whether its token works, and serves either way.
func TestServeChecksGitHubAccessAtStart(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		token string
		want  string
	}{
		{"good token", testToken, "GitHub access check ok"},
		{"bad token", "ghp_revoked0123456789", "GitHub access check failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, map[string]string{"GITHUB_TOKEN": tt.token})
			waitFor(t, 10*time.Second, "the access check's log line", func() bool { return strings.Contains(b.logs.String(), tt.want) })
			if strings.Contains(b.logs.String(), tt.token) {
				t.Error("the token reached the log")
			}
			// It serves: the alert is accepted and waits for GitHub.
			if got := deliver(t, b.url, "event_alert", fixture(t, "event_alert.triggered.json"), testSecret); got.Status != http.StatusAccepted {
				t.Errorf("delivery: %d %s, want 202", got.Status, got.RawBody)
			}
		})
	}
}

// newTestApp builds booty in-process against a GitHub stand-in and a new
// store, with its log and a loopback listener for it to serve on.
func newTestApp(t *testing.T) (*app, *logtest.Buffer, net.Listener) {
	t.Helper()
	gh := githubtest.NewServer(t, githubtest.Options{Token: testToken, Owner: "acme", Repo: "shop"})
	cfg, err := config.Load(func(k string) string {
		return map[string]string{
			"SENTRY_WEBHOOK_SECRET": testSecret, "GITHUB_TOKEN": testToken, "TARGET_REPO_URL": "acme/shop",
			"GITHUB_API_URL": gh.URL, "BOOTY_DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "booty.db"),
		}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	logs := &logtest.Buffer{}
	a, err := newApp(context.Background(), cfg, slog.New(slog.NewJSONHandler(logs, nil)), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return a, logs, ln
}

// startActivated starts the built binary's serve the way systemd starts a
// socket-activated service: sock is passed as file descriptor 3 with
// LISTEN_FDS=1, and LISTEN_PID is the pid of booty itself, which a shell
// learns as $$ and keeps through exec. It waits until booty answers on sock.
func startActivated(t *testing.T, env []string, sock *os.File, url string) *process {
	t.Helper()
	addr := strings.TrimPrefix(url, "http://")
	p := proctest.StartTest(t, proctest.Options{
		Path: "/bin/sh", Args: []string{"-c", `LISTEN_PID=$$ exec "$0" serve`, builtBooty(t)},
		Env: append(slices.Clone(env), "LISTEN_FDS=1"), Addr: addr, ExtraFiles: []*os.File{sock},
	})
	if !strings.Contains(p.Logs.String(), "serving on the socket systemd passed") {
		t.Fatalf("booty did not say it took the passed socket; logs:\n%s", p.Logs)
	}
	return &process{Process: p, url: p.URL, logs: p.Logs}
}

// TestRestartUnderLoadLosesNothing holds the listening socket itself, as
// systemd does for booty.socket, and restarts booty on it (SIGTERM, start
// again) twice while deliveries stream in. Every delivery must get an
// answer: connections made while no booty runs wait in the socket's backlog.
// Before socket activation, a restart answered them "connection refused",
// and Sentry does not retry.
func TestRestartUnderLoadLosesNothing(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, dbURL string) {
		gh := githubtest.NewServer(t, githubtest.Options{Token: testToken, Owner: "acme", Repo: "shop"})
		env := append(bootyEnv(gh.URL, dbURL), "BOOTY_LISTEN="+freeAddr(t)) // must not be used

		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		sock, err := ln.(*net.TCPListener).File()
		if err != nil {
			t.Fatal(err)
		}
		defer sock.Close()
		url := "http://" + ln.Addr().String()
		p := startActivated(t, env, sock, url)

		const problems, events, restarts = 20, 10, 2
		ds := deliveries(t, problems, events)
		status := make([]int, len(ds))
		errs := make([]error, len(ds))
		// A new connection per delivery, as a restart must not refuse them.
		// (A request sent on a kept-alive connection just as the old booty
		// closes it can fail in any HTTP/1.1 server; see docs/deploy.md.)
		client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		var sent atomic.Int64
		var wg sync.WaitGroup
		next := make(chan int)
		for w := 0; w < 4; w++ {
			wg.Go(func() {
				for i := range next {
					status[i], errs[i] = post(client, url, ds[i])
					sent.Add(1)
				}
			})
		}
		feed := make(chan struct{})
		go func() {
			defer close(feed)
			for i := range ds {
				next <- i
			}
			close(next)
		}()
		for r := 1; r <= restarts; r++ {
			// Restart once a share of the stream has been answered, while the
			// rest keeps coming.
			waitFor(t, 30*time.Second, "deliveries to be answered", func() bool {
				return sent.Load() >= int64(len(ds)*r/(restarts+1))
			})
			p.stop(t)
			p = startActivated(t, env, sock, url)
		}
		<-feed
		wg.Wait()

		for i, d := range ds {
			if status[i]/100 != 2 {
				t.Errorf("delivery %s: status %d, error %v; want an answer", d.requestID, status[i], errs[i])
			}
		}
		if got := strings.Count(p.logs.String(), "booty serving"); got != 1 {
			t.Errorf("the last booty logged %d starts, want 1", got)
		}
		recorded := recordedRequests(t, dbURL)
		for _, d := range ds {
			if !recorded[d.requestID] {
				t.Errorf("delivery %s was answered but is not in the store", d.requestID)
			}
		}
		p.stop(t)
	})
}

// post sends d with client and returns the status, or the error when no
// answer came.
func post(client *http.Client, url string, d delivery) (int, error) {
	req, err := http.NewRequest(http.MethodPost, url+"/webhooks/sentry", bytes.NewReader(d.body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Request-ID", d.requestID)
	req.Header.Set("Sentry-Hook-Resource", "event_alert")
	req.Header.Set("Sentry-Hook-Signature", sentry.Sign([]byte(testSecret), d.body))
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// TestShutdownAnswersRequestInFlight opens a connection, lets shutdown
// begin, and only then sends a delivery on it: booty must answer it. Go's
// http.Server.Shutdown alone closes such a connection unanswered, which
// lost deliveries at every restart.
func TestShutdownAnswersRequestInFlight(t *testing.T) {
	t.Parallel()
	a, logs, ln := newTestApp(t)
	addr := ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.serve(ctx, ln) }()
	waitFor(t, 10*time.Second, "booty to serve", func() bool { return strings.Contains(logs.String(), "booty serving") })

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The server has accepted the connection once it is tracked; the
	// first request is not sent yet.
	waitFor(t, 10*time.Second, "the connection to be accepted", func() bool { return a.conns.count() == 1 })
	cancel()
	waitFor(t, 10*time.Second, "shutdown to stop accepting", func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err != nil
	})

	body := fixture(t, "event_alert.triggered.json")
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/webhooks/sentry", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Sentry-Hook-Resource", "event_alert")
	req.Header.Set("Sentry-Hook-Signature", sentry.Sign([]byte(testSecret), body))
	if err := req.Write(conn); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		t.Fatalf("no answer to the delivery sent during shutdown: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("delivery sent during shutdown: %d, want 202", resp.StatusCode)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not return")
	}
}

// TestListen checks which socket serve takes: the one systemd passes, else
// BOOTY_LISTEN; and that it refuses a set of passed descriptors it cannot
// serve on rather than guess.
func TestListen(t *testing.T) {
	t.Parallel()
	open := func() net.Listener {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		return l
	}
	passed := open()
	tests := []struct {
		name      string
		inherited []net.Listener
		wantAddr  string // "" for BOOTY_LISTEN's
		wantErr   string
	}{
		{name: "nothing passed"},
		{name: "one socket passed", inherited: []net.Listener{passed}, wantAddr: passed.Addr().String()},
		{name: "two sockets passed", inherited: []net.Listener{open(), open()}, wantErr: "passed 2 descriptors, 2 of them listening sockets"},
		{name: "not a listening socket", inherited: []net.Listener{nil}, wantErr: "passed 1 descriptors, 0 of them listening sockets"},
		{name: "a socket and something else", inherited: []net.Listener{open(), nil}, wantErr: "passed 2 descriptors, 1 of them listening sockets"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr := freeAddr(t)
			ln, err := listen(addr, tt.inherited, slog.New(slog.DiscardHandler))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("listen: %v, want an error saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			want := tt.wantAddr
			if want == "" {
				want = addr
			}
			if got := ln.Addr().String(); got != want {
				t.Errorf("listening on %s, want %s", got, want)
			}
		})
	}
}
