// Package apmtest is a Sentry stand-in for booty's tests: an httptest server
// that takes envelopes at a DSN, as sentry.io does, and keeps what arrives
// for the test to read.
package apmtest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Event is the part of a received error event that booty's tests look at.
// Raw is the whole event as sent.
type Event struct {
	ID          string            `json:"event_id"`
	Release     string            `json:"release"`
	Environment string            `json:"environment"`
	Level       string            `json:"level"`
	Message     string            `json:"message"`
	Tags        map[string]string `json:"tags"`
	Exception   []Exception       `json:"exception"`
	Request     *Request          `json:"request"`
	Raw         json.RawMessage   `json:"-"`
}

// Exception is one error of an event's chain.
type Exception struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// Request is the HTTP request an event was captured in.
type Request struct {
	URL         string            `json:"url"`
	Method      string            `json:"method"`
	Data        json.RawMessage   `json:"data"`
	QueryString string            `json:"query_string"`
	Headers     map[string]string `json:"headers"`
}

// HasExceptionType reports whether any error of the chain has type t, as
// sentry-go names it ("*apm.JobError").
func (e Event) HasExceptionType(t string) bool {
	for _, x := range e.Exception {
		if x.Type == t {
			return true
		}
	}
	return false
}

// Server is a Sentry stand-in. Its methods are safe for concurrent use.
type Server struct {
	// DSN points at the stand-in: http://key@127.0.0.1:PORT/1.
	DSN string

	ts     *httptest.Server
	mu     sync.Mutex
	events []Event
	bodies [][]byte
	errs   []string
}

// NewServer starts a stand-in that stops when the test ends.
func NewServer(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{}
	s.ts = httptest.NewServer(http.HandlerFunc(s.serve))
	s.DSN = strings.Replace(s.ts.URL, "http://", "http://key@", 1) + "/1"
	tb.Cleanup(func() {
		s.ts.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, e := range s.errs {
			tb.Errorf("sentry stand-in: %s", e)
		}
	})
	return s
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/envelope/") {
		http.Error(w, "not an envelope endpoint", http.StatusNotFound)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			s.fail("gzip: %v", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		s.fail("read envelope: %v", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	events, err := ParseEnvelope(b)
	if err != nil {
		s.fail("%v", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	// The auth header carries only the DSN's public key, but it is part of
	// what arrived, so it is kept for secret checks too.
	raw := append([]byte(r.Header.Get("X-Sentry-Auth")+"\n"), b...)
	s.mu.Lock()
	s.bodies = append(s.bodies, raw)
	s.events = append(s.events, events...)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `{}`)
}

func (s *Server) fail(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs = append(s.errs, fmt.Sprintf(format, args...))
}

// Events returns the error events received so far, in order.
func (s *Server) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Event(nil), s.events...)
}

// Received returns every envelope received so far, byte for byte (after
// decompression), each preceded by its X-Sentry-Auth header: what a test
// searches to prove that nothing secret arrived.
func (s *Server) Received() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Join(s.bodies, []byte("\n"))
}

// ParseEnvelope returns the error events of a Sentry envelope: a JSON
// header line, then items, each a JSON header line and a payload of the
// header's length (or up to the next newline when it names none).
func ParseEnvelope(b []byte) ([]Event, error) {
	rd := bufio.NewReader(bytes.NewReader(b))
	if _, err := readLine(rd); err != nil {
		return nil, fmt.Errorf("envelope header: %w", err)
	}
	var events []Event
	for {
		line, err := readLine(rd)
		if err == io.EOF {
			return events, nil
		}
		if err != nil {
			return nil, fmt.Errorf("item header: %w", err)
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var h struct {
			Type   string `json:"type"`
			Length *int   `json:"length"`
		}
		if err := json.Unmarshal(line, &h); err != nil {
			return nil, fmt.Errorf("item header %q: %w", line, err)
		}
		var payload []byte
		if h.Length != nil {
			if *h.Length < 0 || *h.Length > len(b) {
				return nil, fmt.Errorf("item length %d out of range", *h.Length)
			}
			payload = make([]byte, *h.Length)
			if _, err := io.ReadFull(rd, payload); err != nil {
				return nil, fmt.Errorf("item payload: %w", err)
			}
			if c, err := rd.ReadByte(); err == nil && c != '\n' {
				if err := rd.UnreadByte(); err != nil {
					return nil, err
				}
			}
		} else if payload, err = readLine(rd); err != nil && err != io.EOF {
			return nil, fmt.Errorf("item payload: %w", err)
		}
		if h.Type != "event" {
			continue
		}
		var ev Event
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, fmt.Errorf("event payload: %w", err)
		}
		ev.Raw = append(json.RawMessage(nil), payload...)
		events = append(events, ev)
	}
}

// readLine returns the next line without its newline; io.EOF only when
// nothing is left.
func readLine(rd *bufio.Reader) ([]byte, error) {
	line, err := rd.ReadBytes('\n')
	if err == io.EOF && len(line) > 0 {
		return line, nil
	}
	if err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(line, []byte("\n")), nil
}

// String summarizes the events for test failure messages.
func (s *Server) String() string {
	var b strings.Builder
	for i, e := range s.Events() {
		b.WriteString(strconv.Itoa(i) + ": ")
		for _, x := range e.Exception {
			b.WriteString(x.Type + " ")
		}
		b.WriteString(e.Message + "\n")
	}
	return b.String()
}
