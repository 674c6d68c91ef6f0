package redact_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"booty/internal/fixture"
	"booty/internal/redact"
)

// Fake secrets of the right shape. None is real; each matches its rule.
const (
	awsKeyID     = "AKIAZ2X3C4V5B6N7M2QW"
	awsSecretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ7Xk2pL9a"
	githubPAT    = "ghp_0123456789abcdefghijABCDEFGHIJ012345"
	stripeLive   = "sk_live_51FakeKeyForTests0123456789abcd"
	stripeRLive  = "rk_live_51FakeKeyForTests0123456789abcd"
	googleKey    = "AIzaSyD-FakeKey_0123456789abcdefghijklm"
	npmToken     = "npm_Fak3NpmT0kenForTests0123456789abcdef"
	gitlabPAT    = "glpat-Fak3GitLabT0ken-1234"
	slackHook    = "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
)

// longValue is a 400-character secret value.
var longValue = strings.Repeat("Zm9vYmFyQmF6UXV4", 25)

func TestString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		in     string
		want   string
		secret string // must not survive; "" when nothing is secret
	}{
		// The gaps of issue 7.10, one case each.
		{"aws secret access key assignment", "aws_secret_access_key=" + awsSecretKey + " region=eu-west-1", "aws_secret_access_key=[redacted] region=eu-west-1", awsSecretKey},
		{"aws secret key after its key id", "creds " + awsKeyID + " " + awsSecretKey + " loaded", "creds [redacted] [redacted] loaded", awsSecretKey},
		{"aws key pair in csv", awsKeyID + "," + awsSecretKey, "[redacted],[redacted]", awsSecretKey},
		{"cookie header", "Cookie: session=3f9a1c77e0; theme=dark", "Cookie: [redacted]", "3f9a1c77e0"},
		{"set-cookie header", "Set-Cookie: sid=Zm9vYmFy42; Path=/; HttpOnly", "Set-Cookie: [redacted]", "Zm9vYmFy42"},
		{"cookie in json", `{"Cookie":"sid=Zm9vYmFy42","Host":"shop.example"}`, `{"Cookie":[redacted],"Host":"shop.example"}`, "Zm9vYmFy42"},
		{"access_key", "GET /export?access_key=Q7fZ2mK9pL&fmt=csv", "GET /export?access_key=[redacted]&fmt=csv", "Q7fZ2mK9pL"},
		{"stripe live secret key", "stripe: " + stripeLive + " rejected", "stripe: [redacted] rejected", stripeLive},
		{"stripe live restricted key", "key " + stripeRLive, "key [redacted]", stripeRLive},
		{"google api key", "maps?key=" + googleKey + "&q=x", "maps?key=[redacted]&q=x", googleKey},
		{"google api key bare", "using " + googleKey + " now", "using [redacted] now", googleKey},
		{"npm token", "//registry.npmjs.org/:_authToken " + npmToken, "//registry.npmjs.org/:_authToken [redacted]", npmToken},
		{"gitlab pat", "clone with " + gitlabPAT + " failed", "clone with [redacted] failed", gitlabPAT},
		{"slack webhook url", "post to " + slackHook + " timed out", "post to [redacted] timed out", "XXXXXXXXXXXXXXXXXXXXXXXX"},
		{"card number", "charge 4111111111111111 declined", "charge [redacted] declined", "4111111111111111"},
		{"card number with spaces", "card 4111 1111 1111 1111 exp 12/30", "card [redacted] exp 12/30", "1111 1111 1111"},
		{"card number with dashes", "mc 5555-5555-5555-4444.", "mc [redacted].", "5555-5555-5555-4444"},
		{"amex", "amex 378282246310005", "amex [redacted]", "378282246310005"},
		{"us ssn", "ssn 123-45-6789 on file", "ssn [redacted] on file", "123-45-6789"},

		// What booty already redacted, now from the same rules.
		{"bearer", "request failed: Bearer eyJhbGciOiJIUzI1NiJ9abc.def", "request failed: Bearer [redacted]", "eyJhbGci"},
		{"authorization header", "Authorization: Basic dXNlcjpwYXNz sent", "Authorization: [redacted] sent", "dXNlcjpwYXNz"},
		{"proxy authorization", "Proxy-Authorization: Basic dXNlcjpwYXNz", "Proxy-Authorization: [redacted]", "dXNlcjpwYXNz"},
		{"client secret quoted", "client_secret='shh it is' next", "client_secret=[redacted] next", "shh"},
		{"x-api-key header", "X-Api-Key: 0f9e8d7c", "X-Api-Key: [redacted]", "0f9e8d7c"},
		{"json api key", `{"api_key":"k-12345"}`, `{"api_key":[redacted]}`, "k-12345"},
		// Longer than one anchored attempt looks at: the whole value goes.
		{"long generic value", "deploy_token = " + longValue + " ok", "deploy_token = [redacted] ok", longValue[250:]},
		{"password query", "GET /login?user=bob&password=hunter2&x=1", "GET /login?user=bob&password=[redacted]&x=1", "hunter2"},
		{"url credentials", "connect postgres://booty:s3cret@db.example.com/x failed", "connect postgres://[redacted]@db.example.com/x failed", "s3cret"},
		{"github token", "used " + githubPAT + " here", "used [redacted] here", githubPAT},
		{"private key block", "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAK\n-----END RSA PRIVATE KEY----- after", "[redacted] after", "MIIEow"},
		{"cut private key block", "-----BEGIN OPENSSH PRIVATE KEY----- b3BlbnNzaC1r", "[redacted]", "b3BlbnNzaC1r"},
		{"hmac signature", "signature a3f9c2e1d4b5a6978877665544332211aabbccddeeff00112233445566778899 wrong", "signature [redacted] wrong", "a3f9c2e1"},

		// What is not a secret stays as it is.
		{"prose", "user 42 could not log in: token expired", "", ""},
		{"email", "mail to ops@example.com failed", "", ""},
		{"luhn-invalid digits", "order 4111111111111112 failed", "", ""},
		{"epoch milliseconds", "at 1685358510768 and 1685358510769", "", ""},
		{"date", "on 2023-05-29 at 11:08", "", ""},
		{"ssn out of range", "ids 000-12-3456 666-12-3456 900-12-3456", "", ""},
		{"image digest", "pull sha256:a3f9c2e1d4b5a6978877665544332211aabbccddeeff00112233445566778899", "", ""},
		{"commit", "release 9f2c1e7a5b3d4c6e8f0a1b2c3d4e5f6a7b8c9d0e", "", ""},
		{"event id", "event 0123456789abcdef0123456789abcdef stays", "", ""},
		{"aws example key id", "AKIAIOSFODNN7EXAMPLE is the documented example", "", ""},
		{"minified code", `{snip} e){i._raw("error",e&&e.stack?e.stack:a+" (line "+c+")")},c.write(f)`, "", ""},
		{"empty", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			want := tt.want
			if want == "" {
				want = tt.in
			}
			got := redact.String(tt.in)
			if got != want {
				t.Errorf("String(%q)\n got %q\nwant %q", tt.in, got, want)
			}
			if tt.secret != "" && strings.Contains(got, tt.secret) {
				t.Errorf("String(%q) = %q still holds %q", tt.in, got, tt.secret)
			}
		})
	}
}

