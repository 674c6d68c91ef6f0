package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"booty/internal/alert"
	"booty/internal/intake"
	"booty/internal/sentry"
)

// storeTimeout bounds the transaction behind an answer. Sentry stops
// waiting after about a second, but a commit that lands later still
// records the delivery and files its issue, so a slow store (a large group
// commit, a busy disk) gets this long; the bound only keeps a stuck store
// from holding handlers for ever.
const storeTimeout = 5 * time.Second

// minParseWeight is what a delivery costs the parse budget at least:
// decoding even a small body allocates, and the floor bounds how many
// deliveries are in flight at once.
const minParseWeight = 16 << 10

// request is what the webhook takes from the request's headers, each value
// cut to maxLogValue since a sender can put anything there.
type request struct {
	resource  string
	requestID string
}

func (s *Server) sentryWebhook(w http.ResponseWriter, r *http.Request) {
	start := s.now()
	req := request{
		resource:  clip(r.Header.Get("Sentry-Hook-Resource"), maxLogValue),
		requestID: clip(r.Header.Get("Request-ID"), maxLogValue),
	}
	res, err := s.receive(w, r, req)
	if err != nil {
		s.fail(w, req, start, err)
		return
	}
	s.succeed(w, req, start, res)
}

// receive reads, verifies and records one delivery. Its errors are the
// ones toFailure maps to answers.
func (s *Server) receive(w http.ResponseWriter, r *http.Request, req request) (intake.Result, error) {
	buf := s.bufs.Get().(*bytes.Buffer)
	defer s.putBuf(buf)
	if err := s.readBody(w, r, buf); err != nil {
		return intake.Result{}, err
	}
	body := buf.Bytes()

	if err := sentry.Verify(s.opts.Secret, body, r.Header.Get("Sentry-Hook-Signature")); err != nil {
		return intake.Result{}, fmt.Errorf("verify webhook: %w", err)
	}

	weight, err := s.holdParse(r.Context(), len(body))
	if err != nil {
		return intake.Result{}, err
	}
	defer s.parse.Release(weight)

	ctx, cancel := context.WithTimeout(r.Context(), storeTimeout)
	defer cancel()
	res, err := s.receiver.Receive(ctx, req.resource, req.requestID, body)
	if err != nil {
		return intake.Result{}, fmt.Errorf("receive delivery: %w", err)
	}
	return res, nil
}

// readBody reads r's body into buf, under the body limit. Its errors say
// whether the body was too large or not read to its end.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, buf *bytes.Buffer) error {
	if r.ContentLength > 0 && r.ContentLength <= s.opts.MaxBody {
		buf.Grow(int(r.ContentLength))
	}
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, s.opts.MaxBody)); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return fmt.Errorf("read webhook body: %w", err)
		}
		return fmt.Errorf("read webhook body: %w: %w", errReadBody, err)
	}
	return nil
}

// holdParse takes room for parsing a verified body of n bytes from the
// parse budget and returns the weight taken, to give back with
// s.parse.Release. Only a verified delivery takes room, so unauthenticated
// senders, however slow or many, cannot hold it.
func (s *Server) holdParse(ctx context.Context, n int) (int64, error) {
	weight := min(max(int64(n), minParseWeight), s.parseBudget)
	if err := s.acquireParse(ctx, weight); err != nil {
		return 0, fmt.Errorf("wait to parse %d bytes: %w", n, err)
	}
	return weight, nil
}

// acquireParse takes weight from the parse budget, waiting at most
// parseWait (and never past the request's end).
func (s *Server) acquireParse(ctx context.Context, weight int64) error {
	if s.parse.TryAcquire(weight) {
		return nil
	}
	ctx, cancel := context.WithTimeoutCause(ctx, s.parseWait, errBusy)
	defer cancel()
	if err := s.parse.Acquire(ctx, weight); err != nil {
		if cause := context.Cause(ctx); !errors.Is(cause, errBusy) {
			return fmt.Errorf("%w: %w", errBusy, cause) // the sender gave up first
		}
		return fmt.Errorf("%w for %v", errBusy, s.parseWait)
	}
	return nil
}

