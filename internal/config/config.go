// Package config reads booty's configuration from the environment. It is the
// only package that looks at environment variables; everything else gets a
// Config.
package config

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"booty/internal/alert"
	"booty/internal/route"
	"booty/internal/store/dburl"
)

// Config is booty's whole configuration.
type Config struct {
	WebhookSecret string // SENTRY_WEBHOOK_SECRET
	// Lifecycle is what booty does when Sentry or GitHub say a problem's
	// issue changed: OBSV_ON_RESOLVE, OBSV_ON_ARCHIVE, OBSV_ON_REGRESSION,
	// OBSV_REOPEN_WINDOW_DAYS, OBSV_ON_REPEAT.
	Lifecycle alert.Policy
	// SentryAPIToken, SentryOrg and SentryAPIURL (SENTRY_API_TOKEN or
	// its _FILE, SENTRY_ORG, SENTRY_API_URL) turn on the sync back to
	// Sentry: set together, or not at all.
	SentryAPIToken string
	SentryOrg      string
	SentryAPIURL   string
	// GitHubWebhookSecret is GITHUB_WEBHOOK_SECRET: set, booty serves POST
	// /webhooks/github, GitHub's issues webhooks signed with it.
	GitHubWebhookSecret string
	GitHubToken         string // GITHUB_TOKEN
	RepoOwner           string // from TARGET_REPO_URL
	RepoName            string // from TARGET_REPO_URL
	GitHubAPIURL        string // GITHUB_API_URL, always with a trailing slash
	TriggerLabel        string // TRIGGER_LABEL

	// GitHubApp is the GitHub App booty files as instead of with a token;
	// nil with a token (or in a dry run without either).
	GitHubApp *GitHubApp

	MinSeverity alert.Severity // OBSV_MIN_SEVERITY
	Cooldown    time.Duration  // OBSV_COOLDOWN_HOURS

	// RoutesFile is BOOTY_ROUTES_FILE, "" without a routes file.
	RoutesFile string
	// Routes is the routes file's table, or without a file the one route
	// of TARGET_REPO_URL, TRIGGER_LABEL, OBSV_MIN_SEVERITY and
	// OBSV_COOLDOWN_HOURS. Nil only when Load fails.
	Routes *route.Table

	DatabaseURL string // BOOTY_DATABASE_URL
	Listen      string // BOOTY_LISTEN
	DryRun      bool   // BOOTY_DRY_RUN
	MaxBody     int64  // BOOTY_MAX_BODY_BYTES
	LogFormat   string // BOOTY_LOG_FORMAT: "", "json" or "text"

	WritesPerMinute int // GITHUB_WRITES_PER_MINUTE
	WritesPerHour   int // GITHUB_WRITES_PER_HOUR

	SentryDSN         string  // SENTRY_DSN
	SentryRelease     string  // SENTRY_RELEASE
	SentryEnvironment string  // SENTRY_ENVIRONMENT
	SentrySampleRate  float64 // SENTRY_SAMPLE_RATE

	InternalTestToken string // INTERNAL_TEST_TOKEN

	// Builder is the command-mode builder's configuration; nil when
	// BOOTY_BUILDER is label (the default: booty's job ends at the issue).
	Builder *Builder
	// StatusToken is BOOTY_STATUS_TOKEN: the Basic auth password of the
	// status page and JSON API, which are off while it is empty.
	StatusToken string

	WriteInterval time.Duration // GITHUB_WRITE_INTERVAL

	// DeliveryRetention is BOOTY_DELIVERY_RETENTION: how long delivery
	// records, and the counted events dedup remembers, are kept.
	DeliveryRetention time.Duration
}

// GitHubApp is a GitHub App's credentials.
type GitHubApp struct {
	ID  int64           // GITHUB_APP_ID
	Key *rsa.PrivateKey // GITHUB_APP_PRIVATE_KEY, parsed
	// KeyPEM is the key as configured, for keeping it out of booty's
	// error reports.
	KeyPEM string
}

// Repo returns "OWNER/REPO".
func (c *Config) Repo() string { return c.RepoOwner + "/" + c.RepoName }

// Production reports whether booty runs as a production deployment.
func (c *Config) Production() bool {
	switch strings.ToLower(c.SentryEnvironment) {
	case "production", "prod":
		return true
	}
	return false
}

// Setting is one variable as Load read it, for an operator to check.
type Setting struct {
	Var   string
	Value string
}

