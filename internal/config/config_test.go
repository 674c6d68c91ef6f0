package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"booty/internal/alert"
	"booty/internal/githubtest"
	"booty/internal/route"
)

// env returns a getenv over the minimal valid environment with overrides
// applied; an override to "" unsets the variable.
func env(overrides map[string]string) func(string) string {
	m := map[string]string{
		"SENTRY_WEBHOOK_SECRET": "whsec",
		"GITHUB_TOKEN":          "ghtoken",
		"TARGET_REPO_URL":       "acme/shop",
	}
	for k, v := range overrides {
		m[k] = v
	}
	return func(k string) string { return m[k] }
}

// problemVars returns the variables Load complained about, in order. It
// fails the test when err is not nil and not Errors.
func problemVars(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var ps Errors
	if !errors.As(err, &ps) {
		t.Fatalf("Load error is %T (%v), want Errors", err, err)
	}
	vars := make([]string, len(ps))
	for i, p := range ps {
		vars[i] = p.Var
	}
	return vars
}

// writeFile writes content to a new file in a temporary directory.
func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load(env(nil))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := &Config{
		WebhookSecret:     "whsec",
		GitHubToken:       "ghtoken",
		RepoOwner:         "acme",
		RepoName:          "shop",
		GitHubAPIURL:      "https://api.github.com/",
		TriggerLabel:      "agent:builder",
		MinSeverity:       alert.SeverityError,
		Cooldown:          6 * time.Hour,
		DatabaseURL:       "sqlite:booty.db",
		Listen:            "127.0.0.1:8000",
		DryRun:            false,
		MaxBody:           1 << 20,
		DeliveryRetention: 30 * 24 * time.Hour,
		LogFormat:         "",
		WritesPerMinute:   80,
		WritesPerHour:     500,
		SentryDSN:         "",
		SentryRelease:     "",
		SentryEnvironment: "development",
		SentrySampleRate:  1,
		WriteInterval:     time.Second,
		Lifecycle:         alert.DefaultPolicy(),
		SentryAPIURL:      "https://sentry.io/",
	}
	if diff := cmp.Diff(want, c, ignoreRoutes); diff != "" {
		t.Errorf("Load defaults (-want +got):\n%s", diff)
	}
	// Without a routes file, one route files everything as booty always
	// has.
	if c.Routes == nil || len(c.Routes.Routes) != 1 {
		t.Fatalf("Routes = %+v, want the default route", c.Routes)
	}
	r := c.Routes.Routes[0]
	if r.Repo.String() != "acme/shop" || r.TriggerLabel != "agent:builder" || r.MinLevel != alert.SeverityError ||
		r.Cooldown != 6*time.Hour || r.MinEvents != 1 || !r.CatchAll() || r.Drop || len(r.Labels) != 0 || len(r.Assignees) != 0 {
		t.Errorf("default route %+v", r)
	}
	if got := c.Repo(); got != "acme/shop" {
		t.Errorf("Repo() = %q, want %q", got, "acme/shop")
	}
	if c.Production() {
		t.Error("Production() = true for development, want false")
	}
}

