// Command github-standin runs booty's GitHub REST API stand-in (package
// githubtest) as a process, so that a separately started booty can be
// pointed at it with GITHUB_API_URL for integration tests and rehearsals.
//
// Usage:
//
//	github-standin -listen 127.0.0.1:0 -token T -repo owner/name [-state FILE]
//
// The first line on stdout is the base URL, for example
// http://127.0.0.1:40123/. Logs go to stderr. With -state, the labels and
// issues are read from FILE at start (if it exists) and written back on
// SIGINT or SIGTERM. The stand-in is driven through its control endpoints
// (list the issues, close one, inject faults); github-standin --help lists
// them (githubtest.ControlHelp).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"booty/internal/githubtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// state is the -state file: what a later run starts from.
type state struct {
	Labels []githubtest.Label `json:"labels"`
	Issues []githubtest.Issue `json:"issues"`
}

// run serves until ctx ends and returns the exit code: 0 after a clean
// shutdown, 1 on a runtime failure, 2 on bad usage.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("github-standin", flag.ContinueOnError)
	flags.SetOutput(stderr)
	listen := flags.String("listen", "127.0.0.1:0", "address to listen on")
	token := flags.String("token", "", "token every API request must carry (empty: accept any)")
	repo := flags.String("repo", "", "the one repository served, as owner/name")
	statePath := flags.String("state", "", "file to load issues from at start and save them to at exit")
	login := flags.String("login", githubtest.DefaultLogin, "login of the token's user (GET /user, author of the issues booty files)")
	flags.Usage = func() {
		out := flags.Output()
		fmt.Fprint(out, `usage: github-standin -repo owner/name [-listen ADDR] [-token T] [-login L] [-state FILE]

Serves a stand-in of GitHub's REST API for one repository, for trying booty
end to end: point booty's GITHUB_API_URL at the URL printed on stdout, with
GITHUB_TOKEN set to -token and TARGET_REPO_URL to -repo.

Flags:
`)
		flags.PrintDefaults()
		fmt.Fprint(out, "\n"+githubtest.ControlHelp+`
Example: list the issues booty filed, then close issue 1:
  curl -s http://ADDR/_standin/issues
  curl -s -X POST http://ADDR/_standin/issues/1/close
`)
	}
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "github-standin: unexpected arguments %q\n", flags.Args())
		flags.Usage()
		return 2
	}
	owner, name, ok := strings.Cut(*repo, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		fmt.Fprintf(stderr, "github-standin: -repo must be owner/name, got %q\n", *repo)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if err := serve(ctx, log, stdout, *listen, *statePath, githubtest.Options{Token: *token, Owner: owner, Repo: name, Login: *login}); err != nil {
		log.Error("github-standin failed", "err", err)
		return 1
	}
	return 0
}

func serve(ctx context.Context, log *slog.Logger, stdout io.Writer, addr, statePath string, opts githubtest.Options) error {
	if statePath != "" {
		st, err := loadState(statePath)
		if err != nil {
			return err
		}
		opts.Labels, opts.Issues = st.Labels, st.Issues
	}
	if opts.Token == "" {
		log.Warn("no -token: accepting requests with any credentials")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	s := githubtest.New(opts)
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		// Long enough for the Hang faults an operator injects.
		WriteTimeout: 10 * time.Minute,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	url := fmt.Sprintf("http://%s/", ln.Addr())
	if _, err := fmt.Fprintln(stdout, url); err != nil {
		ln.Close()
		return fmt.Errorf("print base URL: %w", err)
	}
	log.Info("serving", "url", url, "repo", opts.Owner+"/"+opts.Repo, "issues", len(opts.Issues))

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		s.Close()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	// Release hung requests first, or Shutdown would wait for them.
	s.Close()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Warn("shutdown", "err", err)
	}
	if statePath != "" {
		if err := saveState(statePath, state{Labels: s.Labels(), Issues: s.Issues()}); err != nil {
			return err
		}
		log.Info("state saved", "file", statePath)
	}
	return nil
}

func loadState(path string) (state, error) {
	var st state
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("read state: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("parse state %s: %w", path, err)
	}
	return st, nil
}

// saveState writes through a temporary file and a rename so that an
// interrupted save leaves the previous state whole.
func saveState(path string, st state) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("save state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	return nil
}