// Settings returns the configuration as read, one variable a line, in the
// order of the README's table. Secrets show only whether they are set.
func (c *Config) Settings() []Setting {
	secret := func(v string) string {
		if v == "" {
			return "(not set)"
		}
		return "(set, hidden)"
	}
	or := func(v, def string) string {
		if v == "" {
			return def
		}
		return v
	}
	appID, appKey := "", ""
	if c.GitHubApp != nil {
		appID, appKey = strconv.FormatInt(c.GitHubApp.ID, 10), c.GitHubApp.KeyPEM
	}
	return []Setting{
		{"SENTRY_WEBHOOK_SECRET", secret(c.WebhookSecret)},
		{"GITHUB_TOKEN", secret(c.GitHubToken)},
		{"GITHUB_APP_ID", or(appID, "(not set)")},
		{"GITHUB_APP_PRIVATE_KEY", secret(appKey)},
		{"GITHUB_WEBHOOK_SECRET", strings.Replace(secret(c.GitHubWebhookSecret), "(not set)", "(not set: /webhooks/github is off)", 1)},
		{"TARGET_REPO_URL", c.Repo()},
		{"GITHUB_API_URL", c.GitHubAPIURL},
		{"TRIGGER_LABEL", c.TriggerLabel},
		{"OBSV_MIN_SEVERITY", c.MinSeverity.String()},
		{"OBSV_COOLDOWN_HOURS", strconv.FormatFloat(c.Cooldown.Hours(), 'g', -1, 64) + " (" + c.Cooldown.String() + ")"},
		{"BOOTY_ROUTES_FILE", c.routesSetting()},
		{"OBSV_ON_RESOLVE", string(c.Lifecycle.OnResolve)},
		{"OBSV_ON_ARCHIVE", string(c.Lifecycle.OnArchive)},
		{"SENTRY_API_TOKEN", strings.Replace(secret(c.SentryAPIToken), "(not set)", "(not set: no sync back to Sentry)", 1)},
		{"SENTRY_ORG", or(c.SentryOrg, "(not set)")},
		{"BOOTY_DATABASE_URL", RedactDatabaseURL(c.DatabaseURL)},
		{"BOOTY_LISTEN", c.Listen},
		{"BOOTY_DRY_RUN", strconv.FormatBool(c.DryRun)},
		{"BOOTY_MAX_BODY_BYTES", strconv.FormatInt(c.MaxBody, 10)},
		{"BOOTY_DELIVERY_RETENTION", c.DeliveryRetention.String()},
		{"BOOTY_LOG_FORMAT", or(c.LogFormat, "json, text on a terminal")},
		{"GITHUB_WRITES_PER_MINUTE", strconv.Itoa(c.WritesPerMinute)},
		{"GITHUB_WRITES_PER_HOUR", strconv.Itoa(c.WritesPerHour)},
		{"GITHUB_WRITE_INTERVAL", c.WriteInterval.String()},
		{"SENTRY_DSN", secret(c.SentryDSN)},
		{"SENTRY_RELEASE", or(c.SentryRelease, "(the build version)")},
		{"SENTRY_ENVIRONMENT", c.SentryEnvironment},
		{"SENTRY_SAMPLE_RATE", strconv.FormatFloat(c.SentrySampleRate, 'g', -1, 64)},
		{"INTERNAL_TEST_TOKEN", secret(c.InternalTestToken)},
		{"BOOTY_STATUS_TOKEN", strings.Replace(secret(c.StatusToken), "(not set)", "(not set: the status page is off)", 1)},
	}
}

// routesSetting says which routes file is in use and what it holds.
func (c *Config) routesSetting() string {
	if c.RoutesFile == "" {
		return "(not set: one route, to TARGET_REPO_URL)"
	}
	if c.Routes == nil {
		return c.RoutesFile
	}
	names := make([]string, len(c.Routes.Routes))
	for i, r := range c.Routes.Routes {
		names[i] = r.Name
	}
	return fmt.Sprintf("%s (%d routes: %s)", c.RoutesFile, len(names), strings.Join(names, ", "))
}

// RedactDatabaseURL hides a password in a database URL.
func RedactDatabaseURL(s string) string {
	driver, _, err := ParseDatabaseURL(s)
	if err != nil || driver != "postgres" {
		return s
	}
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return "postgres://…"
}

// Error is one bad variable: which one, and what is wrong with it.
type Error struct {
	Var string
	Msg string
}

func (e Error) Error() string { return e.Var + ": " + e.Msg }

// Errors is every bad variable found; it is the error Load returns.
type Errors []Error

func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

