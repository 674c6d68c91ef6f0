package github

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestRedact(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		in     string
		want   string
		secret string // must not survive
	}{
		{"bearer", "request failed: Bearer eyJhbGciOiJIUzI1NiJ9abc.def", "request failed: Bearer [redacted]", "eyJhbGci"},
		{"authorization header", "Authorization: Basic dXNlcjpwYXNz sent", "Authorization: [redacted] sent", "dXNlcjpwYXNz"},
		{"authorization json", `{"authorization": "token s3cr3t value"}`, `{"authorization": [redacted]}`, "s3cr3t"},
		{"password query", "GET /login?user=bob&password=hunter2&x=1", "GET /login?user=bob&password=[redacted]&x=1", "hunter2"},
		{"passwd", "passwd=hunter2", "passwd=[redacted]", "hunter2"},
		{"pwd", "pwd: hunter2", "pwd: [redacted]", "hunter2"},
		{"token", "token=abc123def", "token=[redacted]", "abc123def"},
		{"access_token", "https://api.example.com/cb?access_token=ya29.a0Af&state=1", "https://api.example.com/cb?access_token=[redacted]&state=1", "ya29"},
		{"secret", "client_secret='shh it is'", "client_secret=[redacted]", "shh"},
		{"api_key", `{"api_key":"AIzaSyD-1234"}`, `{"api_key":[redacted]}`, "AIzaSyD"},
		{"apikey", "apikey=k-123", "apikey=[redacted]", "k-123"},
		{"x-api-key header", "X-Api-Key: 0f9e8d7c", "X-Api-Key: [redacted]", "0f9e8d7c"},
		{"url credentials", "connect https://user:pa55@db.example.com:5432/x failed", "connect https://[redacted]@\u200bdb.example.com:5432/x failed", "pa55"},
		{"postgres dsn", "postgres://booty:s3cret@localhost/booty", "postgres://[redacted]@\u200blocalhost/booty", "s3cret"},
		{"github classic token", "used ghp_0123456789abcdefghijABCDEFGHIJ012345 here", "used [redacted] here", "ghp_0123"},
		{"github oauth token", "gho_0123456789abcdefghijABCDEFGHIJ012345", "[redacted]", "gho_0123"},
		{"github fine-grained token", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "[redacted]", "github_pat_"},
		{"slack token", "xoxb-123456789012-abcdefABCDEF", "[redacted]", "xoxb-"},
		{"aws access key", "key AKIAIOSFODNN7EXAMPLE used", "key [redacted] used", "AKIAIOSFODNN7EXAMPLE"},
		{"jwt", "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.c2lnbmF0dXJl", "jwt [redacted]", "eyJzdWIi"},
		{"private key block", "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAK\n-----END RSA PRIVATE KEY----- after", "[redacted] after", "MIIEow"},
		{"cut private key block", "-----BEGIN OPENSSH PRIVATE KEY----- b3BlbnNzaC1r", "[redacted]", "b3BlbnNzaC1r"},
		{"plain prose stays", "user 42 could not log in: token expired", "user 42 could not log in: token expired", ""},
		{"email stays", "mail to ops@example.com failed", "mail to ops@example.com failed", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := sanitizeText(tt.in, 1000, keepHead)
			// sanitizeText also neutralises: "[redacted]@host" would
			// mention the host, so the wants show the broken mention.
			if want := strings.Join(strings.Fields(tt.want), " "); got != want {
				t.Errorf("sanitizeText(%q) = %q, want %q", tt.in, got, want)
			}
			if tt.secret != "" && strings.Contains(got, tt.secret) {
				t.Errorf("sanitizeText(%q) = %q still holds %q", tt.in, got, tt.secret)
			}
			// The same rules hold in code, inline text and titles.
			for _, out := range []string{sanitizeCodeLine(tt.in, 1000), inlineText(tt.in, 1000)} {
				if tt.secret != "" && strings.Contains(out, tt.secret) {
					t.Errorf("rendered %q still holds %q", out, tt.secret)
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
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got := neutralize(tt.in)
			if got != tt.want {
				t.Errorf("neutralize(%q) = %q, want %q", tt.in, got, tt.want)
			}
			for _, re := range []*regexp.Regexp{liveMentionRE, issueRefOutRE, closingRE, ghRefOutRE, githubURLOut} {
				if m := re.FindString(got); m != "" {
					t.Errorf("neutralize(%q) = %q still matches %s at %q", tt.in, got, re, m)
				}
			}
		})
	}
}

func TestInlineText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"html", "<script>alert(1)</script> & co", "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"},
		{"entity stays literal", "&amp; &#35;12", "&amp;amp; &amp;#\u200b35;12"},
		{"link", "[click](https://e.vil)", "\\[click\\](https://e.vil)"},
		{"image", "![x](https://e.vil/p.png)", "!\\[x\\](https://e.vil/p.png)"},
		{"code span", "call `f()` now", "call \\`f()\\` now"},
		{"emphasis and backslash", `**bold** C:\path\`, `\*\*bold\*\* C:\\path\\`},
		{"newlines and tabs", "a\r\nb\n\n\tc\u2028d\u0085e", "a b c d e"},
		{"control and bidi", "a\x00b\u202ec\x7fd", "a b c d"},
		{"invalid utf-8", "a\xffb", "a\ufffdb"},
		{"heading and quote at start", "# x\n> y", "# x &gt; y"},
		{"comment", "<!-- booty:problem=k -->", "&lt;!-\u200b- booty:problem=k --&gt;"},
		{"mention", "@here hi", "@\u200bhere hi"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := inlineText(tt.in, 1000); got != tt.want {
				t.Errorf("inlineText(%q) = %q, want %q", tt.in, got, tt.want)
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
			checkRendered(t, "title", plain)
			checkRendered(t, "comment", "x "+inlineText(s, n)+" "+codeSpan(plain)+" y")
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
