// Command github-standin runs booty's GitHub REST API stand-in (package
// githubtest) as a process, so that a separately started booty can be
// pointed at it with GITHUB_API_URL for integration tests and rehearsals.
//
// Usage:
//
//	github-standin -listen 127.0.0.1:0 -token T -repo owner/name [-state FILE]
//	    [-app-id N -app-key FILE [-app-slug S] [-app-owners o1,o2]]
//
// The first line on stdout is the base URL, for example
// http://127.0.0.1:40123/. Logs go to stderr. With -state, the labels and
// issues are read from FILE at start (if it exists) and written back on
// SIGINT or SIGTERM. The stand-in is driven through its control endpoints
// (list the issues, close one, inject faults); github-standin --help lists
// them (githubtest.ControlHelp).
//
// With -app-id and -app-key it also stands in for a GitHub App: it checks
// the App's JWTs with the key's public half, finds its installations (one
// on the repository's owner, and one on each of -app-owners) and hands out
// installation tokens that work like -token.
package main

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
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
	appID := flags.Int64("app-id", 0, "serve a GitHub App with this id too (needs -app-key)")
	appKey := flags.String("app-key", "", "PEM file of the App's key, private (as booty's GITHUB_APP_PRIVATE_KEY_FILE) or public")
	appSlug := flags.String("app-slug", githubtest.DefaultAppSlug, "the App's slug: its issues are authored by SLUG[bot]")
	appOwners := flags.String("app-owners", "", "comma-separated accounts the App is installed on besides the repository's owner")
	gitRoot := flags.String("git-root", "", "directory holding the repository's git remote as OWNER/NAME.git (a bare repository), served at URL/OWNER/NAME.git")
	flags.Usage = func() {
		out := flags.Output()
		fmt.Fprint(out, `usage: github-standin -repo owner/name [-listen ADDR] [-token T] [-login L] [-state FILE]
                      [-app-id N -app-key FILE [-app-slug S] [-app-owners o1,o2]] [-git-root DIR]

Serves a stand-in of GitHub's REST API for one repository, for trying booty
end to end: point booty's GITHUB_API_URL at the URL printed on stdout, with
GITHUB_TOKEN set to -token and TARGET_REPO_URL to -repo, or GITHUB_APP_ID and
GITHUB_APP_PRIVATE_KEY_FILE set to -app-id and -app-key.

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
	opts := githubtest.Options{Token: *token, Owner: owner, Repo: name, Login: *login}
	if *gitRoot != "" {
		root, err := filepath.Abs(*gitRoot)
		if err != nil {
			fmt.Fprintf(stderr, "github-standin: -git-root: %v\n", err)
			return 2
		}
		if fi, err := os.Stat(filepath.Join(root, owner, name+".git")); err != nil || !fi.IsDir() {
			fmt.Fprintf(stderr, "github-standin: -git-root %s holds no %s/%s.git\n", *gitRoot, owner, name)
			return 2
		}
		opts.GitRoot = root
	}
	if *appID != 0 || *appKey != "" {
		app, err := loadApp(*appID, *appKey, *appSlug, owner, *appOwners)
		if err != nil {
			fmt.Fprintf(stderr, "github-standin: %v\n", err)
			return 2
		}
		opts.App = app
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if err := serve(ctx, log, stdout, *listen, *statePath, opts); err != nil {
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
	if opts.App != nil {
		owners := make([]string, len(opts.App.Installations))
		for i, in := range opts.App.Installations {
			owners[i] = in.Account
		}
		log.Info("serving a GitHub App", "app_id", opts.App.ID, "slug", opts.App.Slug, "installed_on", strings.Join(owners, ","))
	}

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

// loadApp reads the App the flags describe: its public key from keyPath,
// a private key's public half or a public key, and an installation on
// owner and on each of others.
func loadApp(id int64, keyPath, slug, owner, others string) (*githubtest.App, error) {
	if id <= 0 || keyPath == "" {
		return nil, errors.New("-app-id (a positive number) and -app-key go together")
	}
	b, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, fmt.Errorf("-app-key: %w", err)
	}
	pub, err := publicKey(b)
	if err != nil {
		return nil, fmt.Errorf("-app-key %s: %w", keyPath, err)
	}
	app := &githubtest.App{ID: id, Slug: slug, PublicKey: pub,
		Installations: []githubtest.Installation{{ID: githubtest.DefaultInstallationID, Account: owner}}}
	for o := range strings.SplitSeq(others, ",") {
		if o = strings.TrimSpace(o); o != "" && !strings.EqualFold(o, owner) {
			app.Installations = append(app.Installations, githubtest.Installation{
				ID: githubtest.DefaultInstallationID + int64(len(app.Installations)), Account: o})
		}
	}
	return app, nil
}

// publicKey returns the RSA public key of a PEM private key (PKCS#1 or
// PKCS#8) or public key (PKIX or PKCS#1).
func publicKey(b []byte) (*rsa.PublicKey, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(block.Bytes)
	default:
		return nil, fmt.Errorf("a PEM %q block, not an RSA key", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: does not parse", block.Type)
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return &k.PublicKey, nil
	case *rsa.PublicKey:
		return k, nil
	}
	return nil, errors.New("not an RSA key")
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