// Load reads the configuration with getenv (os.Getenv in main, a map in
// tests). It returns every bad variable at once as Errors, so an operator
// fixes them in one go. Values of secrets never appear in an error.
func Load(getenv func(string) string) (*Config, error) {
	r := reader{getenv: getenv}
	c := &Config{
		WebhookSecret:       r.secret("SENTRY_WEBHOOK_SECRET"),
		GitHubToken:         r.secret("GITHUB_TOKEN"),
		GitHubWebhookSecret: r.secret("GITHUB_WEBHOOK_SECRET"),
		GitHubAPIURL:        r.str("GITHUB_API_URL", "https://api.github.com/"),
		DatabaseURL:         r.str("BOOTY_DATABASE_URL", "sqlite:booty.db"),
		Listen:              r.str("BOOTY_LISTEN", "127.0.0.1:8000"),
		DryRun:              r.boolean("BOOTY_DRY_RUN", false),
		MaxBody:             int64(r.integer("BOOTY_MAX_BODY_BYTES", 1<<20, 1024, 64<<20)),
		LogFormat:           strings.ToLower(r.str("BOOTY_LOG_FORMAT", "")),
		WritesPerMinute:     r.integer("GITHUB_WRITES_PER_MINUTE", 80, 1, 1_000_000),
		WritesPerHour:       r.integer("GITHUB_WRITES_PER_HOUR", 500, 1, 100_000_000),
		SentryDSN:           r.secret("SENTRY_DSN"),
		SentryRelease:       r.str("SENTRY_RELEASE", ""),
		SentryEnvironment:   r.str("SENTRY_ENVIRONMENT", "development"),
		SentrySampleRate:    r.float("SENTRY_SAMPLE_RATE", 1.0, 0, 1),
		InternalTestToken:   r.secret("INTERNAL_TEST_TOKEN"),
		StatusToken:         r.secret("BOOTY_STATUS_TOKEN"),
	}

	if c.WebhookSecret == "" {
		r.bad("SENTRY_WEBHOOK_SECRET", "required: the client secret of the Sentry integration (booty has no unverified mode)")
	}
	c.loadGitHubIdentity(&r)
	apiHost := ""
	if u, err := url.Parse(c.GitHubAPIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.bad("GITHUB_API_URL", "must be an http(s) URL such as https://api.github.com/")
	} else {
		apiHost = u.Hostname()
		if !strings.HasSuffix(c.GitHubAPIURL, "/") {
			c.GitHubAPIURL += "/"
		}
	}
	repo := r.str("TARGET_REPO_URL", "")
	if repo == "" {
		r.bad("TARGET_REPO_URL", "required: https://github.com/OWNER/REPO or OWNER/REPO")
	} else if owner, name, err := ParseRepo(repo); err != nil {
		r.bad("TARGET_REPO_URL", err.Error())
	} else if host := repoHost(repo); !repoOnAPIHost(host, apiHost) {
		// Only the path of the URL is used: a repository on another host
		// would silently become OWNER/REPO on the API's host.
		r.bad("TARGET_REPO_URL", fmt.Sprintf("the repository is on %s, but booty files issues through GITHUB_API_URL (%s): "+
			"use a github.com URL, OWNER/REPO, or a URL on the GitHub Enterprise host GITHUB_API_URL names", host, apiHost))
	} else {
		c.RepoOwner, c.RepoName = owner, name
	}
	c.TriggerLabel, c.MinSeverity, c.Cooldown = r.routeDefaults()
	c.RoutesFile = r.str("BOOTY_ROUTES_FILE", "")
	c.Routes = r.routes("BOOTY_ROUTES_FILE", c.RoutesFile, route.Defaults{
		Repo:         route.Repo{Owner: c.RepoOwner, Name: c.RepoName},
		TriggerLabel: c.TriggerLabel,
		MinLevel:     c.MinSeverity,
		Cooldown:     c.Cooldown,
		Budget:       r.budget("BOOTY_ROUTE_BUDGET", route.DefaultRouteBudget),
		Storm:        r.budget("BOOTY_STORM_BUDGET", route.DefaultStormBudget),
		CodeMappings: r.codeMappings("BOOTY_CODE_MAPPINGS"),
	})

	if err := CheckDatabaseURL(c.DatabaseURL); err != nil {
		r.bad("BOOTY_DATABASE_URL", err.Error())
	}
	if _, port, err := net.SplitHostPort(c.Listen); err != nil || !validPort(port) {
		r.bad("BOOTY_LISTEN", "must be HOST:PORT, such as 127.0.0.1:8000")
	}
	switch c.LogFormat {
	case "", "json", "text":
	default:
		r.bad("BOOTY_LOG_FORMAT", "must be json or text")
	}
	if c.SentryDSN != "" && !validDSN(c.SentryDSN) {
		// The DSN carries the project key: the error does not repeat it.
		r.bad("SENTRY_DSN", "must be a Sentry DSN: https://KEY@HOST/PROJECT_ID")
	}
	if c.Production() && c.SentryDSN == "" {
		r.bad("SENTRY_DSN", "required when SENTRY_ENVIRONMENT is "+c.SentryEnvironment+": booty must report its own errors in production")
	}

	c.WriteInterval = r.duration("GITHUB_WRITE_INTERVAL", time.Second, 0, time.Hour)
	c.Lifecycle = r.policy()
	c.Builder = r.builder()
	c.SentryAPIToken, c.SentryOrg = r.secret("SENTRY_API_TOKEN"), strings.TrimSpace(r.str("SENTRY_ORG", ""))
	c.SentryAPIURL = r.str("SENTRY_API_URL", "https://sentry.io/")
	switch {
	case c.SentryAPIToken != "" && c.SentryOrg == "":
		r.bad("SENTRY_ORG", "required with SENTRY_API_TOKEN: the organisation slug whose issues booty syncs")
	case c.SentryAPIToken == "" && c.SentryOrg != "":
		r.bad("SENTRY_API_TOKEN", "required with SENTRY_ORG: a token that may update the organisation's issues (event:write)")
	}
	// The sync is on exactly when Sentry can be reached.
	c.Lifecycle.SyncSentry = c.SentryAPIToken != "" && c.SentryOrg != ""
	c.DeliveryRetention = r.duration("BOOTY_DELIVERY_RETENTION", 30*24*time.Hour, time.Hour, 365*24*time.Hour)

	if len(r.errs) > 0 {
		return c, r.errs
	}
	return c, nil
}

