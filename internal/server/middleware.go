package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"

	sentrygo "github.com/getsentry/sentry-go"
	sentryhttp "github.com/getsentry/sentry-go/http"
)

// bodyKey carries the request body past sentryhttp; see withSentry.
type bodyKey struct{}

// withSentry runs next behind sentry-go's HTTP middleware with a clone of
// booty's hub per request, so an error captured in a handler carries the
// request (scrubbed by apm) and a panic is captured before recoverPanics
// answers it.
//
// sentryhttp keeps a copy of every request body to attach to events. booty
// never sends bodies, so the body is hidden from it and handed back inside:
// no copy is made, and a webhook is read once. With reporting off (a hub
// without a client) requests skip it.
func (s *Server) withSentry(next http.Handler) http.Handler {
	inner := sentryhttp.New(sentryhttp.Options{Repanic: true}).Handle(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if b, ok := r.Context().Value(bodyKey{}).(io.ReadCloser); ok {
			r.Body = b
		}
		next.ServeHTTP(w, r)
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.hub.Client() == nil {
			// Reporting is off: sentryhttp would capture nothing, and
			// costs a hub, a scope and a transaction every request.
			next.ServeHTTP(w, r)
			return
		}
		ctx := sentrygo.SetHubOnContext(r.Context(), s.hub.Clone())
		ctx = context.WithValue(ctx, bodyKey{}, r.Body)
		r = r.WithContext(ctx)
		r.Body = http.NoBody
		inner.ServeHTTP(w, r)
	})
}

// recoverPanics answers a handler's panic with 500 and lets booty serve on.
// sentryhttp has captured the panic by then (when reporting is on); this
// logs it too, since the log is all there is when reporting is off.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tw := &trackingWriter{ResponseWriter: w}
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				// net/http's way to abort a response; it handles it.
				panic(p)
			}
			s.log.Error("handler panicked; answered 500", "method", clip(r.Method, maxLogValue),
				"path", clip(r.URL.Path, maxLogValue), "panic", clip(fmt.Sprint(p), maxLogError), "stack", string(debug.Stack()))
			if !tw.wrote {
				writeJSON(tw, http.StatusInternalServerError, errorBody{Error: errInternal})
			}
		}()
		next.ServeHTTP(tw, r)
	})
}

// trackingWriter remembers whether the answer has started, so a panic
// after it is not answered twice.
type trackingWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *trackingWriter) WriteHeader(code int) {
	w.wrote = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *trackingWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *trackingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
