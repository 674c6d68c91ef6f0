package githubtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"booty/internal/ghhook"
)

// What the stand-in's deliveries say about the hook that sent them.
const (
	hookID        = 480000001
	hookUserAgent = "GitHub-Hookshot/standin"
	hookTimeout   = 10 * time.Second // GitHub gives a receiver 10 seconds
)

// Delivery is one webhook delivery the stand-in made: what it posted and
// what the receiver answered. A redelivery is a Delivery of its own with
// the ID of the one it repeats.
type Delivery struct {
	// ID is the X-GitHub-Delivery header, shared by a delivery and its
	// redeliveries.
	ID string `json:"id"`
	// Event is the X-GitHub-Event header ("issues").
	Event string `json:"event"`
	// Action is the payload's "action".
	Action string `json:"action,omitempty"`
	// Issue is the number of the issue the delivery is about.
	Issue int `json:"issue,omitempty"`
	// Sender is the login of the payload's sender.
	Sender string `json:"sender"`
	// Redelivery is true for a delivery made by Redeliver.
	Redelivery bool `json:"redelivery"`
	// Status is the HTTP status the receiver answered; 0 when it answered
	// nothing (Err says why).
	Status int `json:"status"`
	// Err is why the delivery got no answer, "" when it got one.
	Err string `json:"error,omitempty"`
	// Body is the JSON posted.
	Body []byte `json:"-"`
}

// hookJob is a delivery waiting for its turn; done is closed once it has
// been made (or dropped because the stand-in closed).
type hookJob struct {
	d    Delivery
	done chan struct{}
}

// webhooks posts deliveries one at a time, in the order the changes that
// caused them happened, on a goroutine of its own: like GitHub, the
// stand-in answers the REST call before the receiver hears of it.
type webhooks struct {
	client *http.Client
	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex
	idle   *sync.Cond // signalled when the queue is empty and nothing is in flight
	url    string
	secret []byte
	queue  []*hookJob
	busy   bool
	closed bool
	made   []Delivery
	byID   map[string]Delivery // first delivery of each ID, for Redeliver
}

func newWebhooks() *webhooks {
	ctx, cancel := context.WithCancel(context.Background())
	h := &webhooks{
		client: &http.Client{Timeout: hookTimeout},
		ctx:    ctx,
		cancel: cancel,
		byID:   make(map[string]Delivery),
	}
	h.idle = sync.NewCond(&h.mu)
	return h
}

// SendWebhooks makes the stand-in post a signed "issues" delivery to url
// for every change to an issue from then on: creates, edits, label
// changes, closes and reopens through the REST API (sent by the caller's
// login), and the test-driven CloseIssueAs, ReopenIssue, DeleteIssue,
// TransferIssue, AddLabel, RemoveLabel and EditIssueBody (sent by a
// maintainer). Deliveries are made in order on a goroutine of their own;
// WaitWebhooks waits for them. An empty url stops the deliveries.
func (s *Server) SendWebhooks(url string, secret []byte) {
	h := s.hooks
	h.mu.Lock()
	defer h.mu.Unlock()
	h.url, h.secret = url, slices.Clone(secret)
}

// SendWebhooks makes every repository post its webhooks to url, signed
// with secret (see Server.SendWebhooks): one hook, as an organisation's or
// an App's, hears them all.
func (rs *Repos) SendWebhooks(url string, secret []byte) {
	for _, s := range rs.servers {
		s.SendWebhooks(url, secret)
	}
}

// WaitWebhooks waits for the deliveries of every repository.
func (rs *Repos) WaitWebhooks() {
	for _, s := range rs.servers {
		s.WaitWebhooks()
	}
}

// WaitWebhooks returns once every delivery queued so far, and every one
// queued while it waits, has been made.
func (s *Server) WaitWebhooks() {
	h := s.hooks
	h.mu.Lock()
	defer h.mu.Unlock()
	for h.busy || len(h.queue) > 0 {
		h.idle.Wait()
	}
}

// Deliveries returns every delivery made so far, in the order made.
func (s *Server) Deliveries() []Delivery {
	h := s.hooks
	h.mu.Lock()
	defer h.mu.Unlock()
	out := slices.Clone(h.made)
	for i := range out {
		out[i].Body = slices.Clone(out[i].Body)
	}
	return out
}