func TestLoadAllSet(t *testing.T) {
	t.Parallel()
	dbPath := filepath.Join(t.TempDir(), "booty.db")
	c, err := Load(env(map[string]string{
		"TARGET_REPO_URL":          "https://github.example.com/Acme/Shop.API.git",
		"GITHUB_API_URL":           "https://github.example.com/api/v3",
		"TRIGGER_LABEL":            " agent:fix ",
		"OBSV_MIN_SEVERITY":        "WARNING",
		"OBSV_COOLDOWN_HOURS":      "0.5",
		"BOOTY_DATABASE_URL":       "sqlite:" + dbPath,
		"BOOTY_LISTEN":             ":9000",
		"BOOTY_DRY_RUN":            "TRUE",
		"BOOTY_MAX_BODY_BYTES":     "2048",
		"BOOTY_DELIVERY_RETENTION": "48h",
		"BOOTY_LOG_FORMAT":         "JSON",
		"GITHUB_WRITES_PER_MINUTE": "10",
		"GITHUB_WRITES_PER_HOUR":   "100",
		"GITHUB_WRITE_INTERVAL":    "0",
		"SENTRY_DSN":               "https://key@o1.ingest.example.com/2",
		"SENTRY_RELEASE":           "booty@1.2.3",
		"SENTRY_ENVIRONMENT":       "production",
		"SENTRY_SAMPLE_RATE":       "0.25",
		"INTERNAL_TEST_TOKEN":      "itt",
		"BOOTY_ROUTE_BUDGET":       "5/1h",
		"OBSV_ON_RESOLVE":          "Close",
		"OBSV_ON_ARCHIVE":          "ignore",
		"OBSV_REOPEN_WINDOW_DAYS":  "7",
		"BOOTY_STORM_BUDGET":       " 100000/1m ",
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got, want := c.Routes.Routes[0].Budget, (route.Budget{Issues: 5, Per: time.Hour}); got != want {
		t.Errorf("route budget %v, want %v", got, want)
	}
	if got, want := c.Routes.Storm, (route.Budget{Issues: 100000, Per: time.Minute}); got != want {
		t.Errorf("storm budget %v, want %v", got, want)
	}
	want := &Config{
		WebhookSecret:     "whsec",
		GitHubToken:       "ghtoken",
		RepoOwner:         "Acme",
		RepoName:          "Shop.API",
		GitHubAPIURL:      "https://github.example.com/api/v3/",
		TriggerLabel:      "agent:fix",
		MinSeverity:       alert.SeverityWarning,
		Cooldown:          30 * time.Minute,
		DatabaseURL:       "sqlite:" + dbPath,
		Listen:            ":9000",
		DryRun:            true,
		MaxBody:           2048,
		DeliveryRetention: 48 * time.Hour,
		LogFormat:         "json",
		WritesPerMinute:   10,
		WritesPerHour:     100,
		SentryDSN:         "https://key@o1.ingest.example.com/2",
		SentryRelease:     "booty@1.2.3",
		SentryEnvironment: "production",
		SentrySampleRate:  0.25,
		InternalTestToken: "itt",
		WriteInterval:     0,
		Lifecycle: alert.Policy{OnResolve: alert.ChoiceClose, OnArchive: alert.ChoiceIgnore, OnRegression: alert.RegressionReopen,
			ReopenWindow: 7 * 24 * time.Hour, OnRepeat: alert.RepeatComment},
		SentryAPIURL: "https://sentry.io/",
	}
	if diff := cmp.Diff(want, c, ignoreRoutes); diff != "" {
		t.Errorf("Load (-want +got):\n%s", diff)
	}
	r := c.Routes.Routes[0]
	if r.Repo.String() != "Acme/Shop.API" || r.TriggerLabel != "agent:fix" || r.MinLevel != alert.SeverityWarning || r.Cooldown != 30*time.Minute {
		t.Errorf("default route %+v, want the variables' values", r)
	}
}

// ignoreRoutes leaves the route table out of a comparison of Configs; the
// tests check it through its exported fields.
var ignoreRoutes = cmpopts.IgnoreFields(Config{}, "Routes")

// TestLoadBadValue sets one variable to a bad value and expects exactly one
// problem, naming that variable.
func TestLoadBadValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, value string
		wantVar     string // when not name
	}{
		{name: "TARGET_REPO_URL", value: "shop"},
		{name: "TARGET_REPO_URL", value: "acme/shop/extra"},
		{name: "GITHUB_API_URL", value: "api.github.com"},
		{name: "GITHUB_API_URL", value: "ftp://api.github.com/"},
		{name: "GITHUB_API_URL", value: "https://"},
		{name: "GITHUB_API_URL", value: "https://bad host/"},
		{name: "TRIGGER_LABEL", value: strings.Repeat("x", 51)},
		{name: "OBSV_MIN_SEVERITY", value: "none"},
		{name: "OBSV_MIN_SEVERITY", value: "errors"},
		{name: "OBSV_COOLDOWN_HOURS", value: "six"},
		{name: "OBSV_COOLDOWN_HOURS", value: "-1"},
		{name: "OBSV_COOLDOWN_HOURS", value: "8761"},
		{name: "OBSV_COOLDOWN_HOURS", value: "Inf"},
		{name: "OBSV_COOLDOWN_HOURS", value: "NaN"},
		{name: "OBSV_COOLDOWN_HOURS", value: "6h"},
		{name: "BOOTY_ROUTES_FILE", value: "/nonexistent/routes.yaml"},
		{name: "BOOTY_DATABASE_URL", value: "booty.db"},
		{name: "BOOTY_DATABASE_URL", value: "sqlite:"},
		{name: "BOOTY_DATABASE_URL", value: "sqlite://"},
		{name: "BOOTY_DATABASE_URL", value: "mysql://db/booty"},
		{name: "BOOTY_LISTEN", value: "8000"},
		{name: "BOOTY_LISTEN", value: "localhost"},
		{name: "BOOTY_DRY_RUN", value: "yes"},
		{name: "BOOTY_MAX_BODY_BYTES", value: "1023"},
		{name: "BOOTY_MAX_BODY_BYTES", value: "67108865"},
		{name: "BOOTY_MAX_BODY_BYTES", value: "1MiB"},
		{name: "BOOTY_LOG_FORMAT", value: "xml"},
		{name: "BOOTY_DELIVERY_RETENTION", value: "30d"},
		{name: "BOOTY_DELIVERY_RETENTION", value: "720"},
		{name: "BOOTY_DELIVERY_RETENTION", value: "59m"},
		{name: "BOOTY_DELIVERY_RETENTION", value: "-720h"},
		{name: "BOOTY_DELIVERY_RETENTION", value: "8761h"},
		{name: "GITHUB_WRITES_PER_MINUTE", value: "0"},
		{name: "GITHUB_WRITES_PER_MINUTE", value: "-5"},
		{name: "GITHUB_WRITES_PER_MINUTE", value: "many"},
		{name: "GITHUB_WRITES_PER_HOUR", value: "0"},
		{name: "GITHUB_WRITES_PER_HOUR", value: "1.5"},
		{name: "GITHUB_WRITE_INTERVAL", value: "1"},
		{name: "GITHUB_WRITE_INTERVAL", value: "-1s"},
		{name: "GITHUB_WRITE_INTERVAL", value: "2h"},
		{name: "OBSV_ON_RESOLVE", value: "reopen"},
		{name: "BOOTY_BUILDER", value: "agent"},
		{name: "BOOTY_BUILDER", value: "command", wantVar: "BOOTY_BUILDER_COMMAND"},
		{name: "SENTRY_API_TOKEN", value: "sntrys_x", wantVar: "SENTRY_ORG"},
		{name: "SENTRY_ORG", value: "acme", wantVar: "SENTRY_API_TOKEN"},
		{name: "OBSV_ON_ARCHIVE", value: "delete"},
		{name: "OBSV_REOPEN_WINDOW_DAYS", value: "0"},
		{name: "BOOTY_ROUTE_BUDGET", value: "10"},
		{name: "BOOTY_ROUTE_BUDGET", value: "0/10m"},
		{name: "BOOTY_ROUTE_BUDGET", value: "10/10s"},
		{name: "BOOTY_STORM_BUDGET", value: "1000001/1h"},
		{name: "BOOTY_STORM_BUDGET", value: "30/forever"},
		{name: "BOOTY_CODE_MAPPINGS", value: "app/"},
		{name: "BOOTY_CODE_MAPPINGS", value: "="},
		{name: "BOOTY_CODE_MAPPINGS", value: "app/=../../etc"},
		{name: "BOOTY_CODE_MAPPINGS", value: "app/=x/,app/=y/"},
		{name: "SENTRY_SAMPLE_RATE", value: "1.5"},
		{name: "SENTRY_SAMPLE_RATE", value: "-0.1"},
		{name: "SENTRY_SAMPLE_RATE", value: "half"},
		{name: "SENTRY_SAMPLE_RATE", value: "NaN"},
		{name: "SENTRY_DSN", value: "key@sentry.example/1"},
		{name: "SENTRY_DSN", value: "ftp://key@sentry.example/1"},
		{name: "SENTRY_DSN", value: "https://sentry.example/1"},
		{name: "SENTRY_DSN", value: "https://key@sentry.example"},
		{name: "SENTRY_DSN", value: "https://key@sentry.example/"},
		{name: "SENTRY_DSN", value: "https://key@/1"},
		{name: "SENTRY_DSN", value: "https://key@sentry.example:99999/1"},
		{name: "SENTRY_ENVIRONMENT", value: "production", wantVar: "SENTRY_DSN"},
		{name: "SENTRY_ENVIRONMENT", value: "prod", wantVar: "SENTRY_DSN"},
		{name: "SENTRY_ENVIRONMENT", value: "Production", wantVar: "SENTRY_DSN"},
		{name: "SENTRY_WEBHOOK_SECRET", value: ""},
		{name: "SENTRY_WEBHOOK_SECRET", value: "  \n"},
		{name: "GITHUB_TOKEN", value: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			t.Parallel()
			want := tt.name
			if tt.wantVar != "" {
				want = tt.wantVar
			}
			_, err := Load(env(map[string]string{tt.name: tt.value}))
			if diff := cmp.Diff([]string{want}, problemVars(t, err)); diff != "" {
				t.Errorf("problems (-want +got):\n%s\nerror: %v", diff, err)
			}
			if err != nil && !strings.HasPrefix(err.Error(), want+": ") {
				t.Errorf("error %q does not start with %q", err, want+": ")
			}
		})
	}
}

