package github

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Every string of an alert came from a webhook, so it is untrusted: the
// event's message, breadcrumbs and even file names are whatever the crashing
// program (or whoever drives it) put there. One sanitiser treats all of it,
// wherever it lands in an issue, in this order:
//
//  1. keep a bounded prefix (or suffix), so a huge field costs nothing;
//  2. make it valid UTF-8 and turn control characters into spaces;
//  3. redact secrets, before anything can split or escape them;
//  4. cut to the field's length on a rune boundary;
//  5. neutralise GitHub's side effects: mentions, issue references,
//     cross-reference URLs and HTML comment openers.
//
// The result is plain text. Markdown escaping (inline text) or a code span or
// fence (code) is applied last by the renderer, because only it knows where
// the text goes.

// zwsp is the zero-width space booty inserts to break a mention or reference
// while leaving the text readable.
const zwsp = "\u200b"

// redactedText replaces every secret.
const redactedText = "[redacted]"

// secretRule is one redaction: matches of re are replaced by repl (which may
// refer to submatches to keep a key name or URL scheme). A rule runs only on
// text whose lower-case form holds one of its needles: most text holds no
// secret, and a substring search is far cheaper than a regexp.
type secretRule struct {
	needles []string
	re      *regexp.Regexp
	repl    string
}

// secretRules are compiled once and never changed.
var secretRules = []secretRule{
	// A private key block, or the start of one that was cut off.
	{[]string{"private key"}, regexp.MustCompile(`-----BEGIN[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----(?s:.*?)(-----END[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|\z)`), redactedText},
	// Credentials in a URL: scheme://user:pass@host keeps scheme and host.
	{[]string{"://"}, regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.-]{0,31}://)[^/?#\s@]+@`), "${1}" + redactedText + "@"},
	// An Authorization header value, quoted or up to two words ("Bearer x").
	{[]string{"authorization"}, regexp.MustCompile(`(?i)\b((?:proxy-)?authorization)(["']?\s*[:=]\s*)(?:"[^"]*"|'[^']*'|[^\s,;"']+(?:[ \t]+[^\s,;"']+)?)`), "${1}${2}" + redactedText},
	{[]string{"bearer"}, regexp.MustCompile(`(?i)\b(bearer)\s+[A-Za-z0-9\-._~+/]{8,}=*`), "${1} " + redactedText},
	// key=value and "key": "value" where the key ends in a secret's name
	// (access_token, client_secret, x-api-key, DB_PASSWORD): the match
	// starts at the name, so whatever precedes it stays.
	{[]string{"pass", "pwd", "secret", "token", "key"}, regexp.MustCompile(`(?i)(password|passwd|passphrase|pwd|secret|token|api[_-]?key|private[_-]?key)(["']?\s*[:=]\s*)(?:"[^"]*"|'[^']*'|[^\s&,;"'<>]+)`), "${1}${2}" + redactedText},
	// Well-known token shapes, wherever they stand, even glued to other
	// text (no \b): their prefixes are distinctive enough.
	{[]string{"gh", "github_pat_"}, regexp.MustCompile(`(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})`), redactedText},
	{[]string{"xox"}, regexp.MustCompile(`xox[baprs]-[A-Za-z0-9-]{10,}`), redactedText},
	{[]string{"akia", "asia"}, regexp.MustCompile(`(?:AKIA|ASIA)[0-9A-Z]{16}`), redactedText},
	{[]string{"eyj"}, regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+`), redactedText},
}

// Neutralising rules, compiled once and never changed. The zero-width space
// goes after the character GitHub keys on, so the text still reads the same.
var (
	// #12, owner/repo#12, fixes #12: a reference needs '#' right before a digit.
	issueRefRE = regexp.MustCompile(`#([0-9])`)
	// GH-12 is GitHub's other reference form.
	ghRefRE = regexp.MustCompile(`(?i)(gh-)([0-9])`)
	// A github.com URL to an issue or pull request becomes a cross-reference
	// (and with "fixes" closes it); breaking the host stops the autolink.
	// Module paths without a scheme ("github.com/x/y") are not links and stay.
	githubURLRE = regexp.MustCompile(`(?i)(//|\bwww\.)(github)(\.com)`)
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

// sanitizeText returns s as one line of at most max runes: secrets redacted,
// runs of white space collapsed, mentions and references broken. It does not
// escape markdown; the caller decides whether the text goes inline (escape),
// into a code span, or into a title.
func sanitizeText(s string, max int, cut textCut) string {
	return neutralize(cleanText(s, max, cut))
}

// cleanText is sanitizeText without neutralize, for text that is joined
// with more text (a title) and neutralised as a whole afterwards, since
// cutting a text can leave a bare '@' or '#' at its edge.
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
	return neutralize(cutRunes(s, max, keepHead))
}

// prepare bounds s, makes it valid UTF-8 without control characters, and
// redacts secrets.
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
	// Control characters become spaces (not nothing) before redaction, so
	// removing them can neither hide a secret from the rules nor join two
	// harmless pieces into a mention.
	s = strings.Map(controlToSpace, s)
	return redact(s)
}

// controlToSpace maps line breaks, tabs, other control characters and
// bidirectional overrides (which can make text read differently from what
// it is) to a space.
func controlToSpace(r rune) rune {
	switch {
	case r == '\t':
		return ' '
	case unicode.IsControl(r), r == '\u2028', r == '\u2029':
		return ' '
	case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
		return ' '
	}
	return r
}

// redact replaces secrets in s by [redacted].
func redact(s string) string {
	lower := strings.ToLower(s)
	for _, r := range secretRules {
		if !containsAny(lower, r.needles) {
			continue
		}
		s = r.re.ReplaceAllString(s, r.repl)
		lower = strings.ToLower(s)
	}
	return s
}

func containsAny(s string, needles []string) bool {
	for _, n := range needles {
		if strings.Contains(s, n) {
			return true
		}
	}
	return false
}

// neutralize breaks everything in s that GitHub would turn into a
// notification or a link to an issue: @mentions (but not e-mail addresses,
// which GitHub does not link), #123 and GH-123 references, issue URLs of
// github.com, and HTML comment openers.
func neutralize(s string) string {
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
	if strings.Contains(lower, "github") {
		s = githubURLRE.ReplaceAllString(s, "${1}${2}"+zwsp+"${3}")
	}
	return commentOpener.Replace(s)
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

// inlineEscaper escapes what could turn inline text into HTML, a link or an
// image, a code span, or emphasis that runs into booty's own bold labels.
// Escaping '[' and ']' is enough to stop links and images: "(", ")" and "!"
// are left alone because they are common in messages and harmless without
// brackets.
var inlineEscaper = strings.NewReplacer(
	`\`, `\\`,
	"`", "\\`",
	`*`, `\*`,
	`[`, `\[`,
	`]`, `\]`,
	`&`, `&amp;`,
	`<`, `&lt;`,
	`>`, `&gt;`,
)

// inlineText returns untrusted s as markdown for a line of prose.
func inlineText(s string, max int) string {
	return inlineEscaper.Replace(sanitizeText(s, max, keepHead))
}

// codeSpan returns s, which must already be sanitised, as an inline code
// span whose delimiters are longer than any backtick run inside, so it
// cannot be closed early. It returns "" for "".
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
