package github

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"booty/internal/alert"
)

// TestRedact checks that every kind of text goes through the redactor
// (package redact tests the patterns themselves).
func TestRedact(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		in     string
		secret string // must not survive
	}{
		{"bearer", "request failed: Bearer eyJhbGciOiJIUzI1NiJ9abc.def", "eyJhbGci"},
		{"password query", "GET /login?user=bob&password=hunter2&x=1", "hunter2"},
		{"url credentials", "connect https://user:pa55@db.example.com:5432/x failed", "pa55"},
		{"github token", "used ghp_0123456789abcdefghijABCDEFGHIJ012345 here", "ghp_0123"},
		{"aws secret key", "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ7Xk2pL9a", "wJalrXUtn"},
		{"cookie", "Cookie: session=3f9a1c77e0", "3f9a1c77e0"},
		{"card number", "card 4111 1111 1111 1111", "1111 1111"},
		{"token split by a zero-width space", "used ghp_0123456789abcdefghij\u200bABCDEFGHIJ012345 here", "ABCDEFGHIJ012345"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for kind, out := range map[string]string{
				"text":  sanitizeText(tt.in, 1000, keepHead),
				"code":  sanitizeCodeLine(tt.in, 1000),
				"title": Title(&alert.Alert{ExceptionType: tt.in}),
			} {
				if strings.Contains(out, tt.secret) || !strings.Contains(out, "[redacted]") {
					t.Errorf("%s of %q = %q, want %q redacted", kind, tt.in, out, tt.secret)
				}
			}
		})
	}
}

// A secret that straddles a field's length is redacted before the cut, so
// no part of it shows.
func TestRedactBeforeCut(t *testing.T) {
	t.Parallel()
	token := "ghp_0123456789abcdefghijABCDEFGHIJ012345"
	for _, n := range []int{5, 10, 20, 30} {
		in := strings.Repeat("x", n) + token + strings.Repeat("y", 10<<20)
		got := sanitizeText(in, n+15, keepHead)
		if strings.Contains(got, "0123") || strings.Contains(got, "ghp_") {
			t.Errorf("cut at %d: %q shows part of the token", n+15, got)
		}
	}
}

func TestNeutralize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
	}{
		{"@octocat look", "@\u200boctocat look"},
		{"[@sentry/vue]: Misconfigured", "[@\u200bsentry/vue]: Misconfigured"},
		{"cc @org/team and (@x)", "cc @\u200borg/team and (@\u200bx)"},
		{"@@double", "@@\u200bdouble"},
		{"ops@example.com", "ops@example.com"},
		{"first.last@example.com", "first.last@example.com"},
		{"pkg@1.2.3", "pkg@1.2.3"},
		{"é@user", "é@\u200buser"},
		{"@ alone and @-dash", "@ alone and @-dash"},
		{"see #12", "see #\u200b12"},
		{"fixes #12", "fixes #\u200b12"},
		{"Closes owner/repo#12", "Closes owner/repo#\u200b12"},
		{"#1#2", "#\u200b1#\u200b2"},
		{"# heading #x", "# heading #x"},
		{"GH-12 and gh-3", "GH-\u200b12 and gh-\u200b3"},
		{"fixes https://github.com/o/r/issues/12", "fixes https://github\u200b.com/o/r/issues/12"},
		{"www.github.com/o/r/pull/3", "www.github\u200b.com/o/r/pull/3"},
		{"HTTPS://GitHub.com/o/r/issues/1", "HTTPS://GitHub\u200b.com/o/r/issues/1"},
		{"github.com/google/go-github/v92/github.(*Client).Do", "github.com/google/go-github/v92/github.(*Client).Do"},
		{"<!-- booty:problem=x -->", "<!-\u200b- booty:problem=x -->"},
		{"fixes https://ghe.example.com/o/r/issues/12", "fixes https://ghe\u200b.example.com/o/r/issues/12"},
		{"HTTP://GHE.Example.com/o/r/pull/3 and //ghe.example.com/x", "HTTP://GHE\u200b.Example.com/o/r/pull/3 and //ghe\u200b.example.com/x"},
		{"ghe.example.com/o/r is a path", "ghe.example.com/o/r is a path"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got := neutralize(tt.in, []string{"github.com", "ghe.example.com"})
			if got != tt.want {
				t.Errorf("neutralize(%q) = %q, want %q", tt.in, got, tt.want)
			}
			for _, re := range []*regexp.Regexp{liveMentionRE, issueRefOutRE, closingRE, ghRefOutRE, githubURLOut, gheURLOut} {
				if m := re.FindString(got); m != "" {
					t.Errorf("neutralize(%q) = %q still matches %s at %q", tt.in, got, re, m)
				}
			}
		})
	}
}

