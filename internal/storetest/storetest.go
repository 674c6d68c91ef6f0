// Package storetest gives tests the store backends to run over: a new SQLite
// file, or a new, empty database on the PostgreSQL server that
// BOOTY_TEST_POSTGRES_URL names, dropped when the test ends. Only tests
// import it.
//
//	for _, b := range storetest.Backends() {
//		t.Run(b.Name, func(t *testing.T) {
//			t.Parallel()
//			url := b.URL(t)
//			…
//		})
//	}
//
// Without BOOTY_TEST_POSTGRES_URL the PostgreSQL cases are skipped, except
// under CI=true, where they fail: CI must run them. `eval "$(bash
// .ci/postgres.sh start)"` starts a throwaway server and sets the variable.
package storetest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"booty/internal/store/dburl"
)

// EnvPostgresURL names the variable that holds the URL of the PostgreSQL
// server the tests create their databases on, as a user allowed to create
// and drop databases (.ci/postgres.sh start prints it).
const EnvPostgresURL = "BOOTY_TEST_POSTGRES_URL"

// Backend is one store backend the tests run over.
type Backend struct {
	// Name is the backend's driver, "sqlite" or "postgres" (dburl.SQLite,
	// dburl.Postgres): the name of its subtest.
	Name string
}

// Backends returns every store backend, SQLite first, for a test to run
// each of its cases over both.
func Backends() []Backend {
	return []Backend{{Name: dburl.SQLite}, {Name: dburl.Postgres}}
}

// URL returns a BOOTY_DATABASE_URL naming a new, empty database of the
// backend, for t alone and removed at t's cleanup. For PostgreSQL it skips
// or fails t as PostgresURL does.
func (b Backend) URL(t testing.TB) string {
	t.Helper()
	switch b.Name {
	case dburl.SQLite:
		return SQLiteURL(t)
	case dburl.Postgres:
		return PostgresURL(t)
	}
	t.Fatalf("storetest: unknown backend %q", b.Name)
	return ""
}

// SQLiteURL returns a BOOTY_DATABASE_URL for a database file, not yet
// created, in t's temporary directory.
func SQLiteURL(t testing.TB) string {
	t.Helper()
	return "sqlite:" + t.TempDir() + "/booty.db"
}

// PostgresURL creates an empty database on the server BOOTY_TEST_POSTGRES_URL
// names and returns that URL with the new database in place of the server's,
// for t alone; t's cleanup drops the database, closing whatever connections
// to it are left. The database's name is made of t's name and a random
// suffix. Without BOOTY_TEST_POSTGRES_URL it skips t, or fails it under
// CI=true.
func PostgresURL(t testing.TB) string {
	t.Helper()
	server := serverURL(t)
	name := databaseName(t.Name())
	ctx, cancel := context.WithTimeout(t.Context(), opTimeout)
	defer cancel()
	if err := createDatabase(ctx, server, name); err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(func() {
		// t's own context is over by now.
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		defer cancel()
		if err := dropDatabase(ctx, server, name); err != nil {
			t.Errorf("storetest: %v", err)
		}
	})
	return dburl.WithDatabase(server, name)
}

// opTimeout bounds one CREATE or DROP DATABASE, connecting included.
const opTimeout = 30 * time.Second

// availability is what PostgresURL does about a test.
type availability int

const (
	// available: the server is given, the case runs.
	available availability = iota
	// skipped: no server, on a developer's machine.
	skipped
	// failed: no server under CI, which must run every case.
	failed
)

// The messages a test is skipped or failed with when there is no server.
const (
	skipMessage = "storetest: " + EnvPostgresURL + " is not set, so the PostgreSQL cases are skipped; " +
		`to run them, start a throwaway server with eval "$(bash .ci/postgres.sh start)", ` +
		"run the tests, then bash .ci/postgres.sh stop"
	failMessage = "storetest: " + EnvPostgresURL + " is not set, but under CI=true the PostgreSQL cases " +
		"must run: CI must provide PostgreSQL (.ci/run starts one with .ci/postgres.sh)"
)

