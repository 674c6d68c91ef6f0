// Package redact replaces secrets in untrusted text with [redacted]. It is
// booty's one redactor: intake runs it on every string of an alert before
// anything is stored, the issue text runs it again before it is rendered,
// and booty's own error reports run it with the configured secret values
// added.
//
// The rules are gitleaks' default rules (embedded in gitleaks/, with their
// licence), plus a few of booty's own for what a repository scanner does not
// look for: HTTP headers, credentials in URLs, key=value pairs, AWS secret
// keys after their key ID, payment card numbers and US social security
// numbers. Each rule runs only on text that holds one of its keywords, found
// in one pass over the text, so text without a secret costs one scan and no
// allocation.
package redact

import (
	mathbits "math/bits"
	"slices"
	"strings"
	"sync"
)

// Replacement is what every secret is replaced by.
const Replacement = "[redacted]"

// standard is the rule set every Redactor shares. It is compiled on first
// use (a few tens of milliseconds) and never changed after.
var standard = sync.OnceValue(func() *ruleSet {
	rs, err := loadRules()
	if err != nil {
		// The rules are embedded and tested: this is a build defect.
		panic("redact: " + err.Error())
	}
	return rs
})

// String returns s with every secret replaced by [redacted]. When nothing
// matches it returns s itself, without allocating. It is safe for
// concurrent use.
func String(s string) string {
	return standard().redact(s, nil)
}

// Redactor is String with known secret values added: the ones booty is
// configured with, which no pattern could recognise. The zero value is not
// usable; call New.
type Redactor struct {
	rules *ruleSet
	// secrets, longest first, so that one secret holding another is
	// replaced whole.
	secrets []string
}

// New returns a Redactor that also replaces every occurrence of each of
// secrets. Empty and blank values are ignored.
func New(secrets ...string) *Redactor {
	r := &Redactor{rules: standard()}
	for _, v := range secrets {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(r.secrets, v) {
			r.secrets = append(r.secrets, v)
		}
	}
	slices.SortFunc(r.secrets, func(a, b string) int { return len(b) - len(a) })
	return r
}

// String returns s with every secret replaced by [redacted], as the
// package's String does, and every known secret value as well.
func (r *Redactor) String(s string) string {
	return r.rules.redact(s, r.secrets)
}

// span is a byte range of a text to replace.
type span struct{ start, end int }

func (rs *ruleSet) redact(s string, secrets []string) string {
	if s == "" {
		return s
	}
	var spans []span
	cand := rs.candidates(s)
	for w, bits := range cand {
		for bits != 0 {
			i := w*64 + mathbits.TrailingZeros64(bits)
			bits &= bits - 1
			spans = rs.rules[i].find(s, rs, spans)
		}
	}
	for _, sec := range secrets {
		for off := 0; ; {
			j := strings.Index(s[off:], sec)
			if j < 0 {
				break
			}
			spans = append(spans, span{off + j, off + j + len(sec)})
			off += j + len(sec)
		}
	}
	if len(spans) == 0 {
		return s
	}
	return replace(s, spans)
}

// replace returns s with the union of spans replaced: overlapping or
// touching spans become one [redacted].
func replace(s string, spans []span) string {
	slices.SortFunc(spans, func(a, b span) int { return a.start - b.start })
	var b strings.Builder
	b.Grow(len(s))
	pos := 0
	for i := 0; i < len(spans); {
		start, end := spans[i].start, spans[i].end
		for i++; i < len(spans) && spans[i].start <= end; i++ {
			end = max(end, spans[i].end)
		}
		b.WriteString(s[pos:start])
		b.WriteString(Replacement)
		pos = end
	}
	b.WriteString(s[pos:])
	return b.String()
}
