// Package store keeps booty's durable state: problems, deliveries, and
// River's job tables, in one database so that a decision and the job that
// carries it out commit together. SQLite is the embedded default.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"booty/internal/config"
)

// ErrNotFound is returned when a row does not exist.
var ErrNotFound = errors.New("not found")

// Store is booty's database.
type Store struct {
	db     *sql.DB
	driver riverdriver.Driver[*sql.Tx]

	ops        chan *writeOp
	quit       chan struct{}
	writerDone chan struct{}
	closeOnce  sync.Once
}

// Open opens the database named by a BOOTY_DATABASE_URL value and brings its
// schema, booty's and River's, up to date.
func Open(ctx context.Context, databaseURL string) (*Store, error) {
	kind, dsn, err := config.ParseDatabaseURL(databaseURL)
	if err != nil {
		return nil, err
	}
	if kind != "sqlite" {
		return nil, fmt.Errorf("open store: %s is not supported yet; use sqlite:PATH", kind)
	}
	return openSQLite(ctx, dsn)
}

func openSQLite(ctx context.Context, path string) (*Store, error) {
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
	}
	// WAL lets readers run beside the writer. synchronous=FULL makes every
	// commit durable against power loss as well as crashes: an answered
	// alert must survive anything. _txlock=immediate takes the write lock
	// at BEGIN, so a transaction never fails half-way on a busy database.
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)" +
		"&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	// SQLite allows one writer; River's SQLite driver asks for one
	// connection so its own parallel work never meets SQLITE_BUSY.
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	s := &Store{db: db, driver: riversqlite.New(db),
		ops: make(chan *writeOp, maxBatch), quit: make(chan struct{}), writerDone: make(chan struct{})}
	if err := s.migrate(ctx, "sqlite"); err != nil {
		db.Close()
		return nil, err
	}
	go s.writer()
	return s, nil
}

// Close stops the writer and closes the database. Writes queued then fail
// with ErrClosed.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.quit)
		<-s.writerDone
	})
	return s.db.Close()
}

// DB returns the database handle, for River.
func (s *Store) DB() *sql.DB { return s.db }

// Driver returns the River driver over this store's database.
func (s *Store) Driver() riverdriver.Driver[*sql.Tx] { return s.driver }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping store: %w", err)
	}
	return nil
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