func TestRedactorSecrets(t *testing.T) {
	t.Parallel()
	r := redact.New("whsec-SECRET-1f2e3d", "", "  ", "short1", "short1-longer", "whsec-SECRET-1f2e3d")
	tests := []struct{ in, want string }{
		{"nothing here", "nothing here"},
		{"x whsec-SECRET-1f2e3d y", "x [redacted] y"},
		{"short1-longer and short1", "[redacted] and [redacted]"},
		{"short1short1", "[redacted]"},
		{"token " + githubPAT + " and short1", "token [redacted] and [redacted]"},
	}
	for _, tt := range tests {
		if got := r.String(tt.in); got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := redact.String("x short1 y"); got != "x short1 y" {
		t.Errorf("the package's String knows a Redactor's secrets: %q", got)
	}
}

// TestNoAllocationWithoutSecret holds the promise intake relies on: text
// without a secret comes back as it is, and costs no allocation.
func TestNoAllocationWithoutSecret(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector empties sync.Pool, which regexp relies on")
	}
	redact.String("") // compile the rules first
	plain := "TypeError: Cannot read properties of null (reading 'insertBefore')"
	for _, s := range append(fixtureStrings(t), plain) {
		if redact.String(s) != s {
			continue // it holds a secret: no case for this test
		}
		if n := testing.AllocsPerRun(10, func() { redact.String(s) }); n != 0 {
			t.Errorf("String(%.60q) made %v allocations, want 0", s, n)
		}
	}
}

