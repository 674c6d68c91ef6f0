package githubtest_test

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	gh "github.com/google/go-github/v92/github"

	"booty/internal/ghhook"
	"booty/internal/github"
	"booty/internal/githubtest"
)

var (
	hookSecret   = []byte("webhook secret for the stand-in's tests")
	deliveryIDRe = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	markedBody   = "Seen 3 times.\n\n" + github.Marker("sentry:4711") + "\n"
)

// received is one delivery as a receiver saw it.
type received struct {
	id, event, userAgent, contentType string
	parsed                            *ghhook.Event
}

// receiver is an httptest server that checks each delivery the way booty
// will: signature first, then the payload.
type receiver struct {
	t      *testing.T
	url    string
	status int

	mu  sync.Mutex
	got []received
}

func newReceiver(t *testing.T, status int) *receiver {
	t.Helper()
	rc := &receiver{t: t, status: status}
	ts := httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(ts.Close)
	rc.url = ts.URL + "/webhooks/github"
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		rc.t.Errorf("read delivery: %v", err)
		return
	}
	if err := ghhook.Verify(hookSecret, body, r.Header.Get("X-Hub-Signature-256")); err != nil {
		rc.t.Errorf("delivery %s: %v", r.Header.Get("X-GitHub-Delivery"), err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	e, err := ghhook.Parse(r.Header.Get("X-GitHub-Event"), body)
	if err != nil {
		rc.t.Errorf("delivery %s: %v", r.Header.Get("X-GitHub-Delivery"), err)
		w.WriteHeader(http.StatusUnprocessableEntity)
		return
	}
	rc.mu.Lock()
	rc.got = append(rc.got, received{
		id: r.Header.Get("X-GitHub-Delivery"), event: r.Header.Get("X-GitHub-Event"),
		userAgent: r.Header.Get("User-Agent"), contentType: r.Header.Get("Content-Type"), parsed: e,
	})
	rc.mu.Unlock()
	w.WriteHeader(rc.status)
}

func (rc *receiver) received() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// only returns the one delivery the receiver got, failing t otherwise.
func (rc *receiver) only(t *testing.T) received {
	t.Helper()
	got := rc.received()
	if len(got) != 1 {
		t.Fatalf("receiver got %d deliveries, want 1: %+v", len(got), got)
	}
	return got[0]
}

func hookSetup(t *testing.T, opts githubtest.Options) (bundle, *receiver) {
	t.Helper()
	if opts.Issues == nil {
		opts.Issues = []githubtest.Issue{
			{Title: "TypeError in checkout", Body: markedBody, Labels: []string{"bug", "agent:builder"}},
			{Title: "Closed one", Body: markedBody, State: "closed", StateReason: "completed"},
		}
	}
	b := setup(t, opts)
	rc := newReceiver(t, http.StatusAccepted)
	b.srv.SendWebhooks(rc.url, hookSecret)
	return b, rc
}

func TestWebhooksFromTestMethods(t *testing.T) {
	t.Parallel()
	maintainer := ghhook.Actor{Login: "maintainer", Type: "User", ID: 2}
	tests := []struct {
		name   string
		change func(*githubtest.Server) error
		action string
		want   func(*ghhook.Issue) string // "" when is is right, else what is wrong
	}{
		{"close completed", func(s *githubtest.Server) error { return s.CloseIssue(1) }, "closed", stateIs("closed", "completed")},
		{"close not planned", func(s *githubtest.Server) error { return s.CloseIssueAs(1, "not_planned") }, "closed", stateIs("closed", "not_planned")},
		{"close duplicate", func(s *githubtest.Server) error { return s.CloseIssueAs(1, "duplicate") }, "closed", stateIs("closed", "duplicate")},
		{"reopen", func(s *githubtest.Server) error { return s.ReopenIssue(2) }, "reopened", stateIs("open", "reopened")},
		{"delete", func(s *githubtest.Server) error { return s.DeleteIssue(1) }, "deleted", stateIs("open", "")},
		{"add label", func(s *githubtest.Server) error { return s.AddLabel(1, "p1") }, "labeled", func(is *ghhook.Issue) string {
			if is.Label != "p1" || strings.Join(is.Labels, ",") != "bug,agent:builder,p1" {
				return "label " + is.Label + ", labels " + strings.Join(is.Labels, ",")
			}
			return ""
		}},
		{"remove label", func(s *githubtest.Server) error { return s.RemoveLabel(1, "Agent:Builder") }, "unlabeled", func(is *ghhook.Issue) string {
			if is.Label != "agent:builder" || strings.Join(is.Labels, ",") != "bug" {
				return "label " + is.Label + ", labels " + strings.Join(is.Labels, ",")
			}
			return ""
		}},
		{"edit away the marker", func(s *githubtest.Server) error { return s.EditIssueBody(1, "Seen 3 times.\n") }, "edited", func(is *ghhook.Issue) string {
			if !is.MarkerRemoved || is.PreviousProblemKey != "sentry:4711" || is.ProblemKey != "" {
				return "marker not reported removed"
			}
			return ""
		}},
		{"edit keeping the marker", func(s *githubtest.Server) error { return s.EditIssueBody(1, markedBody+"Reproduced.\n") }, "edited", func(is *ghhook.Issue) string {
			if is.MarkerRemoved || is.ProblemKey != "sentry:4711" {
				return "marker reported removed"
			}
			return ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, rc := hookSetup(t, githubtest.Options{})
			if err := tt.change(b.srv); err != nil {
				t.Fatal(err)
			}
			b.srv.WaitWebhooks()
			got := rc.only(t)
			e := got.parsed
			if e.Kind != ghhook.KindIssues || e.Action != tt.action || e.Repo != owner+"/"+repo || e.Sender != maintainer {
				t.Errorf("got %s.%s on %s by %+v, want issues.%s on %s/%s by %+v", e.Name, e.Action, e.Repo, e.Sender, tt.action, owner, repo, maintainer)
			}
			if e.Issue.Number == 0 || e.Issue.Title == "" {
				t.Errorf("issue %+v lacks its number or title", e.Issue)
			}
			if msg := tt.want(e.Issue); msg != "" {
				t.Errorf("issue %d: %s", e.Issue.Number, msg)
			}
			if !deliveryIDRe.MatchString(got.id) || got.event != "issues" ||
				!strings.HasPrefix(got.userAgent, "GitHub-Hookshot/") || got.contentType != "application/json" {
				t.Errorf("headers: delivery %q, event %q, user agent %q, content type %q", got.id, got.event, got.userAgent, got.contentType)
			}
			ds := b.srv.Deliveries()
			if len(ds) != 1 || ds[0].ID != got.id || ds[0].Action != tt.action || ds[0].Status != http.StatusAccepted || ds[0].Issue != e.Issue.Number {
				t.Errorf("Deliveries() = %+v, want one %s answered 202", ds, tt.action)
			}
		})
	}
}

func stateIs(state, reason string) func(*ghhook.Issue) string {
	return func(is *ghhook.Issue) string {
		if is.State != state || is.StateReason != reason || is.ProblemKey != "sentry:4711" {
			return "state " + is.State + " (" + is.StateReason + "), key " + is.ProblemKey + "; want " + state + " (" + reason + ")"
		}
		if (state == "closed") == is.ClosedAt.IsZero() {
			return "closed_at " + is.ClosedAt.String()
		}
		return ""
	}
}

// TestWebhooksUnchanged checks that changes that change nothing send
// nothing, as on GitHub.
func TestWebhooksUnchanged(t *testing.T) {
	t.Parallel()
	b, rc := hookSetup(t, githubtest.Options{})
	for _, err := range []error{
		b.srv.CloseIssueAs(2, "not_planned"), // already closed
		b.srv.ReopenIssue(1),                 // already open
		b.srv.AddLabel(1, "BUG"),             // already there
		b.srv.RemoveLabel(1, "p9"),           // not there
		b.srv.EditIssueBody(1, markedBody),   // same body
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := b.srv.CloseIssueAs(1, "wontfix"); err == nil {
		t.Error("CloseIssueAs with an unknown reason: no error")
	}
	b.srv.WaitWebhooks()
	if got := rc.received(); len(got) != 0 {
		t.Errorf("got %d deliveries, want none: %+v", len(got), got)
	}
}

func TestWebhooksOff(t *testing.T) {
	t.Parallel()
	b, rc := hookSetup(t, githubtest.Options{})
	b.srv.SendWebhooks("", nil)
	if err := b.srv.CloseIssue(1); err != nil {
		t.Fatal(err)
	}
	b.srv.WaitWebhooks()
	if got, ds := rc.received(), b.srv.Deliveries(); len(got) != 0 || len(ds) != 0 {
		t.Errorf("webhooks off: receiver got %d, stand-in made %d, want none", len(got), len(ds))
	}
}

// TestWebhooksFromREST checks that changes through the API are sent by
// the caller, so booty can tell its own changes from a person's.
func TestWebhooksFromREST(t *testing.T) {
	t.Parallel()
	b, rc := hookSetup(t, githubtest.Options{Issues: []githubtest.Issue{}})
	ctx := t.Context()
	created := createIssue(t, b.gh, "Created by booty", "bug")
	n := created.GetNumber()
	_, _, err := b.gh.Issues.Update(ctx, owner, repo, n, gh.UpdateIssueRequest{
		Body: new(markedBody), Labels: []string{"agent:builder"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.gh.Issues.Update(ctx, owner, repo, n, gh.UpdateIssueRequest{State: new("closed"), StateReason: new("not_planned")}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.gh.Issues.Update(ctx, owner, repo, n, gh.UpdateIssueRequest{State: new("open")}); err != nil {
		t.Fatal(err)
	}
	b.srv.WaitWebhooks()
	type seen struct{ action, label, state, reason, key string }
	want := []seen{
		{"opened", "", "open", "", ""},
		{"labeled", "bug", "open", "", ""},
		{"edited", "", "open", "", "sentry:4711"},
		{"labeled", "agent:builder", "open", "", "sentry:4711"},
		{"unlabeled", "bug", "open", "", "sentry:4711"},
		{"closed", "", "closed", "not_planned", "sentry:4711"},
		{"reopened", "", "open", "reopened", "sentry:4711"},
	}
	got := rc.received()
	if len(got) != len(want) {
		t.Fatalf("got %d deliveries, want %d", len(got), len(want))
	}
	for i, r := range got {
		e := r.parsed
		s := seen{e.Action, e.Issue.Label, e.Issue.State, e.Issue.StateReason, e.Issue.ProblemKey}
		if s != want[i] {
			t.Errorf("delivery %d: got %+v, want %+v", i, s, want[i])
		}
		if !ghhook.IsOwnSender(e, githubtest.DefaultLogin) || e.Issue.Number != n {
			t.Errorf("delivery %d: issue %d sent by %q, want issue %d sent by %q", i, e.Issue.Number, e.Sender.Login, n, githubtest.DefaultLogin)
		}
	}
}

func TestRedeliver(t *testing.T) {
	t.Parallel()
	b, rc := hookSetup(t, githubtest.Options{})
	if err := b.srv.CloseIssue(1); err != nil {
		t.Fatal(err)
	}
	b.srv.WaitWebhooks()
	first := b.srv.Deliveries()[0]
	again, err := b.srv.Redeliver(first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != first.ID || !again.Redelivery || again.Status != http.StatusAccepted || string(again.Body) != string(first.Body) {
		t.Errorf("Redeliver = %+v, want %s again, answered 202", again, first.ID)
	}
	got := rc.received()
	if len(got) != 2 || got[0].id != got[1].id || got[1].parsed.Action != "closed" {
		t.Errorf("receiver got %+v, want the same delivery twice", got)
	}
	if ds := b.srv.Deliveries(); len(ds) != 2 || ds[0].Redelivery || !ds[1].Redelivery {
		t.Errorf("Deliveries() = %+v, want the delivery then its redelivery", ds)
	}
	if _, err := b.srv.Redeliver("no-such-id"); err == nil {
		t.Error("Redeliver of an unknown id: no error")
	}
}

func TestWebhookStatusRecorded(t *testing.T) {
	t.Parallel()
	b := setup(t, githubtest.Options{Issues: []githubtest.Issue{{Title: "t"}}})
	rc := newReceiver(t, http.StatusInternalServerError)
	b.srv.SendWebhooks(rc.url, hookSecret)
	if err := b.srv.CloseIssue(1); err != nil {
		t.Fatal(err)
	}
	b.srv.WaitWebhooks()
	if ds := b.srv.Deliveries(); len(ds) != 1 || ds[0].Status != http.StatusInternalServerError || ds[0].Err != "" {
		t.Errorf("Deliveries() = %+v, want one answered 500", ds)
	}
}

func TestPing(t *testing.T) {
	t.Parallel()
	b, rc := hookSetup(t, githubtest.Options{})
	id := b.srv.Ping()
	b.srv.WaitWebhooks()
	got := rc.only(t)
	if got.id != id || got.parsed.Kind != ghhook.KindPing || got.parsed.Ping.HookID == 0 || got.parsed.Repo != owner+"/"+repo {
		t.Errorf("got %+v (ping %+v), want ping %s", got, got.parsed.Ping, id)
	}
}

func TestTransferIssue(t *testing.T) {
	t.Parallel()
	const from, to = "acme/shop", "acme/warehouse"
	rs := githubtest.NewRepos(t, githubtest.Options{Token: testToken}, from, to)
	src, dst := rs.Repo(from), rs.Repo(to)
	ctx := t.Context()
	c := newClient(t, src, testToken)
	if _, _, err := c.Issues.Create(ctx, "acme", "warehouse", gh.CreateIssueRequest{Title: "already there"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Issues.Create(ctx, "acme", "shop", gh.CreateIssueRequest{Title: "moving", Body: new(markedBody), Labels: []string{"bug"}}); err != nil {
		t.Fatal(err)
	}
	srcRC, dstRC := newReceiver(t, http.StatusOK), newReceiver(t, http.StatusOK)
	src.SendWebhooks(srcRC.url, hookSecret)
	dst.SendWebhooks(dstRC.url, hookSecret)

	n, err := src.TransferIssue(1, to)
	if err != nil {
		t.Fatal(err)
	}
	src.WaitWebhooks()
	dst.WaitWebhooks()
	if n != 2 {
		t.Errorf("new number %d, want 2", n)
	}
	out := srcRC.only(t).parsed
	if out.Action != "transferred" || out.Repo != from || out.Issue.Number != 1 || out.Issue.NewRepo != to || out.Issue.NewNumber != n {
		t.Errorf("old repository got %s of %s#%d to %s#%d, want transferred of %s#1 to %s#%d",
			out.Action, out.Repo, out.Issue.Number, out.Issue.NewRepo, out.Issue.NewNumber, from, to, n)
	}
	in := dstRC.only(t).parsed
	if in.Action != "opened" || in.Repo != to || in.Issue.Number != n || in.Issue.OldRepo != from || in.Issue.OldNumber != 1 ||
		in.Issue.ProblemKey != "sentry:4711" || strings.Join(in.Issue.Labels, ",") != "bug" {
		t.Errorf("new repository got %s of %s#%d from %s#%d (key %q, labels %v), want opened of %s#%d from %s#1",
			in.Action, in.Repo, in.Issue.Number, in.Issue.OldRepo, in.Issue.OldNumber, in.Issue.ProblemKey, in.Issue.Labels, to, n, from)
	}
	if _, resp, err := c.Issues.Get(ctx, "acme", "shop", 1); err == nil || resp.StatusCode != http.StatusGone {
		t.Errorf("GET the old issue: %v, want 410", err)
	}
	if moved, ok := dst.Issue(n); !ok || moved.Body != markedBody {
		t.Errorf("new issue %+v, want the moved body", moved)
	}
	for _, bad := range []string{from, "acme/elsewhere"} {
		if _, err := src.TransferIssue(2, bad); err == nil {
			t.Errorf("TransferIssue to %s: no error", bad)
		}
	}
}

// TestCloseStopsDeliveries checks that Close does not wait for a receiver
// that never answers.
func TestCloseStopsDeliveries(t *testing.T) {
	t.Parallel()
	entered := make(chan struct{}, 1)
	hang := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		// net/http notices the client leaving only once the body is read.
		_, _ = io.Copy(io.Discard, r.Body)
		entered <- struct{}{}
		<-r.Context().Done()
	}))
	t.Cleanup(hang.Close)
	s := githubtest.NewServer(t, githubtest.Options{Issues: []githubtest.Issue{{Title: "t"}, {Title: "u"}}})
	s.SendWebhooks(hang.URL, hookSecret)
	if err := s.CloseIssue(1); err != nil {
		t.Fatal(err)
	}
	if err := s.CloseIssue(2); err != nil {
		t.Fatal(err)
	}
	<-entered
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	select {
	case <-closed:
	case <-ctx.Done():
		t.Fatal("Close is still waiting for the receiver")
	}
	s.WaitWebhooks()
	if ds := s.Deliveries(); len(ds) != 1 || ds[0].Status != 0 || ds[0].Err == "" {
		t.Errorf("Deliveries() = %+v, want the one cut short, with its error", ds)
	}
}

// TestWebhookControlEndpoints drives the webhooks the way a stand-in in
// another process is driven: through /_standin/.
func TestWebhookControlEndpoints(t *testing.T) {
	t.Parallel()
	b := setup(t, githubtest.Options{Issues: []githubtest.Issue{{Title: "t", Body: markedBody}}})
	rc := newReceiver(t, http.StatusAccepted)
	for _, bad := range []string{`{"url":"ftp://x"}`, `{"url":"http://"}`, `{"url":"http://x","extra":1}`, `not json`} {
		if resp, body := raw(t, b.srv, http.MethodPost, "/_standin/webhooks", bad, nil); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("POST webhooks %s: got %d %s, want 400", bad, resp.StatusCode, body)
		}
	}
	if resp, body := raw(t, b.srv, http.MethodPost, "/_standin/webhooks", `{"url":"`+rc.url+`","secret":"`+string(hookSecret)+`"}`, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("POST webhooks: got %d %s, want 200", resp.StatusCode, body)
	}
	for _, path := range []string{"/_standin/issues/1/labels/agent:builder", "/_standin/issues/1/close?reason=not_planned"} {
		if resp, body := raw(t, b.srv, http.MethodPost, path, "", nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("POST %s: got %d %s, want 200", path, resp.StatusCode, body)
		}
	}
	if resp, body := raw(t, b.srv, http.MethodPost, "/_standin/issues/1/close?reason=wontfix", "", nil); resp.StatusCode == http.StatusOK {
		t.Errorf("close with reason wontfix: got %d %s, want an error", resp.StatusCode, body)
	}
	resp, body := raw(t, b.srv, http.MethodGet, "/_standin/deliveries", "", nil)
	var ds []githubtest.Delivery
	if err := json.Unmarshal([]byte(body), &ds); resp.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("GET deliveries: %d %s (%v)", resp.StatusCode, body, err)
	}
	if len(ds) != 2 || ds[0].Action != "labeled" || ds[1].Action != "closed" || ds[1].Status != http.StatusAccepted {
		t.Fatalf("deliveries %+v, want labeled then closed, answered 202", ds)
	}
	if got := rc.received(); len(got) != 2 || got[1].parsed.Issue.StateReason != "not_planned" {
		t.Errorf("receiver got %+v, want the close as not_planned second", got)
	}
	if resp, body := raw(t, b.srv, http.MethodPost, "/_standin/deliveries/"+ds[1].ID+"/redeliver", "", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("redeliver: got %d %s, want 200", resp.StatusCode, body)
	}
	if got := rc.received(); len(got) != 3 || got[2].id != ds[1].ID {
		t.Errorf("receiver got %d deliveries, want the close again third", len(got))
	}
	if resp, _ := raw(t, b.srv, http.MethodPost, "/_standin/deliveries/nope/redeliver", "", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("redeliver unknown: got %d, want 404", resp.StatusCode)
	}
}

func TestReposSendWebhooks(t *testing.T) {
	t.Parallel()
	seed := githubtest.Options{Issues: []githubtest.Issue{{Title: "t"}}}
	rs := githubtest.NewRepos(t, seed, "acme/shop", "acme/warehouse")
	rc := newReceiver(t, http.StatusOK)
	rs.SendWebhooks(rc.url, hookSecret)
	for _, full := range []string{"acme/shop", "acme/warehouse"} {
		if err := rs.Repo(full).CloseIssue(1); err != nil {
			t.Fatal(err)
		}
	}
	rs.WaitWebhooks()
	got := map[string]string{}
	for _, r := range rc.received() {
		got[r.parsed.Repo] = r.parsed.Action
	}
	if want := map[string]string{"acme/shop": "closed", "acme/warehouse": "closed"}; !maps.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
