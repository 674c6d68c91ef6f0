package store

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The bounds of a run's texts: a run's output is whatever the repository's
// build and tests print, and the store keeps a bounded, valid part of it
// rather than failing the worker.
const (
	// MaxRunDetail bounds a run's Detail, in runes.
	MaxRunDetail = 300
	// MaxRunLog bounds a run's Log, in bytes.
	MaxRunLog = 64 << 10
	// maxRunWord bounds the short words of a run: kind, outcome, SHA.
	maxRunWord = 100
)

// logClipped starts a log that ClipLog cut at its front.
const logClipped = "[earlier output clipped]\n"

// ClipDetail makes s one line of at most MaxRunDetail runes: invalid UTF-8
// and control characters (line breaks, tabs, terminal escapes) become
// spaces, and a longer line is cut with "…".
func ClipDetail(s string) string { return clipLine(s, MaxRunDetail) }

func clipWord(s string) string { return clipLine(s, maxRunWord) }

func clipLine(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, " "))
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// ClipLog makes s valid UTF-8 that both backends store (NUL becomes
// U+FFFD) of at most MaxRunLog bytes, keeping its end: the last lines of
// a failing test say why. A log cut short starts by saying so.
func ClipLog(s string) string {
	s = cleanText(s)
	if len(s) <= MaxRunLog {
		return s
	}
	cut := len(s) - (MaxRunLog - len(logClipped))
	for cut < len(s) && !utf8.RuneStart(s[cut]) {
		cut++
	}
	return logClipped + s[cut:]
}

// cleanText makes s text that both backends store: valid UTF-8 without
// NUL, which PostgreSQL refuses in TEXT.
func cleanText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}