// routeDefaults reads the variables every route inherits unless the routes
// file says otherwise: TRIGGER_LABEL, OBSV_MIN_SEVERITY and
// OBSV_COOLDOWN_HOURS.
func (r *reader) routeDefaults() (trigger string, sev alert.Severity, cooldown time.Duration) {
	trigger = r.str("TRIGGER_LABEL", "agent:builder")
	if strings.TrimSpace(trigger) == "" || len(trigger) > 50 {
		r.bad("TRIGGER_LABEL", "must be a label name of 1 to 50 characters")
	}
	v := r.str("OBSV_MIN_SEVERITY", "error")
	if s, ok := parseMinSeverity(v); ok {
		sev = s
	} else if alias, ok := alert.ParseSeverity(v); ok {
		r.bad("OBSV_MIN_SEVERITY", fmt.Sprintf("%q is an alias Sentry's SDKs send; write the level's name, %s", v, alias))
	} else {
		r.bad("OBSV_MIN_SEVERITY", fmt.Sprintf("%q is not one of fatal, error, warning, info, debug", v))
	}
	hours := r.float("OBSV_COOLDOWN_HOURS", 6, 0, 24*365)
	return trigger, sev, time.Duration(hours * float64(time.Hour))
}

// Builder is BOOTY_BUILDER=command's configuration.
type Builder struct {
	// Command is BOOTY_BUILDER_COMMAND: a JSON list, the command and its
	// arguments, never a shell string.
	Command []string
	// Timeout is BOOTY_BUILDER_TIMEOUT, Concurrency
	// BOOTY_BUILDER_CONCURRENCY.
	Timeout     time.Duration
	Concurrency int
	// Env names the variables of booty's environment the command gets
	// (BOOTY_BUILDER_ENV, comma-separated: model keys).
	Env []string
	// MaxFiles and MaxLines bound the change; Protected adds globs to the
	// paths no build may touch (BOOTY_BUILDER_PROTECTED).
	MaxFiles, MaxLines int
	Protected          []string
	// GitURL is BOOTY_GIT_URL, the clone URL with {owner} and {repo}.
	GitURL string
	// AnyIssue is BOOTY_BUILDER_ANY_ISSUE: build issues booty did not file.
	AnyIssue bool
	// TestCommand is BOOTY_TEST_COMMAND (a JSON list): told to the
	// builder, and run by the verifier on booty's pull requests.
	TestCommand []string
	// MaxAttempts is BOOTY_BUILDER_MAX_ATTEMPTS: the builds of one issue,
	// the first included, while the verifier finds the tests failing.
	MaxAttempts int
	// PublicURL is BOOTY_PUBLIC_URL, where people reach booty's status
	// page: the verifier links its commit statuses to the run's log there.
	// "" links nothing.
	PublicURL string
}

// builder reads BOOTY_BUILDER and, for command, its variables.
func (r *reader) builder() *Builder {
	switch mode := strings.ToLower(strings.TrimSpace(r.str("BOOTY_BUILDER", "label"))); mode {
	case "label":
		return nil
	case "command":
	default:
		r.bad("BOOTY_BUILDER", "must be label (booty's job ends at the labelled issue) or command (booty runs BOOTY_BUILDER_COMMAND)")
		return nil
	}
	b := &Builder{
		Timeout:     r.duration("BOOTY_BUILDER_TIMEOUT", 30*time.Minute, time.Second, 24*time.Hour),
		Concurrency: r.integer("BOOTY_BUILDER_CONCURRENCY", 1, 1, 16),
		MaxFiles:    r.integer("BOOTY_BUILDER_MAX_FILES", 20, 1, 10_000),
		MaxLines:    r.integer("BOOTY_BUILDER_MAX_LINES", 1000, 1, 1_000_000),
		GitURL:      r.str("BOOTY_GIT_URL", "https://github.com/{owner}/{repo}.git"),
		AnyIssue:    r.boolean("BOOTY_BUILDER_ANY_ISSUE", false),
		MaxAttempts: r.integer("BOOTY_BUILDER_MAX_ATTEMPTS", 2, 1, 10),
		PublicURL:   strings.TrimSuffix(r.str("BOOTY_PUBLIC_URL", ""), "/"),
	}
	if u, err := url.Parse(b.PublicURL); b.PublicURL != "" && (err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "") {
		r.bad("BOOTY_PUBLIC_URL", "must be the http(s) URL people reach booty's status page at, such as https://booty.example.com")
	}
	b.Command = r.argv("BOOTY_BUILDER_COMMAND", true)
	b.TestCommand = r.argv("BOOTY_TEST_COMMAND", false)
	for _, name := range strings.Split(r.str("BOOTY_BUILDER_ENV", ""), ",") {
		if name = strings.TrimSpace(name); name != "" {
			b.Env = append(b.Env, name)
		}
	}
	for _, g := range strings.Split(r.str("BOOTY_BUILDER_PROTECTED", ""), ",") {
		if g = strings.TrimSpace(g); g != "" {
			b.Protected = append(b.Protected, g)
		}
	}
	if !strings.Contains(b.GitURL, "{repo}") {
		r.bad("BOOTY_GIT_URL", "must name {repo} (and {owner} unless every repository has one owner), such as https://github.com/{owner}/{repo}.git")
	}
	return b
}