// Redeliver posts delivery id again, with the same X-GitHub-Delivery and
// body, as a maintainer does from the hook's settings, and returns it once
// it has been made. A receiver must recognise it as one it has seen.
func (s *Server) Redeliver(id string) (Delivery, error) {
	h := s.hooks
	h.mu.Lock()
	d, ok := h.byID[id]
	if !ok {
		h.mu.Unlock()
		return Delivery{}, fmt.Errorf("redeliver %q: no such delivery", id)
	}
	d.Redelivery, d.Status, d.Err = true, 0, ""
	job := h.enqueueLocked(d)
	h.mu.Unlock()
	if job == nil {
		return Delivery{}, fmt.Errorf("redeliver %q: webhooks are off", id)
	}
	<-job.done
	return job.d, nil
}

// Ping posts GitHub's ping event, as GitHub does when a hook is created,
// and returns its delivery id ("" when webhooks are off).
func (s *Server) Ping() string {
	base := s.hookBase()
	s.mu.Lock()
	payload := wirePingHook{
		Zen:    "Keep it logically awesome.",
		HookID: hookID,
		Hook: wireHook{Type: "Repository", ID: hookID, Name: "web", Active: true,
			Events: []string{"issues", "pull_request"}, Config: map[string]string{"content_type": "json", "insecure_ssl": "0"}},
		Repository: s.wireRepoLocked(base),
		Sender:     s.user(base, maintainerLogin, maintainerID, "User"),
	}
	d, ok := s.hooks.deliveryLocked("ping", "", 0, payload.Sender.Login, payload)
	if ok {
		s.hooks.enqueue(d)
	}
	s.mu.Unlock()
	return d.ID
}

// deliveryLocked renders a delivery, or reports false when webhooks are
// off. The caller holds Server.mu, so deliveries queue in the order their
// changes happened.
func (h *webhooks) deliveryLocked(event, action string, issue int, sender string, payload any) (Delivery, bool) {
	h.mu.Lock()
	on := h.url != "" && !h.closed
	h.mu.Unlock()
	if !on {
		return Delivery{}, false
	}
	body, err := json.Marshal(payload)
	if err != nil {
		// Only the stand-in's own types are encoded here.
		panic(fmt.Sprintf("githubtest: encode %T: %v", payload, err))
	}
	return Delivery{ID: newDeliveryID(), Event: event, Action: action, Issue: issue, Sender: sender, Body: body}, true
}

func (h *webhooks) enqueue(d Delivery) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.enqueueLocked(d) != nil {
		h.byID[d.ID] = d
	}
}

// enqueueLocked queues d and starts the sender if it is not running; nil
// when webhooks are off.
func (h *webhooks) enqueueLocked(d Delivery) *hookJob {
	if h.url == "" || h.closed {
		return nil
	}
	job := &hookJob{d: d, done: make(chan struct{})}
	h.queue = append(h.queue, job)
	if !h.busy {
		h.busy = true
		go h.run()
	}
	return job
}

// run makes the queued deliveries until the queue is empty.
func (h *webhooks) run() {
	h.mu.Lock()
	for len(h.queue) > 0 && !h.closed {
		job := h.queue[0]
		h.queue = h.queue[1:]
		url, secret := h.url, h.secret
		h.mu.Unlock()
		job.d.Status, job.d.Err = h.post(url, secret, job.d)
		h.mu.Lock()
		h.made = append(h.made, job.d)
		close(job.done)
	}
	for _, job := range h.queue {
		job.d.Err = "stand-in closed"
		close(job.done)
	}
	h.queue = nil
	h.busy = false
	h.idle.Broadcast()
	h.mu.Unlock()
}

func (h *webhooks) post(url string, secret []byte, d Delivery) (status int, errText string) {
	req, err := http.NewRequestWithContext(h.ctx, http.MethodPost, url, bytes.NewReader(d.Body))
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", hookUserAgent)
	req.Header.Set(ghhook.HeaderEvent, d.Event)
	req.Header.Set(ghhook.HeaderDelivery, d.ID)
	req.Header.Set(ghhook.HeaderSignature, ghhook.Sign(secret, d.Body))
	req.Header.Set("X-GitHub-Hook-ID", strconv.Itoa(hookID))
	req.Header.Set("X-GitHub-Hook-Installation-Target-Type", "repository")
	req.Header.Set("X-GitHub-Hook-Installation-Target-ID", strconv.Itoa(repoID))
	resp, err := h.client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	resp.Body.Close()
	return resp.StatusCode, ""
}

// close stops the deliveries: the one in flight is cut short and queued
// ones are dropped.
func (h *webhooks) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	h.cancel()
	for h.busy {
		h.idle.Wait()
	}
}

// newDeliveryID returns a random UUID, the form of GitHub's delivery ids.
func newDeliveryID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// hookBase is the API URL payloads link to when no request tells it.
func (s *Server) hookBase() string {
	return cmpOr(s.URL, "https://api.github.com/")
}