// fixtureStrings returns every string of every Sentry payload in the
// repository's testdata: the text booty redacts on each webhook.
func fixtureStrings(tb testing.TB) []string {
	tb.Helper()
	names, err := filepath.Glob(filepath.Join(fixture.Dir(), "*.json"))
	if err != nil || len(names) == 0 {
		tb.Fatalf("no fixtures in %s: %v", fixture.Dir(), err)
	}
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for k, e := range x {
				out = append(out, k)
				walk(e)
			}
		}
	}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			tb.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			tb.Fatalf("%s: %v", n, err)
		}
		walk(v)
	}
	return out
}

// TestFixturesKeepTheirText checks that the real payloads, which hold no
// secret, come through unchanged: the rules do not eat ordinary text.
func TestFixturesKeepTheirText(t *testing.T) {
	t.Parallel()
	changed := 0
	for _, s := range fixtureStrings(t) {
		if got := redact.String(s); got != s {
			changed++
			t.Logf("changed: %.120q → %.120q", s, got)
		}
	}
	if changed > 0 {
		t.Errorf("%d fixture strings changed, want none", changed)
	}
}

func FuzzString(f *testing.F) {
	for _, s := range []string{
		"aws_secret_access_key=" + awsSecretKey, awsKeyID + " " + awsSecretKey, "Cookie: a=b; c=d",
		"Set-Cookie: sid=1", "access_key=x", stripeLive, googleKey, npmToken, gitlabPAT, slackHook,
		"4111 1111 1111 1111", "123-45-6789", "password=hunter2 Authorization: Bearer abcdefgh12345678",
		"-----BEGIN RSA PRIVATE KEY-----", "https://u:p@h", "\xff\x00\u202e", "",
	} {
		f.Add(s, "x")
	}
	r := redact.New("s3cr3t-value-Q9")
	f.Fuzz(func(t *testing.T, a, b string) {
		in := a + " " + githubPAT + " " + b + " s3cr3t-value-Q9 " + a
		got := r.String(in)
		if strings.Contains(got, githubPAT) {
			t.Errorf("String(%q) kept the GitHub token: %q", in, got)
		}
		if strings.Contains(got, "s3cr3t-value-Q9") {
			t.Errorf("String(%q) kept the configured secret: %q", in, got)
		}
		if utf8.ValidString(in) && !utf8.ValidString(got) {
			t.Errorf("String(%q) = %q is not valid UTF-8", in, got)
		}
		plain := redact.String(a)
		if plain != a && !strings.Contains(plain, redact.Replacement) {
			t.Errorf("String(%q) = %q changed text without redacting", a, plain)
		}
	})
}

// BenchmarkStringWorst runs the redactor over long text full of the words
// that make the costliest rules run: what one hostile field costs.
func BenchmarkStringWorst(b *testing.B) {
	redact.String("")
	for _, n := range []int{8 << 10, 1 << 20} {
		s := strings.Repeat("api key auth token=short access ", n/32)[:n]
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			b.SetBytes(int64(n))
			for b.Loop() {
				_ = redact.String(s)
			}
		})
	}
}

// BenchmarkString runs the redactor over every string of the Sentry
// fixtures, beside a baseline that only looks for one word in each: what
// the cheapest possible check costs on the same text.
func BenchmarkString(b *testing.B) {
	strs := fixtureStrings(b)
	redact.String("") // compile the rules outside the timing
	bytes := 0
	for _, s := range strs {
		bytes += len(s)
	}
	b.Run("baseline-contains", func(b *testing.B) {
		b.SetBytes(int64(bytes))
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			for _, s := range strs {
				if strings.Contains(s, "token") {
					n++
				}
			}
		}
		_ = n
	})
	b.Run("redact", func(b *testing.B) {
		b.SetBytes(int64(bytes))
		b.ReportAllocs()
		for b.Loop() {
			for _, s := range strs {
				_ = redact.String(s)
			}
		}
	})
}