// argv reads a JSON list of strings: a command and its arguments.
func (r *reader) argv(name string, required bool) []string {
	v := strings.TrimSpace(r.str(name, ""))
	if v == "" {
		if required {
			r.bad(name, `required with BOOTY_BUILDER=command: a JSON list, such as ["claude", "-p"]`)
		}
		return nil
	}
	var argv []string
	if err := json.Unmarshal([]byte(v), &argv); err != nil || len(argv) == 0 || argv[0] == "" {
		r.bad(name, `must be a JSON list of strings, the command first, such as ["claude", "-p"]: never a shell string`)
		return nil
	}
	return argv
}

// policy reads the lifecycle's variables, each bad one its own error.
func (r *reader) policy() alert.Policy {
	p, err := alert.ParsePolicy(r.getenv)
	var es alert.PolicyErrors
	if errors.As(err, &es) {
		for _, e := range es {
			r.bad(e.Var, e.Value+": "+e.Msg)
		}
		return alert.DefaultPolicy()
	}
	return p
}

// budget reads a budget of new issues written ISSUES/WINDOW ("10/10m"):
// BOOTY_ROUTE_BUDGET is each route's unless the routes file says otherwise,
// BOOTY_STORM_BUDGET the global one. The bounds are wider than the routes
// file's, so that a test rig or a benchmark can lift the budget.
func (r *reader) budget(name string, def route.Budget) route.Budget {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	const usage = "must be ISSUES/WINDOW, such as 10/10m: from 1 to 1000000 new issues in a window from 1m to 24h"
	n, per, ok := strings.Cut(strings.TrimSpace(v), "/")
	issues, err := strconv.Atoi(n)
	if !ok || err != nil || issues < 1 || issues > 1_000_000 {
		r.bad(name, usage)
		return def
	}
	d, err := time.ParseDuration(per)
	if err != nil || d < time.Minute || d > 24*time.Hour {
		r.bad(name, usage)
		return def
	}
	return route.Budget{Issues: issues, Per: d}
}

// codeMappings reads code mappings written STACK_ROOT=SOURCE_ROOT, comma
// separated ("app/=services/api/,webpack:///./src/=web/src/"): the
// default route's, and those of every route of a routes file that sets
// none. A root holds neither a comma nor an equals sign; either root may be
// empty, not both. Spaces around each entry and root are dropped.
func (r *reader) codeMappings(name string) []route.CodeMapping {
	v := r.str(name, "")
	if v == "" {
		return nil
	}
	var out []route.CodeMapping
	seen := map[string]bool{}
	for i, entry := range strings.Split(v, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		stack, source, ok := strings.Cut(entry, "=")
		if !ok {
			r.bad(name, fmt.Sprintf("entry %d, %q, is not STACK_ROOT=SOURCE_ROOT, such as app/=services/api/", i+1, clip(entry)))
			continue
		}
		m := route.CodeMapping{StackRoot: strings.TrimSpace(stack), SourceRoot: strings.TrimSpace(source)}
		if err := route.CheckCodeMapping(m); err != nil {
			r.bad(name, fmt.Sprintf("entry %d, %q: %v", i+1, clip(entry), err))
			continue
		}
		if seen[m.StackRoot] {
			r.bad(name, fmt.Sprintf("entry %d: the stack root %q is mapped twice", i+1, clip(m.StackRoot)))
			continue
		}
		seen[m.StackRoot] = true
		out = append(out, m)
	}
	return out
}

// clip cuts a value quoted in an error, so that a long one cannot flood it.
func clip(s string) string {
	if r := []rune(s); len(r) > 80 {
		return string(r[:79]) + "…"
	}
	return s
}

// routes reads the routes file at path, or builds the one default route
// without one. Each problem in the file is its own error, named after name
// (the variable or flag that gave the path) and carrying the file's name,
// line and column.
func (r *reader) routes(name, path string, d route.Defaults) *route.Table {
	if path == "" {
		return route.Default(d)
	}
	d.File = path
	data, err := readLimited(path, route.MaxFileSize)
	if err != nil {
		r.bad(name, err.Error())
		return nil
	}
	t, err := route.Parse(data, d)
	if err != nil {
		var es route.Errors
		if !errors.As(err, &es) {
			r.bad(name, err.Error())
			return nil
		}
		for _, e := range es {
			r.bad(name, e.Error())
		}
		return nil
	}
	return t
}