func TestLoadManyProblems(t *testing.T) {
	t.Parallel()
	getenv := func(k string) string {
		return map[string]string{
			"OBSV_MIN_SEVERITY":   "loud",
			"OBSV_COOLDOWN_HOURS": "-2",
			"BOOTY_LISTEN":        "nowhere",
			"SENTRY_ENVIRONMENT":  "prod",
		}[k]
	}
	_, err := Load(getenv)
	want := []string{
		"SENTRY_WEBHOOK_SECRET", "GITHUB_TOKEN", "TARGET_REPO_URL",
		"OBSV_MIN_SEVERITY", "OBSV_COOLDOWN_HOURS", "BOOTY_LISTEN", "SENTRY_DSN",
	}
	got := problemVars(t, err)
	if diff := cmp.Diff(want, got, cmp.Transformer("sort", func(s []string) []string {
		return slices.Sorted(slices.Values(s))
	})); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	for _, v := range want {
		if err == nil || !strings.Contains(err.Error(), v+": ") {
			t.Errorf("error %q does not name %s", err, v)
		}
	}
}

func TestLoadDryRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dryRun string
		want   []string
	}{
		{"", []string{"GITHUB_TOKEN"}},
		{"false", []string{"GITHUB_TOKEN"}},
		{"0", []string{"GITHUB_TOKEN"}},
		{"true", nil},
		{"TRUE", nil},
		{"1", nil},
		// A bad value is no dry run: both are reported.
		{"on", []string{"BOOTY_DRY_RUN", "GITHUB_TOKEN"}},
	}
	for _, tt := range tests {
		t.Run("BOOTY_DRY_RUN="+tt.dryRun, func(t *testing.T) {
			t.Parallel()
			c, err := Load(env(map[string]string{"GITHUB_TOKEN": "", "BOOTY_DRY_RUN": tt.dryRun}))
			if diff := cmp.Diff(tt.want, problemVars(t, err)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if tt.want == nil && !c.DryRun {
				t.Error("DryRun = false, want true")
			}
		})
	}
	// Dry run does not excuse the webhook secret.
	_, err := Load(env(map[string]string{"SENTRY_WEBHOOK_SECRET": "", "GITHUB_TOKEN": "", "BOOTY_DRY_RUN": "true"}))
	if diff := cmp.Diff([]string{"SENTRY_WEBHOOK_SECRET"}, problemVars(t, err)); diff != "" {
		t.Errorf("dry run without webhook secret: problems (-want +got):\n%s", diff)
	}
}

func TestLoadSecretFiles(t *testing.T) {
	t.Parallel()
	secrets := []struct {
		name  string
		get   func(*Config) string
		value string // in the file; "from-file" when empty
	}{
		{"SENTRY_WEBHOOK_SECRET", func(c *Config) string { return c.WebhookSecret }, ""},
		{"GITHUB_TOKEN", func(c *Config) string { return c.GitHubToken }, ""},
		{"SENTRY_DSN", func(c *Config) string { return c.SentryDSN }, "https://from-file@o1.ingest.example.com/2"},
		{"INTERNAL_TEST_TOKEN", func(c *Config) string { return c.InternalTestToken }, ""},
		{"BOOTY_STATUS_TOKEN", func(c *Config) string { return c.StatusToken }, ""},
	}
	for _, s := range secrets {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()

			want := s.value
			if want == "" {
				want = "from-file"
			}
			c, err := Load(env(map[string]string{s.name: "", s.name + "_FILE": writeFile(t, "  "+want+"\n\n")}))
			if err != nil {
				t.Fatalf("Load with %s_FILE: %v", s.name, err)
			}
			if got := s.get(c); got != want {
				t.Errorf("%s from file = %q, want %q", s.name, got, want)
			}

			// Error cases: the problem names the variable to fix.
			dir := t.TempDir()
			bad := []struct {
				what    string
				env     map[string]string
				wantVar string
			}{
				{"missing file", map[string]string{s.name: "", s.name + "_FILE": filepath.Join(dir, "nope")}, s.name + "_FILE"},
				{"directory", map[string]string{s.name: "", s.name + "_FILE": dir}, s.name + "_FILE"},
				{"empty file", map[string]string{s.name: "", s.name + "_FILE": writeFile(t, "")}, s.name + "_FILE"},
				{"blank file", map[string]string{s.name: "", s.name + "_FILE": writeFile(t, " \n\t\n")}, s.name + "_FILE"},
				{"both set", map[string]string{s.name: "direct", s.name + "_FILE": writeFile(t, "from-file")}, s.name},
			}
			for _, b := range bad {
				_, err := Load(env(b.env))
				if got := problemVars(t, err); !slices.Contains(got, b.wantVar) {
					t.Errorf("%s: problems %q, want one naming %s", b.what, got, b.wantVar)
				}
			}
		})
	}
}

