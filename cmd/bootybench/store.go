package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // reads booty's delivery records

	"booty/internal/store/dburl"
)

// The stores a scenario runs on, as -store names them.
const (
	storeSQLite   = dburl.SQLite
	storePostgres = dburl.Postgres
	storeBoth     = "both"
)

// storesOf returns the stores a -store value names, in the order their
// scenarios run.
func storesOf(s string) ([]string, error) {
	switch s {
	case storeSQLite, storePostgres:
		return []string{s}, nil
	case storeBoth:
		return []string{storeSQLite, storePostgres}, nil
	}
	return nil, fmt.Errorf("-store must be %s, %s or %s, not %q", storeSQLite, storePostgres, storeBoth, s)
}

// pgOpTimeout bounds one administrative statement on the PostgreSQL
// server, connecting included.
const pgOpTimeout = 30 * time.Second

// cluster is the PostgreSQL server the postgres scenarios create their
// databases on: one given by URL, or one the benchmark started.
type cluster struct {
	server *url.URL
	// script and dir are set when the benchmark started the cluster with
	// .ci/postgres.sh, and stops it at the end.
	script, dir string
}

// openCluster returns the server at raw, or, when raw is empty, starts a
// throwaway one with the module's .ci/postgres.sh. Either way it checks
// that the server answers.
func openCluster(ctx context.Context, raw string) (*cluster, error) {
	c := &cluster{}
	if raw == "" {
		var err error
		if raw, err = c.start(ctx); err != nil {
			return nil, err
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		c.stop()
		return nil, errors.New("the PostgreSQL URL is not a URL") // url's error would repeat a password
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		c.stop()
		return nil, fmt.Errorf("%s is not a postgres:// URL", u.Redacted())
	}
	c.server = u
	if err := c.exec(ctx, "SELECT 1"); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

// start starts a cluster with .ci/postgres.sh start and returns its URL.
func (c *cluster) start(ctx context.Context) (string, error) {
	root, err := moduleRoot(ctx)
	if err != nil {
		return "", err
	}
	script := filepath.Join(root, ".ci", "postgres.sh")
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "bash", script, "start")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("start a PostgreSQL cluster with %s: %w\n%s", script, err, &stderr)
	}
	vars, err := parseExports(stdout.String())
	if err != nil {
		return "", fmt.Errorf("read what %s start printed: %w", script, err)
	}
	c.script, c.dir = script, vars["BOOTY_TEST_POSTGRES_DIR"]
	raw := vars["BOOTY_TEST_POSTGRES_URL"]
	if raw == "" || c.dir == "" {
		c.stop()
		return "", fmt.Errorf("%s start printed no BOOTY_TEST_POSTGRES_URL or BOOTY_TEST_POSTGRES_DIR:\n%s", script, &stdout)
	}
	return raw, nil
}

// stop stops the cluster if the benchmark started it. It runs at the end,
// when the run's context may be over, so it has a context of its own.
func (c *cluster) stop() error {
	if c == nil || c.dir == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	msg, err := exec.CommandContext(ctx, "bash", c.script, "stop", c.dir).CombinedOutput()
	c.dir = ""
	if err != nil {
		return fmt.Errorf("stop the PostgreSQL cluster: %w\n%s", err, msg)
	}
	return nil
}

// started says whether the benchmark started the cluster itself.
func (c *cluster) started() bool { return c.dir != "" }

// exec runs one statement on the server's own database.
func (c *cluster) exec(ctx context.Context, stmt string) error {
	ctx, cancel := context.WithTimeout(ctx, pgOpTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.server.String())
	if err != nil {
		return fmt.Errorf("connect to %s: %w", c.server.Redacted(), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, stmt); err != nil {
		return fmt.Errorf("%s on %s: %w", stmt, c.server.Redacted(), err)
	}
	return nil
}

// createDatabase creates a new, empty database for the scenario and
// returns its URL and its name. template0 keeps it empty whatever the
// server's template1 holds.
func (c *cluster) createDatabase(ctx context.Context, scenario string) (dbURL, name string, err error) {
	name = databaseName(scenario, rand.Text())
	if err := c.exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE template0"); err != nil {
		return "", "", err
	}
	return dburl.WithDatabase(c.server, name), name, nil
}

// dropDatabase drops the database name, ending the sessions still
// connected to it. It has a context of its own, for a run cut short.
func (c *cluster) dropDatabase(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), pgOpTimeout)
	defer cancel()
	return c.exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
}

// databaseName returns the name of a scenario's database: "bootybench_",
// the scenario's name with every character other than a-z and 0-9 made
// "_", and the first 8 characters of suffix (random) in lower case.
func databaseName(scenario, suffix string) string {
	var b strings.Builder
	b.WriteString("bootybench_")
	for _, r := range strings.ToLower(scenario) {
		if ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	b.WriteByte('_')
	b.WriteString(strings.ToLower(suffix[:min(len(suffix), 8)]))
	name := b.String()
	return name[:min(len(name), 63)] // PostgreSQL's limit
}

// moduleRoot returns the directory of the main module's go.mod.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == "/dev/null" {
		return "", errors.New("not inside booty's module: run the benchmark from the repository")
	}
	return filepath.Dir(gomod), nil
}

// parseExports reads the `export NAME='VALUE'` lines a shell script prints
// for eval, such as .ci/postgres.sh start's, and returns the values by name.
// Other lines are an error: the script said something it should not have.
func parseExports(out string) (map[string]string, error) {
	vars := map[string]string{}
	for line := range strings.Lines(out) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		rest, ok := strings.CutPrefix(line, "export ")
		name, value, ok2 := strings.Cut(rest, "=")
		if !ok || !ok2 || name == "" || strings.ContainsAny(name, " \t'\"") {
			return nil, fmt.Errorf("not an export line: %q", line)
		}
		v, err := shellUnquote(value)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		vars[name] = v
	}
	return vars, nil
}

// shellUnquote undoes the quoting of one shell word made of single-quoted
// runs and backslash escapes, as 'it'\”s' for it's.
func shellUnquote(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return "", errors.New("unterminated single quote")
			}
			b.WriteString(s[i+1 : i+1+end])
			i += end + 1
		case '\\':
			if i+1 == len(s) {
				return "", errors.New("trailing backslash")
			}
			i++
			b.WriteByte(s[i])
		case ' ', '\t', '"', '$', '`', ';', '&', '|':
			return "", fmt.Errorf("unquoted %q", s[i])
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), nil
}

// recordedRequests returns the Request-IDs in booty's delivery records in
// the database dbURL names, read without writing to it.
func recordedRequests(ctx context.Context, dbURL string) (map[string]bool, error) {
	u, err := dburl.Parse(dbURL)
	if err != nil {
		return nil, fmt.Errorf("read delivery records: %w", err)
	}
	var ids []string
	switch u.Driver {
	case dburl.SQLite:
		ids, err = sqliteRequests(ctx, u.Path())
	default:
		ids, err = postgresRequests(ctx, u.DSN)
	}
	if err != nil {
		return nil, fmt.Errorf("read delivery records: %w", err)
	}
	got := make(map[string]bool, len(ids))
	for _, id := range ids {
		got[id] = true
	}
	return got, nil
}

func sqliteRequests(ctx context.Context, path string) ([]string, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT request_id FROM booty_deliveries`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func postgresRequests(ctx context.Context, dsn string) ([]string, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, `SELECT request_id FROM booty_deliveries`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
