package storetest

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"booty/internal/store/dburl"
)

func TestPostgresAvailability(t *testing.T) {
	t.Parallel()
	const server = "postgres://booty@127.0.0.1:5432/postgres"
	for _, tt := range []struct {
		name      string
		serverURL string
		ci        string
		want      availability
	}{
		{name: "server given", serverURL: server, want: available},
		{name: "server given under CI", serverURL: server, ci: "true", want: available},
		{name: "no server", want: skipped},
		{name: "no server, CI=false", ci: "false", want: skipped},
		{name: "no server, CI=0", ci: "0", want: skipped},
		{name: "no server, CI not a boolean", ci: "jenkins", want: skipped},
		{name: "no server under CI=true", ci: "true", want: failed},
		{name: "no server under CI=1", ci: "1", want: failed},
		{name: "no server under CI=TRUE", ci: "TRUE", want: failed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := postgresAvailability(tt.serverURL, tt.ci); got != tt.want {
				t.Errorf("postgresAvailability(%q, %q) = %d, want %d", tt.serverURL, tt.ci, got, tt.want)
			}
		})
	}
}

// The messages must tell a developer how to run the cases, and CI why it failed.
func TestAvailabilityMessages(t *testing.T) {
	t.Parallel()
	for _, want := range []string{EnvPostgresURL, `eval "$(bash .ci/postgres.sh start)"`} {
		if !strings.Contains(skipMessage, want) {
			t.Errorf("skip message %q does not contain %q", skipMessage, want)
		}
	}
	for _, want := range []string{EnvPostgresURL, "CI must provide PostgreSQL", ".ci/run"} {
		if !strings.Contains(failMessage, want) {
			t.Errorf("fail message %q does not contain %q", failMessage, want)
		}
	}
}

var databaseNameRE = regexp.MustCompile(`^booty_[a-z0-9_]*[a-z0-9]_[a-z2-7]{10}$`)

func TestDatabaseName(t *testing.T) {
	t.Parallel()
	long := "TestVeryLong/" + strings.Repeat("abcdefghij", 20)
	for _, tt := range []struct {
		test string
		want string // the name without its random suffix
	}{
		{test: "TestStore", want: "booty_teststore"},
		{test: "TestStore/postgres", want: "booty_teststore_postgres"},
		{test: "TestStore/two words#01", want: "booty_teststore_two_words_01"},
		{test: "TestÉté/--x--", want: "booty_test_t_x"},
		{test: "Test_/_", want: "booty_test"},
		{test: long, want: ("booty_testverylong_" + strings.Repeat("abcdefghij", 20))[:63-11]},
	} {
		t.Run(tt.test, func(t *testing.T) {
			t.Parallel()
			got := databaseName(tt.test)
			if !databaseNameRE.MatchString(got) || len(got) > 63 {
				t.Errorf("databaseName(%q) = %q (%d bytes), want it to match %s in at most 63 bytes",
					tt.test, got, len(got), databaseNameRE)
			}
			if prefix := got[:len(got)-11]; prefix != tt.want {
				t.Errorf("databaseName(%q) = %q, want %q plus a suffix", tt.test, got, tt.want)
			}
			if again := databaseName(tt.test); again == got {
				t.Errorf("databaseName(%q) returned %q twice", tt.test, got)
			}
		})
	}
}

func TestParseServerURLRejects(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{"sqlite:booty.db", "host=127.0.0.1 user=booty", "mysql://u:secret@db/x", "postgres://u:secret@[::1"} {
		_, err := parseServerURL(raw)
		if err == nil {
			t.Errorf("parseServerURL(%q) succeeded, want an error", raw)
			continue
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("parseServerURL(%q) error %q shows the password", raw, err)
		}
	}
}

func TestSQLiteURL(t *testing.T) {
	t.Parallel()
	raw := SQLiteURL(t)
	u, err := dburl.Parse(raw)
	if err != nil {
		t.Fatalf("dburl.Parse(%q): %v", raw, err)
	}
	if u.Driver != dburl.SQLite || filepath.Base(u.DSN) != "booty.db" {
		t.Errorf("SQLiteURL = %q, parsed as %+v; want a sqlite URL of a booty.db", raw, u)
	}
	if _, err := os.Stat(filepath.Dir(u.DSN)); err != nil {
		t.Errorf("the database's directory: %v", err)
	}
	if _, err := os.Stat(u.DSN); !os.IsNotExist(err) {
		t.Errorf("%s exists before the store made it (stat: %v)", u.DSN, err)
	}
}

