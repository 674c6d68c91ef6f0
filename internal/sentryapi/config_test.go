package sentryapi

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestNewValidatesTheBaseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    string // the issue URL for org "acme", issue 1; "" for an error
		wantErr string
	}{
		{"", "https://sentry.io/api/0/organizations/acme/issues/1/", ""},
		{"https://sentry.io", "https://sentry.io/api/0/organizations/acme/issues/1/", ""},
		{"https://sentry.io/", "https://sentry.io/api/0/organizations/acme/issues/1/", ""},
		{"https://sentry.io//", "https://sentry.io/api/0/organizations/acme/issues/1/", ""},
		{" https://sentry.io/ ", "https://sentry.io/api/0/organizations/acme/issues/1/", ""},
		{"https://sentry.io/api/0/", "https://sentry.io/api/0/organizations/acme/issues/1/", ""},
		{"https://sentry.io/api/0", "https://sentry.io/api/0/organizations/acme/issues/1/", ""},
		{"https://de.sentry.io/", "https://de.sentry.io/api/0/organizations/acme/issues/1/", ""},
		{"https://sentry.example.com:8443/sentry", "https://sentry.example.com:8443/sentry/api/0/organizations/acme/issues/1/", ""},
		{"http://localhost:9000/", "http://localhost:9000/api/0/organizations/acme/issues/1/", ""},
		{"http://127.0.0.1:9000", "http://127.0.0.1:9000/api/0/organizations/acme/issues/1/", ""},
		{"http://[::1]:9000/", "http://[::1]:9000/api/0/organizations/acme/issues/1/", ""},
		{"http://sentry.example.com/", "", "must use https"},
		{"http://10.0.0.1/", "", "must use https"},
		{"ftp://sentry.example.com/", "", "must be an https URL"},
		{"sentry.io", "", "no host"},
		{"https://", "", "no host"},
		{"https://user:pass@sentry.io/", "", "must not hold credentials"},
		{"https://sentry.io/?org=x", "", "query or fragment"},
		{"https://sentry.io/#x", "", "query or fragment"},
		{"https://sentry.io/%zz", "", "not a URL"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			c, err := New(Config{BaseURL: tt.in, Org: "acme", Token: "tok"})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrConfig) {
					t.Fatalf("New(%q): %v, want an ErrConfig with %q", tt.in, err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "pass") {
					t.Errorf("error %q holds the URL's password", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("New(%q): %v", tt.in, err)
			}
			if got := c.issueURL("1"); got != tt.want {
				t.Errorf("issue URL %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNewValidatesOrgAndToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, org, token string
		wantErr          string
	}{
		{"slug", "acme-corp_2", "tok", ""},
		{"numeric id", "1234567", "tok", ""},
		{"longest slug", strings.Repeat("a", 50), "tok", ""},
		{"empty org", "", "tok", "organization slug is empty"},
		{"long org", strings.Repeat("a", 51), "tok", "longer than 50"},
		{"upper case", "Acme", "tok", "may hold only"},
		{"slash", "acme/../x", "tok", "may hold only"},
		{"space", "ac me", "tok", "may hold only"},
		{"empty token", "acme", "", "token is empty"},
		{"token with newline", "acme", "sntrys_abc\n", "token holds"},
		{"token with space", "acme", "Bearer abc", "token holds"},
		{"token non-ASCII", "acme", "sntrys_é", "token holds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(Config{Org: tt.org, Token: tt.token})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrConfig) {
				t.Fatalf("New: %v, want an ErrConfig with %q", err, tt.wantErr)
			}
			if tt.token != "" && strings.Contains(err.Error(), strings.TrimSpace(tt.token)) {
				t.Errorf("error %q holds the token", err)
			}
		})
	}
}

func TestConfigPrintsNoToken(t *testing.T) {
	t.Parallel()
	const token = "sntrys_do_not_print_me"
	cfg := Config{Org: "acme", Token: token}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		fmt.Sprint(cfg), fmt.Sprintf("%v", cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), cfg.String(),
		fmt.Sprint(c), fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c),
	} {
		if strings.Contains(s, token) {
			t.Errorf("%q holds the token", s)
		}
	}
	if got := fmt.Sprint(cfg); !strings.Contains(got, "Token: set") {
		t.Errorf("Config prints %q, want it to say the token is set", got)
	}
}