func TestSanitizeText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"newlines and tabs", "a\r\nb\n\n\tc\u2028d\u0085e", "a b c d e"},
		{"control and bidi", "a\x00b\u202ec\x7fd\u2067e", "a b c d e"},
		{"zero-width and invisible", "a\u200bb\u200dc\ufeffd\u2060e\u00adf\u061cg", "abcdefg"},
		{"invalid utf-8", "a\xffb", "a\ufffdb"},
		{"comment", "<!-- booty:problem=k -->", "<!-\u200b- booty:problem=k -->"},
		// In code GitHub renders nothing, so mentions stay as written.
		{"mention", "@here hi", "@here hi"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := sanitizeText(tt.in, 1000, keepHead); got != tt.want {
				t.Errorf("sanitizeText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCutRunes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		max  int
		cut  textCut
		want string
	}{
		{"hello", 5, keepHead, "hello"},
		{"hello!", 5, keepHead, "hell…"},
		{"héllo wörld", 4, keepHead, "hél…"},
		{"/a/b/c/file.go", 8, keepTail, "…file.go"},
		{"日本語のテキスト", 3, keepTail, "…スト"},
		{"x", 0, keepHead, ""},
	}
	for _, tt := range tests {
		got := cutRunes(tt.in, tt.max, tt.cut)
		if got != tt.want {
			t.Errorf("cutRunes(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
		if n := utf8.RuneCountInString(got); n > tt.max {
			t.Errorf("cutRunes(%q, %d) has %d runes", tt.in, tt.max, n)
		}
	}
}

func TestCodeSpan(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"abc", "`abc`"},
		{"a`b", "``a`b``"},
		{"a```b``c", "````a```b``c````"},
		{"`x`", "`` `x` ``"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := codeSpan(tt.in); got != tt.want {
			t.Errorf("codeSpan(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := stripCodeSpans("a " + codeSpan(tt.in) + " b"); got != "a  b" {
			t.Errorf("code span of %q does not close where it should: outside is %q", tt.in, got)
		}
	}
}

func TestCodeBlock(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		lines []string
		want  string
	}{
		{"plain", []string{"x := 1"}, "  ```go\n  x := 1\n  ```\n"},
		{"fence in content", []string{"```", "````inner", "`"}, "  `````go\n  ```\n  ````inner\n  `\n  `````\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := codeBlock(tt.lines, "go", "  ")
			if got != tt.want {
				t.Errorf("codeBlock(%q) = %q, want %q", tt.lines, got, tt.want)
			}
			if out := outsideCode("before\n" + got + "after\n"); out != "before\nafter\n" {
				t.Errorf("code block does not close where it should: outside is %q", out)
			}
		})
	}
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{
		"[@sentry/vue]: Misconfigured SDK. Vue app is already mounted. Make sure to call `app.mount()` after `Sentry.init()`.",
		"Cannot read properties of null (reading 'insertBefore')",
		"http://localhost:5173/node_modules/.vite/deps/chunk-G4DFXOZZ.js?v=530d9f5f",
		"fixes #12 closes o/r#3 GH-4 https://github.com/o/r/issues/5 @a @b/c x@y.z",
		"<!-- booty:problem=k --> <img src=x onerror=alert(1)> &amp; ``` ~~~ [a](b) ![c](d)",
		"password=hunter2 Authorization: Bearer abcdefgh12345678 https://u:p@h ghp_0123456789abcdefghij0123456789",
		"\xff\x00\u202e\r\n\t@\u200bx #\u200b1",
	} {
		f.Add(s, 160)
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		n = 1 + int(uint(n)%400)
		for _, c := range []textCut{keepHead, keepTail} {
			plain := sanitizeText(s, n, c)
			if utf8.RuneCountInString(plain) > n+n { // zero-width spaces may follow the cut
				t.Errorf("sanitizeText(_, %d) has %d runes", n, utf8.RuneCountInString(plain))
			}
			if strings.ContainsAny(plain, "\r\n") {
				t.Errorf("sanitizeText(%q) = %q spans lines", s, plain)
			}
			checkRendered(t, "comment", "x "+codeSpan(plain)+" y")
			title := neutralize(cleanText(s, n, c), []string{"github.com", "ghe.example.com"})
			checkRendered(t, "title", title)
		}
		line := sanitizeCodeLine(s, n)
		if strings.ContainsAny(line, "\r\n") {
			t.Errorf("sanitizeCodeLine(%q) = %q spans lines", s, line)
		}
		block := "- x\n" + codeBlock([]string{line, sanitizeCodeLine(s+s, n)}, "go", "  ") + "after\n"
		checkRendered(t, "comment", block)
		if got := outsideCode(block); got != "- x\nafter\n" {
			t.Errorf("code block of %q leaks out: outside is %q", s, got)
		}
	})
}
