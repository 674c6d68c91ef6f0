package redact

import (
	"strings"
	"sync"
	"sync/atomic"
)

// Memo answers a redactor's strings it has seen before from memory. A storm
// delivers one problem's stack trace over and over, and redacting its file
// names, functions and source lines again is most of what a delivery costs
// but its parse.
//
// It remembers only the strings the redactor returned unchanged, so it
// never holds a secret the redactor knows; a string with one is redacted
// every time. It holds at most maxBytes of text and starts over when full.
type Memo struct {
	redact   func(string) string
	maxBytes int64
	clean    sync.Map // string → struct{}
	bytes    atomic.Int64
}

// memoLongest is the longest string a Memo remembers: the short ones repeat
// (frames, modules, breadcrumb categories), and a long one would take a
// larger share of the budget than its repeats save.
const memoLongest = 1 << 10

// NewMemo returns a Memo over redact, which must be a function of its
// argument alone, as every redactor is.
func NewMemo(redact func(string) string, maxBytes int) *Memo {
	return &Memo{redact: redact, maxBytes: int64(maxBytes)}
}

// String returns the redactor's answer for s.
func (m *Memo) String(s string) string {
	if _, ok := m.clean.Load(s); ok {
		return s
	}
	r := m.redact(s)
	if r != s || len(s) > memoLongest {
		return r
	}
	// A copy: s may point into a whole webhook body.
	if _, loaded := m.clean.LoadOrStore(strings.Clone(s), struct{}{}); !loaded {
		if m.bytes.Add(int64(len(s))) > m.maxBytes {
			m.clean.Clear()
			m.bytes.Store(0)
		}
	}
	return s
}