// readLimited reads the file at path, or max+1 bytes of it when it is
// larger, which is enough for the parser to say it is too large.
func readLimited(path string, max int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, unwrapPath(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(max)+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, unwrapPath(err))
	}
	return data, nil
}

// unwrapPath drops the *os.PathError around err, whose path the caller
// already names.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// loadGitHubIdentity reads how booty authenticates to GitHub: a token, or
// a GitHub App's id and private key. Both at once is refused rather than
// one chosen: booty finds its own issues again by who filed them, so an
// identity it did not mean to use would lose track of them.
func (c *Config) loadGitHubIdentity(r *reader) {
	pemKey := r.secret("GITHUB_APP_PRIVATE_KEY")
	id := r.str("GITHUB_APP_ID", "")
	keyVar := "GITHUB_APP_PRIVATE_KEY"
	if strings.TrimSpace(r.getenv(keyVar+"_FILE")) != "" {
		keyVar += "_FILE"
	}
	keyGiven := strings.TrimSpace(r.getenv("GITHUB_APP_PRIVATE_KEY")) != "" || keyVar != "GITHUB_APP_PRIVATE_KEY"
	app := GitHubApp{KeyPEM: pemKey}
	if id != "" {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || n <= 0 {
			// Not quoted: a key pasted into the wrong variable would
			// be printed.
			r.bad("GITHUB_APP_ID", "must be the GitHub App's id: the number its settings page shows as App ID (not its client id)")
		}
		app.ID = n
	}
	if pemKey != "" {
		key, err := parseAppKey(pemKey)
		if err != nil {
			r.bad(keyVar, err.Error())
		}
		app.Key = key
	}
	if app.ID > 0 && app.Key != nil {
		c.GitHubApp = &app
	}
	appSet := id != "" || keyGiven
	switch {
	case id != "" && !keyGiven:
		r.bad("GITHUB_APP_PRIVATE_KEY", "required with GITHUB_APP_ID: the App's private key, or GITHUB_APP_PRIVATE_KEY_FILE naming its .pem file")
	case id == "" && keyGiven:
		r.bad("GITHUB_APP_ID", "required with "+keyVar+": the number the App's settings page shows as App ID")
	}
	switch {
	case c.GitHubToken != "" && appSet:
		r.bad("GITHUB_TOKEN", "set either GITHUB_TOKEN or a GitHub App (GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY), not both: "+
			"booty finds its own issues by who filed them, so it files as one identity")
	case c.GitHubToken == "" && !appSet && !c.DryRun:
		r.bad("GITHUB_TOKEN", "required unless BOOTY_DRY_RUN=true: set GITHUB_TOKEN, or GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY to file as a GitHub App")
	}
}

// parseAppKey reads a GitHub App's private key: a PEM block, PKCS#1 ("RSA
// PRIVATE KEY", as GitHub hands it out) or PKCS#8 ("PRIVATE KEY"). A key
// on one line with its line breaks written as \n, as an environment file
// holds it, is read too, and so are quotes around it that an environment
// file passed on (Docker's keeps them). Errors never quote the key.
func parseAppKey(s string) (*rsa.PrivateKey, error) {
	s = strings.TrimSpace(s)
	if n := len(s); n >= 2 && (s[0] == '"' && s[n-1] == '"' || s[0] == '\'' && s[n-1] == '\'') {
		s = s[1 : n-1]
	}
	if !strings.Contains(s, "\n") {
		s = strings.ReplaceAll(s, `\n`, "\n")
	}
	block, _ := pem.Decode([]byte(s))
	switch {
	case block == nil && strings.Contains(s, "-----BEGIN") && !strings.Contains(s, "\n"):
		return nil, errors.New(`has no line breaks: write each as \n, and in a systemd environment file put the value ` +
			`in double quotes (unquoted, systemd drops the backslash of \n)`)
	case block == nil:
		return nil, errors.New("is not a PEM private key: give the whole .pem file the App's settings page downloads, " +
			"from its -----BEGIN line to its -----END line")
	}
	if block.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED") {
		return nil, errors.New("is encrypted: booty needs the key without a passphrase, as GitHub hands it out")
	}
	var (
		key any
		err error
	)
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "PUBLIC KEY", "RSA PUBLIC KEY":
		return nil, errors.New("is a public key: booty needs the App's private key")
	default:
		return nil, fmt.Errorf("is a PEM %q block, not an RSA private key", block.Type)
	}
	if err != nil {
		// x509's message is left out: it may describe the key's bytes.
		return nil, fmt.Errorf("holds a %s block that does not parse as a private key", block.Type)
	}
	rsaKey, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("is not an RSA key: GitHub Apps sign their tokens with RSA keys")
	}
	return rsaKey, nil
}

