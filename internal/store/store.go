// Package store keeps booty's durable state: problems, deliveries, the
// GitHub write budget and River's job tables, in one database so that a
// decision and the job that carries it out commit together. SQLite is the
// embedded default (one process per file); PostgreSQL is the shared store
// that any number of booty replicas may use at once.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver"

	"booty/internal/store/dburl"
)

// ErrNotFound is returned when a row does not exist.
var ErrNotFound = errors.New("not found")

// Backend names a store's database engine.
type Backend string

// The backends.
const (
	SQLite   Backend = dburl.SQLite
	Postgres Backend = dburl.Postgres
)

// Store is booty's database.
type Store struct {
	backend Backend
	// db runs statements outside any transaction.
	db       conn
	log      *slog.Logger
	location string
	writes   writeHealth // the verdict of the last write
	onCommit func(deliveries int)

	lite *sqliteStore // SQLite only
	pg   *pgStore     // PostgreSQL only
}

// Access says what an opener may do to the database.
type Access int

const (
	// Serve creates the database when it is missing (an SQLite file), and
	// on SQLite holds the serve lock for as long as the store is open: one
	// serving booty per file.
	Serve Access = iota
	// Operate opens an existing database beside a serving booty, for the
	// operator commands: it never creates one and takes no serve lock.
	Operate
)

// Options tune OpenWith. The zero value serves.
type Options struct {
	// Access is Serve or Operate.
	Access Access
	// Log receives the store's own error lines (a lost database file); nil
	// discards them.
	Log *slog.Logger
	// OnCommit, when set, is called after each write transaction commits
	// with the number of deliveries it held.
	OnCommit func(deliveries int)
	// KeepSchema opens the database without migrating it, for commands
	// that must show it as it is (migrate --status).
	KeepSchema bool
}

// Open opens the database named by a BOOTY_DATABASE_URL value to serve (see
// Serve) and brings its schema, booty's and River's, up to date.
func Open(ctx context.Context, databaseURL string) (*Store, error) {
	return OpenWith(ctx, databaseURL, Options{})
}

// OpenWith opens the database named by a BOOTY_DATABASE_URL value as opts
// say and, unless opts.KeepSchema, brings its schema up to date.
func OpenWith(ctx context.Context, databaseURL string, opts Options) (*Store, error) {
	u, err := dburl.Parse(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	s := &Store{backend: Backend(u.Driver), log: opts.Log, onCommit: opts.OnCommit}
	if s.backend == Postgres {
		err = s.openPostgres(ctx, u.DSN, opts)
	} else {
		err = s.openSQLite(ctx, u.Path(), opts)
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Backend returns the store's database engine.
func (s *Store) Backend() Backend { return s.backend }

// Location names the database for the operator: the SQLite file, or the
// PostgreSQL host and database (never its password).
func (s *Store) Location() string { return s.location }

// Path returns the SQLite database file ("" on PostgreSQL).
func (s *Store) Path() string {
	if s.lite == nil {
		return ""
	}
	return s.lite.path
}

// DB returns the SQLite database handle (nil on PostgreSQL), for tests that
// reach under the store.
func (s *Store) DB() *sql.DB {
	if s.lite == nil {
		return nil
	}
	return s.lite.db
}

// SQLiteDriver returns River's driver over an SQLite store (nil otherwise).
func (s *Store) SQLiteDriver() riverdriver.Driver[*sql.Tx] {
	if s.lite == nil {
		return nil
	}
	return s.lite.driver
}

// PostgresDriver returns River's driver over a PostgreSQL store (nil
// otherwise).
func (s *Store) PostgresDriver() riverdriver.Driver[pgx.Tx] {
	if s.pg == nil {
		return nil
	}
	return s.pg.driver
}

// Pool returns the PostgreSQL connection pool (nil on SQLite), for tests
// that reach under the store.
func (s *Store) Pool() *pgxpool.Pool {
	if s.pg == nil {
		return nil
	}
	return s.pg.pool
}

// Close closes the database. On SQLite, writes queued then fail with
// ErrClosed.
func (s *Store) Close() error {
	if s.lite != nil {
		return s.lite.close()
	}
	s.pg.pool.Close()
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.db.queryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping store: %w", err)
	}
	return nil
}

// Tx is one write transaction: a delivery's share of a group commit on
// SQLite, a transaction of its own on PostgreSQL. Its methods hold all of
// booty's SQL for the decision of one delivery.
type Tx struct {
	conn
	backend Backend
	lite    *sql.Tx
	pg      pgx.Tx
	// shared is the op's share of a transaction shared by one problem's
	// decisions on PostgreSQL (TransactProblem), nil otherwise.
	shared *opConn
}

// SQLite returns the SQLite transaction (nil on PostgreSQL), for River's
// InsertTx.
func (tx *Tx) SQLite() *sql.Tx { return tx.lite }

// Postgres returns the PostgreSQL transaction (nil on SQLite), for River's
// InsertTx.
func (tx *Tx) Postgres() pgx.Tx {
	if tx.shared != nil {
		// A failure shows in the statements run on it.
		pg, _ := tx.shared.handOut()
		return pg
	}
	return tx.pg
}

// write runs a statement whose result no one reads but its error, what
// names the write for it. A transaction shared on PostgreSQL carries it to
// its next round trip, and reports its failure from there.
func (tx *Tx) write(ctx context.Context, what, query string, args ...any) error {
	if tx.shared != nil {
		return tx.shared.write(what, query, args)
	}
	if _, err := tx.exec(ctx, query, args...); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// Transact runs fn in a write transaction and returns once it committed
// (nil) or was rolled back. On SQLite the transaction is shared with the
// other writes waiting at the same moment (group commit: one fsync for all
// of them), under a savepoint of its own, so fn failing rolls back only
// fn's writes. On PostgreSQL fn may run more than once: when the
// transaction meets a concurrent one (a serialization failure, a deadlock,
// two replicas inserting one new problem), it is rolled back and run again.
// fn must therefore do nothing but database work through tx.
func (s *Store) Transact(ctx context.Context, fn func(tx *Tx) error) error {
	if s.lite != nil {
		return s.lite.write(ctx, func(sqlTx *sql.Tx) error {
			// fn runs on the writer, the statement cache's owner.
			return fn(&Tx{conn: detached{cachedConn{sqlTx, s.lite.stmts}}, backend: SQLite, lite: sqlTx})
		})
	}
	return s.pgTransact(ctx, fn)
}

// detached runs each statement whatever becomes of its context: on SQLite,
// a statement interrupted inside a transaction rolls back the whole shared
// transaction, neighbours' writes included.
type detached struct{ c conn }

func (d detached) exec(ctx context.Context, query string, args ...any) (int64, error) {
	return d.c.exec(context.WithoutCancel(ctx), query, args...)
}

func (d detached) queryRow(ctx context.Context, query string, args ...any) row {
	return d.c.queryRow(context.WithoutCancel(ctx), query, args...)
}

func (d detached) query(ctx context.Context, query string, args ...any) (rows, error) {
	return d.c.query(context.WithoutCancel(ctx), query, args...)
}

// forUpdate is the clause that locks the rows a select reads until the
// transaction ends: PostgreSQL needs it; SQLite has one writer, whose
// transaction already excludes every other.
func (tx *Tx) forUpdate() string {
	if tx.backend == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

func toMillis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
