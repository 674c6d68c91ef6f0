package github

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"booty/internal/redact"
)

// Every string of an alert came from a webhook, so it is untrusted: the
// event's message, breadcrumbs and even file names are whatever the crashing
// program (or whoever drives it) put there. One sanitiser treats all of it,
// wherever it lands in an issue, in this order:
//
//  1. keep a bounded prefix (or suffix), so a huge field costs nothing;
//  2. make it valid UTF-8, drop zero-width characters and turn control and
//     bidirectional characters into spaces;
//  3. redact secrets (package redact), before anything can split them;
//  4. cut to the field's length on a rune boundary;
//  5. break HTML comment openers, so nothing can fake booty's marker.
//
// The body renders the result only inside code spans and fenced blocks,
// where GitHub renders nothing: no link, mention, reference, math, emphasis
// or emoji. Titles are plain text, so they are also neutralised: mentions,
// issue references and GitHub issue URLs are broken with a zero-width space.

// zwsp is the zero-width space booty inserts to break a mention or reference
// in a title while leaving it readable.
const zwsp = "\u200b"

// Neutralising rules of titles, compiled once and never changed. The
// zero-width space goes after the character GitHub keys on, so the text
// still reads the same.
var (
	// #12, owner/repo#12, fixes #12: a reference needs '#' right before a digit.
	issueRefRE = regexp.MustCompile(`#([0-9])`)
	// GH-12 is GitHub's other reference form.
	ghRefRE = regexp.MustCompile(`(?i)(gh-)([0-9])`)
)

// commentOpener is replaced in all untrusted text so that no untrusted
// text, even inside a code block, can look like booty's hidden marker.
var commentOpener = strings.NewReplacer("<!--", "<!-"+zwsp+"-")

// textCut says which end of an over-long text to keep.
type textCut int

const (
	// keepHead keeps the start: messages say what happened first.
	keepHead textCut = iota
	// keepTail keeps the end: a path's end names the file.
	keepTail
)

// ellipsis marks a cut.
const ellipsis = "…"

// sanitizeText returns s as one line of at most max runes for a code span:
// secrets redacted, runs of white space collapsed, comment openers broken.
func sanitizeText(s string, max int, cut textCut) string {
	return commentOpener.Replace(cleanText(s, max, cut))
}

// cleanText is sanitizeText without breaking comment openers, for text that
// is joined with more text (a title) and neutralised as a whole afterwards,
// since cutting a text can leave a bare '@' or '#' at its edge.
func cleanText(s string, max int, cut textCut) string {
	s = prepare(s, max, cut)
	s = strings.Join(strings.Fields(s), " ")
	return cutRunes(s, max, cut)
}

// sanitizeCodeLine returns s for a line of a code block: like sanitizeText,
// but inner spacing (indentation) is kept.
func sanitizeCodeLine(s string, max int) string {
	s = prepare(s, max, keepHead)
	s = strings.TrimRightFunc(s, unicode.IsSpace)
	return commentOpener.Replace(cutRunes(s, max, keepHead))
}