// duration reads a Go duration ("1s", "500ms", "0") from min to max.
func (r *reader) duration(name string, def, min, max time.Duration) time.Duration {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < min || d > max {
		r.bad(name, fmt.Sprintf("%q is not a Go duration (such as 500ms, 1s or 720h) from %s to %s", v, min, max))
		return def
	}
	return d
}

// ParseRepo accepts "OWNER/REPO", "https://github.com/OWNER/REPO" (also a
// GitHub Enterprise host), with or without a trailing ".git" or slash.
func ParseRepo(s string) (owner, name string, err error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return "", "", errors.New("not a repository URL")
		}
		s = u.Path
	}
	s = strings.TrimSuffix(strings.Trim(s, "/"), ".git")
	parts := strings.Split(s, "/")
	if len(parts) != 2 || !validRepoPart(parts[0]) || !validRepoPart(parts[1]) {
		return "", "", errors.New("must name one repository: OWNER/REPO or https://github.com/OWNER/REPO")
	}
	return parts[0], parts[1], nil
}

// repoHost returns the host of a TARGET_REPO_URL, or "" for OWNER/REPO.
func repoHost(s string) string {
	if !strings.Contains(s, "://") {
		return ""
	}
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// repoOnAPIHost reports whether a repository URL's host is one booty can
// file into through an API on apiHost. github.com is always accepted, since
// the API may be a proxy or a stand-in for it; otherwise the repository must
// be on the API's own host (GitHub Enterprise Server: HOST and
// https://HOST/api/v3/) or the web host of an api.HOST API (GitHub
// Enterprise Cloud with data residency).
func repoOnAPIHost(host, apiHost string) bool {
	apiHost = strings.ToLower(apiHost)
	switch host {
	case "", "github.com", "www.github.com", apiHost:
		return true
	}
	return "api."+host == apiHost
}

// parseMinSeverity accepts the five level names Sentry shows, in any case.
// The aliases its SDKs send ("warn", "critical", "log") are refused here:
// a threshold is written once, and one spelling per level keeps it
// recognisable.
func parseMinSeverity(s string) (alert.Severity, bool) {
	for _, sev := range []alert.Severity{alert.SeverityDebug, alert.SeverityInfo, alert.SeverityWarning, alert.SeverityError, alert.SeverityFatal} {
		if strings.EqualFold(s, sev.String()) {
			return sev, true
		}
	}
	return 0, false
}

// CheckDatabaseURL accepts what serve can open: a sqlite:PATH whose
// directory exists (the store would create missing directories, so a typo
// in the path would otherwise become a new, empty database), or a
// postgres:// URL of a host. Whether the server answers is for serve and
// check-config to find out. migrate-store checks its --from and --to
// with it.
func CheckDatabaseURL(s string) error {
	driver, path, err := ParseDatabaseURL(s)
	if err != nil {
		return err
	}
	if driver == "postgres" {
		// url.Parse quotes the whole value, password and all, in its
		// errors: say what is wrong without it.
		u, err := url.Parse(s)
		switch {
		case err != nil:
			return errors.New("is not a valid postgres:// URL (check the escaping of special characters in the password)")
		case u.Hostname() == "" && u.Query().Get("host") == "":
			return errors.New("names no host; use postgres://USER:PASSWORD@HOST:PORT/DATABASE")
		}
		return nil
	}
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	switch {
	case err != nil:
		return fmt.Errorf("the directory %s of the database file %s does not exist; create it first", dir, path)
	case !fi.IsDir():
		return fmt.Errorf("%s, where the database file would go, is not a directory", dir)
	}
	return nil
}

// validDSN checks the shape sentry-go accepts: an http(s) URL with a key
// as its user and a project id as its last path segment.
func validDSN(s string) bool {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User.Username() == "" || u.Hostname() == "" {
		return false
	}
	if p := u.Port(); p != "" && !validPort(p) {
		return false
	}
	path := strings.TrimPrefix(u.Path, "/")
	return path != "" && !strings.HasSuffix(path, "/")
}

func validPort(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 0 && n <= 65535
}

func validRepoPart(s string) bool {
	if s == "" || s == "." || s == ".." || len(s) > 100 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// ParseDatabaseURL splits BOOTY_DATABASE_URL into a driver ("sqlite" or
// "postgres") and what that driver opens. The store owns the format.
func ParseDatabaseURL(s string) (driver, dsn string, err error) {
	u, err := dburl.Parse(s)
	return u.Driver, u.DSN, err
}

type reader struct {
	getenv func(string) string
	errs   Errors
}

func (r *reader) bad(name, msg string) {
	r.errs = append(r.errs, Error{Var: name, Msg: msg})
}

func (r *reader) str(name, def string) string {
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return def
}

// secret reads NAME, or the file named by NAME_FILE (systemd credentials,
// Docker secrets). Setting both is a mistake worth reporting.
func (r *reader) secret(name string) string {
	v, file := r.getenv(name), r.getenv(name+"_FILE")
	if file == "" {
		return strings.TrimSpace(v)
	}
	if v != "" {
		r.bad(name, "set either "+name+" or "+name+"_FILE, not both")
		return ""
	}
	b, err := os.ReadFile(file)
	if err != nil {
		// Neither the path nor the content: an operator may have put
		// the secret itself in the variable by mistake.
		r.bad(name+"_FILE", "cannot read the file: "+errors.Unwrap(err).Error())
		return ""
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		r.bad(name+"_FILE", "the file is empty")
	}
	return s
}

func (r *reader) boolean(name string, def bool) bool {
	v := r.getenv(name)
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		r.bad(name, fmt.Sprintf("%q is not true or false", v))
		return def
	}
	return b
}

func (r *reader) integer(name string, def, min, max int) int {
	v := r.getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < min || n > max {
		r.bad(name, fmt.Sprintf("%q is not a whole number from %d to %d", v, min, max))
		return def
	}
	return n
}

func (r *reader) float(name string, def, min, max float64) float64 {
	v := r.getenv(name)
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	// !(f >= min && f <= max) also rejects NaN, which compares false with everything.
	if err != nil || !(f >= min && f <= max) {
		r.bad(name, fmt.Sprintf("%q is not a number from %g to %g", v, min, max))
		return def
	}
	return f
}

// DatabaseURL reads just BOOTY_DATABASE_URL, for the operator commands that
// need nothing else.
func DatabaseURL(getenv func(string) string) (string, error) {
	r := reader{getenv: getenv}
	u := r.str("BOOTY_DATABASE_URL", "sqlite:booty.db")
	if err := CheckDatabaseURL(u); err != nil {
		return "", Errors{{Var: "BOOTY_DATABASE_URL", Msg: err.Error()}}
	}
	return u, nil
}

// RouteTable reads just what the routes need, for routes test: the routes
// file at path (errors in it are named after --routes), else the one
// BOOTY_ROUTES_FILE names, else the default
// route; and the variables routes inherit (TARGET_REPO_URL, TRIGGER_LABEL,
// OBSV_MIN_SEVERITY, OBSV_COOLDOWN_HOURS, the budgets and
// BOOTY_CODE_MAPPINGS). Secrets are not needed, and
// TARGET_REPO_URL only when a route names no repo. It returns the table and
// the file it came from ("" for the default route).
func RouteTable(getenv func(string) string, path string) (*route.Table, string, error) {
	r := reader{getenv: getenv}
	var repo route.Repo
	if v := r.str("TARGET_REPO_URL", ""); v != "" {
		if owner, name, err := ParseRepo(v); err != nil {
			r.bad("TARGET_REPO_URL", err.Error())
		} else {
			repo = route.Repo{Owner: owner, Name: name}
		}
	}
	trigger, sev, cooldown := r.routeDefaults()
	name := "--routes"
	if path == "" {
		name, path = "BOOTY_ROUTES_FILE", r.str("BOOTY_ROUTES_FILE", "")
	}
	if path == "" && repo == (route.Repo{}) && len(r.errs) == 0 {
		r.bad("TARGET_REPO_URL", "required without a routes file: https://github.com/OWNER/REPO or OWNER/REPO")
	}
	if len(r.errs) > 0 {
		return nil, path, r.errs
	}
	t := r.routes(name, path, route.Defaults{Repo: repo, TriggerLabel: trigger, MinLevel: sev, Cooldown: cooldown,
		Budget:       r.budget("BOOTY_ROUTE_BUDGET", route.DefaultRouteBudget),
		Storm:        r.budget("BOOTY_STORM_BUDGET", route.DefaultStormBudget),
		CodeMappings: r.codeMappings("BOOTY_CODE_MAPPINGS")})
	if len(r.errs) > 0 {
		return nil, path, r.errs
	}
	return t, path, nil
}

// Listen reads just BOOTY_LISTEN, for the health command.
func Listen(getenv func(string) string) (string, error) {
	r := reader{getenv: getenv}
	addr := r.str("BOOTY_LISTEN", "127.0.0.1:8000")
	if _, port, err := net.SplitHostPort(addr); err != nil || !validPort(port) {
		return "", Errors{{Var: "BOOTY_LISTEN", Msg: "must be HOST:PORT, such as 127.0.0.1:8000"}}
	}
	return addr, nil
}

// WebhookSecret reads just SENTRY_WEBHOOK_SECRET (or its _FILE), for
// send-test-alert.
func WebhookSecret(getenv func(string) string) (string, error) {
	r := reader{getenv: getenv}
	s := r.secret("SENTRY_WEBHOOK_SECRET")
	if s == "" && len(r.errs) == 0 {
		r.bad("SENTRY_WEBHOOK_SECRET", "required: the client secret to sign with")
	}
	if len(r.errs) > 0 {
		return "", r.errs
	}
	return s, nil
}