// TestBackends runs over every backend the way store tests do.
func TestBackends(t *testing.T) {
	t.Parallel()
	var names []string
	for _, b := range Backends() {
		names = append(names, b.Name)
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			raw := b.URL(t)
			u, err := dburl.Parse(raw)
			if err != nil {
				t.Fatalf("dburl.Parse(%q): %v", raw, err)
			}
			if u.Driver != b.Name {
				t.Errorf("%s backend's URL %q is for %s", b.Name, raw, u.Driver)
			}
		})
	}
	if got, want := strings.Join(names, ","), "sqlite,postgres"; got != want {
		t.Errorf("Backends() = %s, want %s", got, want)
	}
}

// connect opens a connection to the database url names, closed at t's cleanup.
func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// databaseOf returns the database a URL from PostgresURL names.
func databaseOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(u.Path, "/")
}

// databaseExists reports whether server holds the database name.
func databaseExists(t *testing.T, server *url.URL, name string) bool {
	t.Helper()
	pool, err := adminPool(server)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := pool.QueryRow(t.Context(), "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatalf("look up database %s: %v", name, err)
	}
	return n == 1
}

func TestPostgresURLEmptyDatabase(t *testing.T) {
	t.Parallel()
	server := serverURL(t)
	raw := PostgresURL(t)
	name := databaseOf(t, raw)
	if !databaseNameRE.MatchString(name) {
		t.Errorf("database %q does not match %s", name, databaseNameRE)
	}
	got, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got.User.String() != server.User.String() || got.Host != server.Host || got.RawQuery != server.RawQuery {
		t.Errorf("PostgresURL = %q, want the user, host and parameters of %q", got.Redacted(), server.Redacted())
	}

	conn := connect(t, raw)
	var current string
	if err := conn.QueryRow(t.Context(), "SELECT current_database()").Scan(&current); err != nil {
		t.Fatal(err)
	}
	if current != name {
		t.Errorf("connected to database %q, want %q", current, name)
	}
	rows, err := conn.Query(t.Context(), `
		SELECT n.nspname || '.' || c.relname
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
		UNION ALL
		SELECT nspname FROM pg_namespace
		WHERE nspname NOT IN ('public', 'pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\_%'`)
	if err != nil {
		t.Fatal(err)
	}
	objects, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if len(objects) > 0 {
		t.Errorf("new database holds %v, want it empty", objects)
	}
}

func TestPostgresURLDroppedAtCleanup(t *testing.T) {
	t.Parallel()
	server := serverURL(t)
	var (
		name string
		left *pgx.Conn // open past the subtest's cleanup, as a leaked store's would be
	)
	t.Run("test", func(t *testing.T) {
		raw := PostgresURL(t)
		name = databaseOf(t, raw)
		var err error
		if left, err = pgx.Connect(t.Context(), raw); err != nil {
			t.Fatalf("connect: %v", err)
		}
		if !databaseExists(t, server, name) {
			t.Errorf("database %s does not exist during the test", name)
		}
	})
	if left != nil {
		defer left.Close(context.Background())
	}
	if name == "" {
		t.Fatal("the subtest made no database")
	}
	if databaseExists(t, server, name) {
		t.Errorf("database %s still exists after its test's cleanup", name)
	}
	if left != nil && left.Ping(t.Context()) == nil {
		t.Errorf("a connection to the dropped database %s still works", name)
	}
}

func TestPostgresURLParallelCallers(t *testing.T) {
	t.Parallel()
	server := serverURL(t)
	var (
		mu    sync.Mutex
		names []string
	)
	t.Run("callers", func(t *testing.T) {
		// Both names come out as booty_..._same_name_: only the suffix tells them apart.
		for _, caller := range []string{"same name", "same_name"} {
			t.Run(caller, func(t *testing.T) {
				t.Parallel()
				name := databaseOf(t, PostgresURL(t))
				mu.Lock()
				names = append(names, name)
				mu.Unlock()
				if !databaseExists(t, server, name) {
					t.Errorf("database %s does not exist during the test", name)
				}
			})
		}
	})
	if len(names) != 2 || names[0] == names[1] {
		t.Fatalf("parallel callers got databases %q, want two different ones", names)
	}
	for _, name := range names {
		if databaseExists(t, server, name) {
			t.Errorf("database %s still exists after its test's cleanup", name)
		}
	}
}