// succeed answers a recorded delivery and logs it.
func (s *Server) succeed(w http.ResponseWriter, req request, start time.Time, res intake.Result) {
	now := s.now()
	s.lastWebhook.Store(now.UnixMilli())
	s.metrics.LastWebhook.Set(float64(now.Unix()))
	d := res.Decision
	status, body := okAnswer(res)
	s.answer(w, start, req.resource, status, d.String(), body)

	// Attrs, not key-value pairs: the line is written for every delivery,
	// and the pairs' values would each be boxed.
	attrs := make([]slog.Attr, 0, 10)
	attrs = append(attrs, slog.String("request_id", req.requestID), slog.String("resource", req.resource),
		slog.String("action", clip(res.Action, maxLogValue)), slog.String("decision", d.String()))
	if res.Alert != nil {
		attrs = append(attrs, slog.String("problem_key", res.Alert.ProblemKey),
			slog.String("event_id", clip(res.Alert.EventID, maxLogValue)), slog.String("level", res.Alert.Level.String()))
		if res.Route != "" {
			attrs = append(attrs, slog.String("route", res.Route))
		}
		s.metrics.Decisions.WithLabelValues(d.String()).Inc()
		if d.Action == alert.ActionFold {
			s.metrics.StormFolded.WithLabelValues(res.Route).Inc()
		}
	}
	if d.Accepted() {
		s.log.LogAttrs(context.Background(), slog.LevelInfo, "webhook accepted", attrs...)
		return
	}
	attrs = append(attrs, slog.String("reason", string(d.Reason)))
	if b, ok := body.(ignoredBody); ok && b.CooldownUntil != "" {
		attrs = append(attrs, slog.String("cooldown_until", b.CooldownUntil))
	}
	s.log.LogAttrs(context.Background(), slog.LevelInfo, "webhook ignored", attrs...)
}

// okAnswer is the answer to a recorded delivery: 202 with the decision when
// GitHub will change, 200 with the reason when not. Both name the problem
// when the delivery was an event alert, and a cooldown says until when.
func okAnswer(res intake.Result) (int, any) {
	var key string
	if res.Alert != nil {
		key = res.Alert.ProblemKey
	}
	d := res.Decision
	if d.Accepted() {
		return http.StatusAccepted, acceptedBody{Status: "accepted", Decision: string(d.Action), ProblemKey: key}
	}
	b := ignoredBody{Status: "ignored", Reason: string(d.Reason), ProblemKey: key}
	if d.Reason == alert.ReasonCooldown && !res.CooldownUntil.IsZero() {
		b.CooldownUntil = res.CooldownUntil.UTC().Format(time.RFC3339)
	}
	return http.StatusOK, b
}

type acceptedBody struct {
	Status     string `json:"status"`
	Decision   string `json:"decision"`
	ProblemKey string `json:"problem_key"`
}

type ignoredBody struct {
	Status     string `json:"status"`
	Reason     string `json:"reason"`
	ProblemKey string `json:"problem_key,omitempty"`
	// CooldownUntil is RFC 3339, set for the cooldown reason only.
	CooldownUntil string `json:"cooldown_until,omitempty"`
}

type errorBody struct {
	Error   string   `json:"error"`
	Missing []string `json:"missing,omitempty"`
}

// answer writes an answer and counts it.
func (s *Server) answer(w http.ResponseWriter, start time.Time, resource string, status int, outcome string, body any) {
	writeJSON(w, status, body)
	s.metrics.Deliveries.WithLabelValues(metricResource(resource), outcome).Inc()
	s.metrics.AnswerSeconds.Observe(s.now().Sub(start).Seconds())
}

// metricResource keeps the label's values few: a sender can put anything
// in the header, and every distinct value would be a series kept for ever.
func metricResource(r string) string {
	r = strings.ToLower(strings.TrimSpace(r))
	switch r {
	case "":
		return "none"
	case "event_alert", "metric_alert", "issue", "error", "comment", "installation", "seer":
		return r
	}
	return "other"
}

func (s *Server) putBuf(b *bytes.Buffer) {
	// Keep the pool's buffers at the size of ordinary deliveries.
	if b.Cap() > 256<<10 {
		return
	}
	b.Reset()
	s.bufs.Put(b)
}