// TestLoadLeaksNoSecret makes Load report as many problems as it can while
// a distinctive secret sits in every secret variable, its file, and the
// credentials of URL variables, and checks that no problem repeats it.
func TestLoadLeaksNoSecret(t *testing.T) {
	t.Parallel()
	const secret = "Zq7-SECRET-VALUE-9xK"
	file := writeFile(t, secret+"\n")
	empty := writeFile(t, "")
	cases := []map[string]string{
		{ // both NAME and NAME_FILE set, everything else bad
			"SENTRY_WEBHOOK_SECRET": secret, "SENTRY_WEBHOOK_SECRET_FILE": file,
			"GITHUB_TOKEN": secret, "GITHUB_TOKEN_FILE": file,
			"SENTRY_DSN": secret, "SENTRY_DSN_FILE": file,
			"INTERNAL_TEST_TOKEN": secret, "INTERNAL_TEST_TOKEN_FILE": file,
			"GITHUB_APP_PRIVATE_KEY": secret, "GITHUB_APP_PRIVATE_KEY_FILE": file,
			"GITHUB_APP_ID":       secret,
			"TARGET_REPO_URL":     "https://x-access-token:" + secret + "@github.com/acme/shop/extra",
			"GITHUB_API_URL":      "ftp://user:" + secret + "@api.github.com/",
			"BOOTY_DATABASE_URL":  "mysql://booty:" + secret + "@db/booty",
			"SENTRY_ENVIRONMENT":  "production",
			"BOOTY_LISTEN":        "nowhere",
			"OBSV_MIN_SEVERITY":   "loud",
			"OBSV_COOLDOWN_HOURS": "-1",
		},
		{ // secrets read from files, everything else bad
			"SENTRY_WEBHOOK_SECRET_FILE": file,
			"GITHUB_TOKEN_FILE":          file,
			"SENTRY_DSN_FILE":            empty,
			"INTERNAL_TEST_TOKEN_FILE":   file,
			"TARGET_REPO_URL":            "https://x-access-token:" + secret + "@github.com/acme",
			"BOOTY_DATABASE_URL":         "postgres:" + secret,
			"SENTRY_ENVIRONMENT":         "prod",
			"BOOTY_DRY_RUN":              "maybe",
		},
		{ // secrets set directly, production without DSN
			"SENTRY_WEBHOOK_SECRET":  secret,
			"GITHUB_TOKEN":           secret,
			"GITHUB_APP_PRIVATE_KEY": "-----BEGIN RSA PRIVATE KEY-----\n" + secret + "\n-----END RSA PRIVATE KEY-----\n",
			"INTERNAL_TEST_TOKEN":    secret,
			"SENTRY_ENVIRONMENT":     "production",
			"TARGET_REPO_URL":        "https://" + secret + "@github.com/",
		},
		{ // a DSN that is not one, with the key in it
			"SENTRY_WEBHOOK_SECRET": secret,
			"GITHUB_TOKEN":          secret,
			"TARGET_REPO_URL":       "acme/shop",
			"SENTRY_DSN":            "ftp://" + secret + "@sentry.example/",
		},
	}
	for i, m := range cases {
		_, err := Load(func(k string) string { return m[k] })
		if err == nil {
			t.Fatalf("case %d: Load returned no problems, want some", i)
		}
		var ps Errors
		if !errors.As(err, &ps) {
			t.Fatalf("case %d: error is %T, want Errors", i, err)
		}
		for _, p := range ps {
			if strings.Contains(p.Error(), secret) {
				t.Errorf("case %d: problem leaks the secret: %q", i, p.Error())
			}
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("case %d: error leaks the secret", i)
		}
	}
}

