package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"booty/internal/config"
	"booty/internal/github"
)

// accessCheckTimeout bounds the one GitHub call check-config --github and
// serve's startup check make.
const accessCheckTimeout = 15 * time.Second

const checkConfigAbout = `Reads the configuration from the environment as serve does. On success it prints
every setting as read, secrets masked, and the routes of BOOTY_ROUTES_FILE, and
exits 0; otherwise it prints every bad variable, and every mistake in the routes
file with its line, and exits 1. With --github it also makes the GitHub call that
/health?deep=1 makes, so that a bad token or repository is found before a deploy.`

// checkConfig reports every configuration error, or the configuration as
// read.
func checkConfig(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := newFlags("check-config", "[--github]", checkConfigAbout)
	withGitHub := fs.Bool("github", false, "also check that GITHUB_TOKEN, or the GitHub App, may write issues to TARGET_REPO_URL")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		printConfigErrors(stderr, err)
		return 1
	}
	mode := "live"
	if cfg.DryRun {
		mode = "dry run"
	}
	fmt.Fprintf(stdout, "configuration ok: repo %s, store %s, listen %s, %s\n", cfg.Repo(), config.RedactDatabaseURL(cfg.DatabaseURL), cfg.Listen, mode)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	for _, s := range cfg.Settings() {
		fmt.Fprintf(tw, "  %s\t%s\n", s.Var, s.Value)
	}
	tw.Flush()
	printRoutes(stdout, stderr, cfg)
	if !*withGitHub {
		return 0
	}
	if cfg.GitHubToken == "" && cfg.GitHubApp == nil {
		fmt.Fprintln(stderr, "booty: config: GITHUB_TOKEN: --github needs a token or a GitHub App to check")
		return 1
	}
	if err := checkGitHubAccess(ctx, cfg); err != nil {
		fmt.Fprintf(stderr, "booty: github: %v\n", err)
		return 1
	}
	who := "the token"
	if cfg.GitHubApp != nil {
		who = fmt.Sprintf("the GitHub App %d", cfg.GitHubApp.ID)
	}
	fmt.Fprintf(stdout, "github ok: %s may write issues to %s through %s\n", who, strings.Join(routedRepos(cfg), ", "), cfg.GitHubAPIURL)
	return 0
}

// checkGitHubAccess makes the access check of /health?deep=1 once.
func checkGitHubAccess(ctx context.Context, cfg *config.Config) error {
	clients, err := newClients(cfg, &http.Client{Timeout: accessCheckTimeout}, buildVersion())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, accessCheckTimeout)
	defer cancel()
	return github.NewAccess(clients, accessRepos(cfg)...).CheckAccess(ctx)
}

// printRoutes lists the routes of the routes file in the order they are
// tried, and its warnings on stderr.
func printRoutes(stdout, stderr io.Writer, cfg *config.Config) {
	if cfg.RoutesFile == "" || cfg.Routes == nil {
		return
	}
	fmt.Fprintf(stdout, "routes of %s, first match wins:\n", cfg.RoutesFile)
	for i, r := range cfg.Routes.Routes {
		what := r.Repo.String()
		switch {
		case r.Drop:
			what = "drop"
		case len(r.Labels) > 0:
			what += ", labels " + strings.Join(r.Labels, ", ")
		}
		fmt.Fprintf(stdout, "  %d. %s → %s\n     matches %s\n", i+1, r, what, r.Conditions())
		if !r.Drop && len(r.CodeMappings) > 0 {
			fmt.Fprintf(stdout, "     code mappings %s\n", codeMappingList(r.CodeMappings))
		}
	}
	fmt.Fprintf(stdout, "  storm budget across all routes: %s\n", cfg.Routes.Storm)
	for _, w := range cfg.Routes.Warnings {
		fmt.Fprintf(stderr, "booty: config: BOOTY_ROUTES_FILE: %s\n", w.Error())
	}
}

// printConfigErrors prints each bad variable of a config error on its own
// line.
func printConfigErrors(w io.Writer, err error) {
	var es config.Errors
	if errors.As(err, &es) {
		for _, e := range es {
			fmt.Fprintf(w, "booty: config: %s\n", e.Error())
		}
		return
	}
	fmt.Fprintf(w, "booty: config: %v\n", err)
}