// prepare bounds s, makes it valid UTF-8 without invisible or control
// characters, and redacts secrets.
func prepare(s string, max int, cut textCut) string {
	// A rune is at most 4 bytes; the margin keeps any secret that starts
	// inside the final max runes whole, so a cut never leaves half a token
	// that the redaction rules no longer recognise (the rules for secrets
	// of no fixed length, key blocks and key=value, match a cut-off one).
	if limit := max*utf8.UTFMax + 1024; len(s) > limit {
		if cut == keepTail {
			s = s[len(s)-limit:]
		} else {
			s = s[:limit]
		}
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	// Control characters become spaces (not nothing) before redaction,
	// so that a line break still ends a secret; zero-width characters
	// go, so that one cannot split a token to hide it from redaction.
	s = strings.Map(cleanRune, s)
	return redact.String(s)
}

// cleanRune maps line breaks, tabs, other control characters and
// bidirectional controls (which make text read differently from what it
// is) to a space, and drops zero-width and other invisible characters.
func cleanRune(r rune) rune {
	switch {
	case r == '\t':
		return ' '
	case unicode.IsControl(r), r == '\u2028', r == '\u2029':
		return ' '
	case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
		return ' '
	case r >= '\u200b' && r <= '\u200f', r >= '\u2060' && r <= '\u2064',
		r == '\ufeff', r == '\u061c', r == '\u180e', r == '\u00ad':
		return -1
	}
	return r
}

// neutralize breaks everything in the title s that GitHub would turn into a
// notification or a link to an issue: @mentions (but not e-mail addresses,
// which GitHub does not link), #123 and GH-123 references, issue URLs of
// github.com and of the hosts given, and HTML comment openers.
func neutralize(s string, hosts []string) string {
	s = breakMentions(s)
	// The substring checks skip the regexps for the common text that has
	// nothing to break.
	if strings.Contains(s, "#") {
		s = issueRefRE.ReplaceAllString(s, "#"+zwsp+"${1}")
	}
	lower := strings.ToLower(s)
	if strings.Contains(lower, "gh-") {
		s = ghRefRE.ReplaceAllString(s, "${1}"+zwsp+"${2}")
	}
	for _, h := range hosts {
		s = breakHost(s, h)
	}
	return commentOpener.Replace(s)
}

// breakHost inserts a zero-width space into every "//HOST" and "www.HOST"
// of s (ASCII case ignored), after the host's first label, so that GitHub
// neither links it nor cross-references the issue it names. A module path
// without a scheme ("github.com/x/y") is no link and stays.
func breakHost(s, host string) string {
	cut := strings.IndexAny(host, ".:")
	if cut <= 0 {
		cut = len(host) - 1
	}
	if cut <= 0 {
		return s
	}
	var b strings.Builder
	lower := asciiLower(s)
	pos := 0
	for i := 0; ; {
		j := strings.Index(lower[i:], host)
		if j < 0 {
			break
		}
		at := i + j
		i = at + len(host)
		if !strings.HasSuffix(lower[:at], "//") && !strings.HasSuffix(lower[:at], "www.") {
			continue
		}
		b.WriteString(s[pos : at+cut])
		b.WriteString(zwsp)
		pos = at + cut
	}
	if pos == 0 {
		return s
	}
	b.WriteString(s[pos:])
	return b.String()
}

// breakMentions inserts a zero-width space after every '@' that GitHub would
// read as a mention: one followed by a letter or digit and not preceded by
// an ASCII word character. That keeps user@example.com as it is.
func breakMentions(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		b.WriteByte(c)
		if c != '@' || i+1 >= len(s) || !isASCIIAlnum(s[i+1]) {
			continue
		}
		if i > 0 && (isASCIIAlnum(s[i-1]) || s[i-1] == '_') {
			continue
		}
		b.WriteString(zwsp)
	}
	return b.String()
}

func isASCIIAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// asciiLower returns s with ASCII letters in lower case, byte for byte, so
// that an index into it is an index into s.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// cutRunes returns s cut to at most max runes, with an ellipsis standing for
// what was cut (the ellipsis counts towards max).
func cutRunes(s string, max int, cut textCut) string {
	if max <= 0 {
		return ""
	}
	n := utf8.RuneCountInString(s)
	if n <= max {
		return s
	}
	if cut == keepTail {
		i := len(s)
		for range max - 1 {
			_, size := utf8.DecodeLastRuneInString(s[:i])
			i -= size
		}
		return ellipsis + s[i:]
	}
	i := 0
	for range max - 1 {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i] + ellipsis
}

// codeSpan returns s, which must already be sanitised (one line), as an
// inline code span whose delimiters are longer than any backtick run
// inside, so it cannot be closed early; a space pads content that starts or
// ends with a backtick, as CommonMark strips it again. It returns "" for "".
func codeSpan(s string) string {
	if s == "" {
		return ""
	}
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// codeBlock returns lines, which must already be sanitised, as a fenced code
// block, each line prefixed by indent (to sit inside a list item). The fence
// is longer than any backtick run in the lines, so no line can close it.
func codeBlock(lines []string, lang, indent string) string {
	n := 2
	for _, l := range lines {
		n = max(n, longestRun(l, '`'))
	}
	fence := strings.Repeat("`", n+1)
	var b strings.Builder
	b.WriteString(indent + fence + lang + "\n")
	for _, l := range lines {
		b.WriteString(indent + l + "\n")
	}
	b.WriteString(indent + fence + "\n")
	return b.String()
}

// longestRun returns the length of the longest run of c in s.
func longestRun(s string, c byte) int {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}