func TestLoadRepo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, wantOwner, wantName string
		wantErr                 bool
	}{
		{in: "acme/shop", wantOwner: "acme", wantName: "shop"},
		{in: "https://github.com/acme/shop", wantOwner: "acme", wantName: "shop"},
		{in: "https://github.com/acme/shop.git", wantOwner: "acme", wantName: "shop"},
		{in: "https://github.com/acme/shop/", wantOwner: "acme", wantName: "shop"},
		{in: "https://github.com/acme/shop.git/", wantOwner: "acme", wantName: "shop"},
		{in: "acme/shop.git", wantOwner: "acme", wantName: "shop"},
		{in: "/acme/shop/", wantOwner: "acme", wantName: "shop"},
		{in: "  acme/shop  ", wantOwner: "acme", wantName: "shop"},
		{in: "http://github.com/acme/shop", wantOwner: "acme", wantName: "shop"},
		{in: "https://ghe.example.com/Acme-Corp/my_repo.v2", wantOwner: "Acme-Corp", wantName: "my_repo.v2"},
		{in: "https://ghe.example.com:8443/acme/shop.git", wantOwner: "acme", wantName: "shop"},
		{in: "https://github.com/acme/shop?tab=issues", wantOwner: "acme", wantName: "shop"},
		{in: "shop", wantErr: true},
		{in: "acme/", wantErr: true},
		{in: "/shop", wantErr: true},
		{in: "acme/shop/issues", wantErr: true},
		{in: "github.com/acme/shop", wantErr: true},
		{in: "https://github.com/acme", wantErr: true},
		{in: "https://github.com/", wantErr: true},
		{in: "https://github.com/acme/shop/issues/1", wantErr: true},
		{in: "https:///acme/shop", wantErr: true},
		{in: "acme/sh op", wantErr: true},
		{in: "acme/shop!", wantErr: true},
		{in: "acme/..", wantErr: true},
		{in: "./shop", wantErr: true},
		{in: "acme/.git", wantErr: true},
		{in: "acme/" + strings.Repeat("r", 101), wantErr: true},
		{in: "ac%6De/shop", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			owner, name, err := ParseRepo(tt.in)
			if (err != nil) != tt.wantErr || owner != tt.wantOwner || name != tt.wantName {
				t.Errorf("ParseRepo(%q) = %q, %q, %v; want %q, %q, error %t", tt.in, owner, name, err, tt.wantOwner, tt.wantName, tt.wantErr)
			}
			vars := map[string]string{"TARGET_REPO_URL": tt.in}
			if strings.Contains(tt.in, "ghe.example.com") {
				vars["GITHUB_API_URL"] = "https://ghe.example.com/api/v3/"
			}
			c, err := Load(env(vars))
			if tt.wantErr {
				if diff := cmp.Diff([]string{"TARGET_REPO_URL"}, problemVars(t, err)); diff != "" {
					t.Errorf("Load problems (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got, want := c.Repo(), tt.wantOwner+"/"+tt.wantName; got != want {
				t.Errorf("Repo() = %q, want %q", got, want)
			}
		})
	}
}

func TestLoadGitHubAPIURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", "https://api.github.com/"},
		{"https://api.github.com", "https://api.github.com/"},
		{"https://api.github.com/", "https://api.github.com/"},
		{"https://ghe.example.com/api/v3", "https://ghe.example.com/api/v3/"},
		{"https://ghe.example.com/api/v3/", "https://ghe.example.com/api/v3/"},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080/"},
	}
	for _, tt := range tests {
		c, err := Load(env(map[string]string{"GITHUB_API_URL": tt.in}))
		if err != nil {
			t.Errorf("GITHUB_API_URL=%q: %v", tt.in, err)
			continue
		}
		if c.GitHubAPIURL != tt.want {
			t.Errorf("GITHUB_API_URL=%q: got %q, want %q", tt.in, c.GitHubAPIURL, tt.want)
		}
	}
}

func TestLoadCooldown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 6 * time.Hour},
		{"0", 0},
		{"0.5", 30 * time.Minute},
		{"1.25", 75 * time.Minute},
		{"0.001", 3600 * time.Millisecond},
		{" 2 ", 2 * time.Hour},
		{"24", 24 * time.Hour},
		{"8760", 8760 * time.Hour},
	}
	for _, tt := range tests {
		c, err := Load(env(map[string]string{"OBSV_COOLDOWN_HOURS": tt.in}))
		if err != nil {
			t.Errorf("OBSV_COOLDOWN_HOURS=%q: %v", tt.in, err)
			continue
		}
		if c.Cooldown != tt.want {
			t.Errorf("OBSV_COOLDOWN_HOURS=%q: got %v, want %v", tt.in, c.Cooldown, tt.want)
		}
	}
}

func TestLoadSentryEnvironment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env, dsn   string
		wantProd   bool
		wantVars   []string
		wantInText string
	}{
		{env: "", wantProd: false},
		{env: "development", wantProd: false},
		{env: "staging", wantProd: false},
		{env: "production-eu", wantProd: false},
		{env: "production", dsn: "https://k@sentry.example.com/1", wantProd: true},
		{env: "PROD", dsn: "https://k@sentry.example.com/1", wantProd: true},
		{env: "production", wantProd: true, wantVars: []string{"SENTRY_DSN"}, wantInText: "production"},
		{env: "prod", wantProd: true, wantVars: []string{"SENTRY_DSN"}, wantInText: "prod"},
	}
	for _, tt := range tests {
		t.Run(tt.env+"/dsn="+tt.dsn, func(t *testing.T) {
			t.Parallel()
			c, err := Load(env(map[string]string{"SENTRY_ENVIRONMENT": tt.env, "SENTRY_DSN": tt.dsn}))
			if diff := cmp.Diff(tt.wantVars, problemVars(t, err)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if err != nil && !strings.Contains(err.Error(), tt.wantInText) {
				t.Errorf("error %q does not mention %q", err, tt.wantInText)
			}
			if got := c.Production(); got != tt.wantProd {
				t.Errorf("Production() = %t, want %t", got, tt.wantProd)
			}
		})
	}
}

// TestLoadRepoHost checks that a repository URL names a host booty files
// into: github.com with any API (a proxy or a stand-in), else the API's own
// host. Before, only the path was read and gitlab.com/a/b became a/b.
func TestLoadRepoHost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		repo, api string
		wantErr   bool
	}{
		{repo: "https://github.com/acme/shop", api: ""},
		{repo: "https://www.github.com/acme/shop", api: ""},
		{repo: "https://GitHub.com/acme/shop", api: ""},
		{repo: "https://github.com/acme/shop", api: "http://127.0.0.1:8123/"},
		{repo: "https://github.com/acme/shop", api: "https://ghe.example.com/api/v3/"},
		{repo: "acme/shop", api: "http://127.0.0.1:8123/"},
		{repo: "https://ghe.example.com/acme/shop", api: "https://ghe.example.com/api/v3/"},
		{repo: "https://acme.ghe.com/acme/shop", api: "https://api.acme.ghe.com/"},
		{repo: "https://gitlab.com/a/b", api: "", wantErr: true},
		{repo: "https://gitlab.com/a/b", api: "https://ghe.example.com/api/v3/", wantErr: true},
		{repo: "https://ghe.example.com/acme/shop", api: "", wantErr: true},
		{repo: "https://other.example.com/acme/shop", api: "https://ghe.example.com/api/v3/", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.repo+" via "+tt.api, func(t *testing.T) {
			t.Parallel()
			_, err := Load(env(map[string]string{"TARGET_REPO_URL": tt.repo, "GITHUB_API_URL": tt.api}))
			var want []string
			if tt.wantErr {
				want = []string{"TARGET_REPO_URL"}
			}
			if diff := cmp.Diff(want, problemVars(t, err)); diff != "" {
				t.Errorf("Load errors (-want +got):\n%s", diff)
			}
			if tt.wantErr && !strings.Contains(err.Error(), "GITHUB_API_URL") {
				t.Errorf("error does not say why: %v", err)
			}
		})
	}
}