// postgresAvailability decides from BOOTY_TEST_POSTGRES_URL and CI, as the
// environment holds them, whether the PostgreSQL cases run, are skipped, or
// fail.
func postgresAvailability(serverURL, ci string) availability {
	if serverURL != "" {
		return available
	}
	if on, err := strconv.ParseBool(ci); err == nil && on {
		return failed
	}
	return skipped
}

// serverURL returns the parsed BOOTY_TEST_POSTGRES_URL, or skips or fails t.
func serverURL(t testing.TB) *url.URL {
	t.Helper()
	raw := os.Getenv(EnvPostgresURL)
	switch postgresAvailability(raw, os.Getenv("CI")) {
	case skipped:
		t.Skip(skipMessage)
	case failed:
		t.Fatal(failMessage)
	}
	u, err := parseServerURL(raw)
	if err != nil {
		t.Fatalf("storetest: %s: %v", EnvPostgresURL, err)
	}
	return u
}

// parseServerURL parses a postgres:// or postgresql:// URL.
func parseServerURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("not a URL") // url's error would repeat a password
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return nil, fmt.Errorf("%s is not a postgres:// URL", u.Redacted())
	}
	return u, nil
}

// The parts of a database name, whose length PostgreSQL limits to 63 bytes.
const (
	namePrefix = "booty_"
	suffixLen  = 10 // random base32 characters: 50 bits
	maxNameLen = 63
)

// databaseName returns a new database name for the test named test:
// "booty_", the test's name in lower case with every run of characters other
// than a-z and 0-9 made one "_" and cut to fit, then "_" and a random suffix.
// Two calls never return the same name, whatever test they name.
func databaseName(test string) string {
	var b strings.Builder
	b.WriteString(namePrefix)
	for _, r := range strings.ToLower(test) {
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			b.WriteRune(r)
		case !strings.HasSuffix(b.String(), "_"):
			b.WriteByte('_')
		}
	}
	name := b.String()
	name = name[:min(len(name), maxNameLen-1-suffixLen)]
	name = strings.TrimRight(name, "_")
	return name + "_" + strings.ToLower(rand.Text()[:suffixLen])
}

// createDatabase creates the database name on server. template0 keeps it
// empty whatever a developer's own server has added to template1.
func createDatabase(ctx context.Context, server *url.URL, name string) error {
	pool, err := adminPool(server)
	if err != nil {
		return err
	}
	if _, err := pool.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE template0"); err != nil {
		return fmt.Errorf("create database %s on %s: %w", name, server.Redacted(), err)
	}
	return nil
}

// dropDatabase drops the database name on server, if it is still there,
// ending the sessions still connected to it.
func dropDatabase(ctx context.Context, server *url.URL, name string) error {
	pool, err := adminPool(server)
	if err != nil {
		return err
	}
	if _, err := pool.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s on %s: %w", name, server.Redacted(), err)
	}
	return nil
}

// adminConns bounds the connections one test process holds for creating
// and dropping databases, however many tests run in parallel: every test
// package is a process of its own, and each test's store has a pool too.
const adminConns = 4

// admin holds a pool per server for the whole test process, so that a
// database costs a statement, not a new connection as well. Tests running
// in parallel share it; it is never closed, the process's exit ends it.
var admin struct {
	mu    sync.Mutex
	pools map[string]*pgxpool.Pool
}

// adminPool returns the process's pool for server, making it on first use.
// The pool connects lazily, at its first statement.
func adminPool(server *url.URL) (*pgxpool.Pool, error) {
	key := server.String()
	admin.mu.Lock()
	defer admin.mu.Unlock()
	if pool, ok := admin.pools[key]; ok {
		return pool, nil
	}
	cfg, err := pgxpool.ParseConfig(key)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvPostgresURL, err) // pgx masks the password
	}
	cfg.MaxConns = adminConns
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", server.Redacted(), err)
	}
	if admin.pools == nil {
		admin.pools = make(map[string]*pgxpool.Pool)
	}
	admin.pools[key] = pool
	return pool, nil
}
