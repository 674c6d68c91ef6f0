package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"booty/internal/sentry"
)

// The error codes of the README's answer table. Each is also the outcome
// label of booty_webhook_deliveries_total.
const (
	errInvalidSignature = "invalid_signature"
	errBodyTooLarge     = "body_too_large"
	errInvalidPayload   = "invalid_payload"
	errUnavailable      = "unavailable"
	errBadRequest       = "bad_request"
)

// Errors of the webhook that no other package names.
var (
	// errReadBody is a body that could not be read for a reason other
	// than its size: the client went away or was too slow.
	errReadBody = errors.New("reading the body failed")
	// errBusy is a verified delivery that found no room in the parse
	// budget in time.
	errBusy = errors.New("too many deliveries being parsed")
)

// busyRetryAfter is the Retry-After, in seconds, of a 503 for errBusy:
// the parse budget frees as soon as the deliveries in it are committed.
const busyRetryAfter = 1

// failure is how booty answers a delivery it did not record, and how it
// logs it.
type failure struct {
	status int
	// code is the answer's "error" and the metric's outcome.
	code    string
	missing []string
	// retryAfter is the Retry-After header in seconds; 0 sends none.
	retryAfter int
	level      slog.Level
	// msg is the log line; it also names the kind of failure whose log
	// lines are sampled together.
	msg   string
	attrs []any
}

// toFailure maps an error of the webhook to its answer. It is the one
// place that does; every error not named here is the store failing, which
// loses nothing only if Sentry is told the delivery was not taken (503).
func toFailure(err error) failure {
	var tooLarge *http.MaxBytesError
	var bad *sentry.PayloadError
	switch {
	case errors.As(err, &tooLarge):
		return failure{status: http.StatusRequestEntityTooLarge, code: errBodyTooLarge, level: slog.LevelWarn,
			msg: "webhook body over the limit", attrs: []any{"limit", tooLarge.Limit}}
	case errors.Is(err, errReadBody):
		return failure{status: http.StatusBadRequest, code: errBadRequest, level: slog.LevelWarn,
			msg: "reading webhook body failed"}
	case errors.Is(err, sentry.ErrInvalidSignature):
		return failure{status: http.StatusUnauthorized, code: errInvalidSignature, level: slog.LevelWarn,
			msg: "webhook signature missing or wrong"}
	case errors.As(err, &bad):
		return failure{status: http.StatusUnprocessableEntity, code: errInvalidPayload, missing: bad.Missing,
			level: slog.LevelWarn, msg: "webhook payload rejected"}
	case errors.Is(err, errBusy):
		return failure{status: http.StatusServiceUnavailable, code: errUnavailable, retryAfter: busyRetryAfter,
			level: slog.LevelWarn, msg: "too many deliveries being parsed; delivery not accepted"}
	}
	return failure{status: http.StatusServiceUnavailable, code: errUnavailable, level: slog.LevelError,
		msg: "store unavailable; delivery not accepted"}
}

// maxLogError caps the error text of a log line. booty's errors quote no
// request text, but a cap keeps that true of the ones still to be written.
const maxLogError = 512

// fail answers a delivery booty did not record, counts it, and logs it
// unless too many of its kind were logged just now.
func (s *Server) fail(w http.ResponseWriter, req request, start time.Time, err error) {
	f := toFailure(err)
	if f.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(f.retryAfter))
	}
	s.answer(w, start, req.resource, f.status, f.code, errorBody{Error: f.code, Missing: f.missing})

	ok, suppressed := s.rejected.allow(f.msg, s.now())
	if !ok {
		return
	}
	attrs := append([]any{"request_id", req.requestID, "resource", req.resource,
		"status", f.status, "error", f.code, "err", clip(err.Error(), maxLogError)}, f.attrs...)
	if suppressed > 0 {
		attrs = append(attrs, "suppressed", suppressed)
	}
	s.log.Log(context.Background(), f.level, f.msg, attrs...)
}