// TestLoadDatabaseURL checks that Load refuses what serve cannot open or
// would open somewhere unexpected.
func TestLoadDatabaseURL(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "plain-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		url     string
		wantErr string // "" when the URL is accepted
	}{
		{url: "sqlite:" + filepath.Join(dir, "booty.db")},
		{url: "sqlite://" + filepath.Join(dir, "booty.db")},
		{url: "sqlite:booty.db"},
		{url: "postgres://booty:pw@db:5432/booty"},
		{url: "postgresql://booty@localhost/booty"},
		{url: "postgres://booty@/booty?host=/run/postgresql"},
		{url: "postgres:///booty", wantErr: "names no host"},
		{url: "postgres://booty:p%zz@db/booty", wantErr: "is not a valid postgres:// URL"},
		{url: "sqlite:/nonexistent/dir/x.db", wantErr: "/nonexistent/dir of the database file /nonexistent/dir/x.db does not exist"},
		{url: "sqlite:" + filepath.Join(file, "booty.db"), wantErr: "is not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			t.Parallel()
			_, err := Load(env(map[string]string{"BOOTY_DATABASE_URL": tt.url}))
			_, errOnly := DatabaseURL(env(map[string]string{"BOOTY_DATABASE_URL": tt.url}))
			for name, err := range map[string]error{"Load": err, "DatabaseURL": errOnly} {
				switch {
				case tt.wantErr == "" && err != nil:
					t.Errorf("%s: %v, want no error", name, err)
				case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
					t.Errorf("%s: %v, want an error saying %q", name, err, tt.wantErr)
				}
			}
			if strings.Contains(fmt.Sprint(err), "pw") {
				t.Errorf("the error repeats the password: %v", err)
			}
		})
	}
}

// TestLoadMinSeverity checks that the threshold takes the five level names,
// in any case, and refuses the aliases with the name to use instead.
func TestLoadMinSeverity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    alert.Severity
		wantErr string
	}{
		{in: "fatal", want: alert.SeverityFatal},
		{in: "error", want: alert.SeverityError},
		{in: "WARNING", want: alert.SeverityWarning},
		{in: "Info", want: alert.SeverityInfo},
		{in: "debug", want: alert.SeverityDebug},
		{in: "warn", wantErr: "write the level's name, warning"},
		{in: "critical", wantErr: "write the level's name, fatal"},
		{in: "log", wantErr: "write the level's name, info"},
		{in: "loud", wantErr: "is not one of fatal, error, warning, info, debug"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			c, err := Load(env(map[string]string{"OBSV_MIN_SEVERITY": tt.in}))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("Load: %v, want an error saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || c.MinSeverity != tt.want {
				t.Errorf("Load: %v, %v; want %v", c.MinSeverity, err, tt.want)
			}
		})
	}
}

// TestSettingsMaskSecrets checks that the configuration as printed by
// check-config shows every variable and no secret.
func TestSettingsMaskSecrets(t *testing.T) {
	t.Parallel()
	secrets := map[string]string{
		"SENTRY_WEBHOOK_SECRET": "whsec-very-secret",
		"GITHUB_TOKEN":          "ghp_verysecrettoken",
		"SENTRY_DSN":            "https://publickey123@o1.ingest.example.com/2",
		"INTERNAL_TEST_TOKEN":   "itt-very-secret",
		"BOOTY_STATUS_TOKEN":    "status-very-secret",
	}
	c, err := Load(env(secrets))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range c.Settings() {
		got[s.Var] = s.Value
	}
	for name, value := range secrets {
		if got[name] != "(set, hidden)" {
			t.Errorf("%s shows %q, want (set, hidden)", name, got[name])
		}
		for _, s := range c.Settings() {
			if strings.Contains(s.Value, value) || strings.Contains(s.Value, "publickey123") {
				t.Errorf("%s shows a secret: %q", s.Var, s.Value)
			}
		}
	}
	if got["TARGET_REPO_URL"] != "acme/shop" || got["OBSV_MIN_SEVERITY"] != "error" || got["OBSV_COOLDOWN_HOURS"] != "6 (6h0m0s)" {
		t.Errorf("settings = %v", got)
	}
	if got["BOOTY_DELIVERY_RETENTION"] != "720h0m0s" {
		t.Errorf("BOOTY_DELIVERY_RETENTION shows %q, want 720h0m0s", got["BOOTY_DELIVERY_RETENTION"])
	}
	if got["BOOTY_DATABASE_URL"] != "sqlite:booty.db" {
		t.Errorf("BOOTY_DATABASE_URL shows %q", got["BOOTY_DATABASE_URL"])
	}
	off, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range off.Settings() {
		if s.Var == "BOOTY_STATUS_TOKEN" && s.Value != "(not set: the status page is off)" {
			t.Errorf("BOOTY_STATUS_TOKEN unset shows %q", s.Value)
		}
	}
}

func TestRedactDatabaseURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"sqlite:booty.db":                   "sqlite:booty.db",
		"postgres://booty:pw@db:5432/booty": "postgres://booty:xxxxx@db:5432/booty",
	} {
		if got := RedactDatabaseURL(in); got != want {
			t.Errorf("RedactDatabaseURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLoadRoutes(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "routes.yaml")
	if err := os.WriteFile(path, []byte(`
routes:
  - name: web
    match: {project: "shop-*"}
    repo: acme/storefront
    labels: ["severity:{{level}}"]
  - name: rest
`), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(env(map[string]string{"BOOTY_ROUTES_FILE": path, "TRIGGER_LABEL": "agent:fix", "OBSV_COOLDOWN_HOURS": "1"}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.RoutesFile != path || len(c.Routes.Routes) != 2 {
		t.Fatalf("RoutesFile %q, Routes %+v", c.RoutesFile, c.Routes)
	}
	web, rest := c.Routes.Routes[0], c.Routes.Routes[1]
	if web.Repo.String() != "acme/storefront" || web.TriggerLabel != "agent:fix" || web.Cooldown != time.Hour {
		t.Errorf("web %+v", web)
	}
	// A route without repo files into TARGET_REPO_URL.
	if rest.Repo.String() != "acme/shop" {
		t.Errorf("rest files into %s, want acme/shop", rest.Repo)
	}
	for _, s := range c.Settings() {
		if s.Var == "BOOTY_ROUTES_FILE" && s.Value != path+" (2 routes: web, rest)" {
			t.Errorf("BOOTY_ROUTES_FILE shows %q", s.Value)
		}
	}
}

func TestLoadRoutesErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("routes:\n  - name: web\n    repo: acme\n    match: {levl: error}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte(strings.Repeat("#", route.MaxFileSize+10)), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		want []string
	}{
		{"each problem with its line", bad, []string{
			"BOOTY_ROUTES_FILE: " + bad + `:3:11: repo: "acme" is not OWNER/REPO`,
			"BOOTY_ROUTES_FILE: " + bad + `:4:13: unknown key "levl" in match (did you mean "level"?)`,
		}},
		{"missing", filepath.Join(dir, "none.yaml"), []string{
			"BOOTY_ROUTES_FILE: cannot read " + filepath.Join(dir, "none.yaml") + ": no such file or directory",
		}},
		{"a directory", dir, []string{"BOOTY_ROUTES_FILE: cannot read " + dir + ": is a directory"}},
		{"too big", big, []string{"BOOTY_ROUTES_FILE: " + big + ": the file is over 262144 bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(env(map[string]string{"BOOTY_ROUTES_FILE": tt.path}))
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("Load: %v, want Errors", err)
			}
			var got []string
			for _, e := range es {
				got = append(got, e.Error())
			}
			if len(got) != len(tt.want) {
				t.Errorf("errors %q, want %d", got, len(tt.want))
			}
			for i := range min(len(got), len(tt.want)) {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("error %d: %q, want it to start with %q", i, got[i], tt.want[i])
				}
			}
			if c.Routes != nil {
				t.Errorf("Routes = %+v with a bad file", c.Routes)
			}
		})
	}
}

func TestRouteTable(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "routes.yaml")
	if err := os.WriteFile(path, []byte("routes:\n  - name: web\n    repo: acme/web\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	getenv := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	// No secrets needed, nor TARGET_REPO_URL when every route names its
	// repository.
	tb, file, err := RouteTable(getenv(nil), path)
	if err != nil || file != path || len(tb.Routes) != 1 || tb.Routes[0].Repo.String() != "acme/web" {
		t.Errorf("RouteTable(path) = %+v, %q, %v", tb, file, err)
	}
	// BOOTY_ROUTES_FILE when no path is given.
	tb, file, err = RouteTable(getenv(map[string]string{"BOOTY_ROUTES_FILE": path, "OBSV_MIN_SEVERITY": "warning"}), "")
	if err != nil || file != path || tb.Routes[0].MinLevel != alert.SeverityWarning {
		t.Errorf("RouteTable from BOOTY_ROUTES_FILE = %+v, %q, %v", tb, file, err)
	}
	// Without a file, the default route, which needs TARGET_REPO_URL.
	tb, file, err = RouteTable(getenv(map[string]string{"TARGET_REPO_URL": "https://github.com/acme/shop"}), "")
	if err != nil || file != "" || tb.Routes[0].Name != "default" || tb.Routes[0].Repo.String() != "acme/shop" {
		t.Errorf("RouteTable without a file = %+v, %q, %v", tb, file, err)
	}
	if _, _, err := RouteTable(getenv(nil), ""); err == nil || !strings.Contains(err.Error(), "TARGET_REPO_URL: required without a routes file") {
		t.Errorf("RouteTable with nothing set: %v", err)
	}
	if _, _, err := RouteTable(getenv(map[string]string{"OBSV_MIN_SEVERITY": "loud"}), path); err == nil ||
		!strings.Contains(err.Error(), "OBSV_MIN_SEVERITY") {
		t.Errorf("RouteTable with a bad variable: %v", err)
	}
}

func appEnv(overrides map[string]string) func(string) string {
	m := map[string]string{"GITHUB_TOKEN": "", "GITHUB_APP_ID": "123456"}
	for k, v := range overrides {
		m[k] = v
	}
	return env(m)
}

func TestLoadGitHubApp(t *testing.T) {
	t.Parallel()
	key := githubtest.AppKey(t)
	pkcs1, pkcs8 := githubtest.PKCS1PEM(key), githubtest.PKCS8PEM(key)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalPKCS8PrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	ecPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER}))
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	encrypted := strings.Replace(pkcs1, "-----\n", "-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00000000000000000000000000000000\n\n", 1)
	broken := strings.Replace(pkcs1, pkcs1[100:140], strings.Repeat("A", 40), 1)

	good := []struct {
		name string
		env  map[string]string
	}{
		{"PKCS#1", map[string]string{"GITHUB_APP_PRIVATE_KEY": pkcs1}},
		{"PKCS#8", map[string]string{"GITHUB_APP_PRIVATE_KEY": pkcs8}},
		{"from a file", map[string]string{"GITHUB_APP_PRIVATE_KEY_FILE": writeFile(t, pkcs1)}},
		{"one line with \\n", map[string]string{"GITHUB_APP_PRIVATE_KEY": strings.ReplaceAll(strings.TrimSpace(pkcs8), "\n", `\n`)}},
		{"in a dry run", map[string]string{"GITHUB_APP_PRIVATE_KEY": pkcs1, "BOOTY_DRY_RUN": "true"}},
		{"quoted, one line", map[string]string{"GITHUB_APP_PRIVATE_KEY": `"` + strings.ReplaceAll(pkcs1, "\n", `\n`) + `"`}},
	}
	for _, tt := range good {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(appEnv(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if c.GitHubApp == nil || c.GitHubApp.ID != 123456 || !c.GitHubApp.Key.Equal(key) || c.GitHubToken != "" {
				t.Fatalf("got app %+v, want the App 123456 with its key", c.GitHubApp)
			}
			if c.GitHubApp.KeyPEM == "" {
				t.Error("the key as configured is not kept for redaction")
			}
		})
	}

	bad := []struct {
		name string
		env  map[string]string
		want string // the variable
		msg  string
	}{
		{"id not a number", map[string]string{"GITHUB_APP_ID": "Iv1.8a61f9b3a7aba766", "GITHUB_APP_PRIVATE_KEY": pkcs1}, "GITHUB_APP_ID", "App ID"},
		{"id zero", map[string]string{"GITHUB_APP_ID": "0", "GITHUB_APP_PRIVATE_KEY": pkcs1}, "GITHUB_APP_ID", "must be the GitHub App's id"},
		{"id without key", nil, "GITHUB_APP_PRIVATE_KEY", "required with GITHUB_APP_ID"},
		{"key without id", map[string]string{"GITHUB_APP_ID": "", "GITHUB_APP_PRIVATE_KEY": pkcs1}, "GITHUB_APP_ID", "required with GITHUB_APP_PRIVATE_KEY"},
		{"key file without id", map[string]string{"GITHUB_APP_ID": "", "GITHUB_APP_PRIVATE_KEY_FILE": writeFile(t, pkcs1)}, "GITHUB_APP_ID", "GITHUB_APP_PRIVATE_KEY_FILE"},
		{"not PEM", map[string]string{"GITHUB_APP_PRIVATE_KEY": "ghp_notakey"}, "GITHUB_APP_PRIVATE_KEY", "not a PEM private key"},
		{"cut short", map[string]string{"GITHUB_APP_PRIVATE_KEY": pkcs1[:200]}, "GITHUB_APP_PRIVATE_KEY", "not a PEM private key"},
		{"line breaks lost", map[string]string{"GITHUB_APP_PRIVATE_KEY": strings.ReplaceAll(pkcs1, "\n", "n")}, "GITHUB_APP_PRIVATE_KEY", "no line breaks"},
		{"corrupt", map[string]string{"GITHUB_APP_PRIVATE_KEY": broken}, "GITHUB_APP_PRIVATE_KEY", "does not parse"},
		{"public key", map[string]string{"GITHUB_APP_PRIVATE_KEY": pubPEM}, "GITHUB_APP_PRIVATE_KEY", "public key"},
		{"EC key", map[string]string{"GITHUB_APP_PRIVATE_KEY": ecPEM}, "GITHUB_APP_PRIVATE_KEY", "not an RSA key"},
		{"encrypted", map[string]string{"GITHUB_APP_PRIVATE_KEY": encrypted}, "GITHUB_APP_PRIVATE_KEY", "encrypted"},
		{"bad key in a file", map[string]string{"GITHUB_APP_PRIVATE_KEY_FILE": writeFile(t, pubPEM)}, "GITHUB_APP_PRIVATE_KEY_FILE", "public key"},
		{"token and App", map[string]string{"GITHUB_TOKEN": "ghp_alsoset", "GITHUB_APP_PRIVATE_KEY": pkcs1}, "GITHUB_TOKEN", "not both"},
		{"token and an App id alone", map[string]string{"GITHUB_TOKEN": "ghp_alsoset"}, "GITHUB_TOKEN", "not both"},
		{"neither", map[string]string{"GITHUB_APP_ID": ""}, "GITHUB_TOKEN", "GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(appEnv(tt.env))
			if got := problemVars(t, err); !slices.Contains(got, tt.want) {
				t.Fatalf("problems %q, want one naming %s (%v)", got, tt.want, err)
			}
			if !strings.Contains(err.Error(), tt.want+": ") || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q, want %s with %q", err, tt.want, tt.msg)
			}
			for _, part := range []string{pkcs1[40:80], pkcs8[40:80], pubPEM[40:80], ecPEM[40:80], "ghp_alsoset", "ghp_notakey"} {
				if strings.Contains(err.Error(), part) {
					t.Errorf("error quotes a secret: %v", err)
				}
			}
			if c.GitHubApp != nil && tt.want != "GITHUB_TOKEN" {
				t.Errorf("GitHubApp %+v with a bad App configuration", c.GitHubApp)
			}
		})
	}
}

func TestSettingsShowTheApp(t *testing.T) {
	t.Parallel()
	pemKey := githubtest.PKCS1PEM(githubtest.AppKey(t))
	c, err := Load(appEnv(map[string]string{"GITHUB_APP_PRIVATE_KEY": pemKey}))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range c.Settings() {
		got[s.Var] = s.Value
	}
	want := map[string]string{"GITHUB_TOKEN": "(not set)", "GITHUB_APP_ID": "123456", "GITHUB_APP_PRIVATE_KEY": "(set, hidden)"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s shows %q, want %q", k, got[k], v)
		}
	}
	if c, _ := Load(env(nil)); c.Settings()[2].Value != "(not set)" {
		t.Errorf("GITHUB_APP_ID with a token: %+v, want (not set)", c.Settings()[2])
	}
}
