package redact

import (
	"strings"
	"unicode/utf8"
)

// MaxField is the longest a single alert field is kept at intake. No
// rendered issue shows more of one field (breadcrumbs are cut to 160
// characters, context lines and messages far below this), and redacting
// keyword-dense text costs about 2 s a MiB: cutting first keeps a hostile
// field from holding the webhook past Sentry's timeout.
const MaxField = 8 << 10

// cutMargin is redacted beyond the cut, then dropped, so that a secret
// straddling the cut is replaced whole rather than left as a prefix no rule
// recognises.
const cutMargin = 512

// Field returns s cut to MaxField bytes (on a rune boundary, marked with
// "…") with every secret replaced: what intake stores of one untrusted
// field.
func Field(s string) string {
	if len(s) <= MaxField {
		return String(s)
	}
	r := String(cut(s, MaxField+cutMargin))
	return cut(r, MaxField) + "…"
}

// cut returns the longest prefix of s of at most n bytes that ends on a rune
// boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strings.Clone(s[:n])
}
