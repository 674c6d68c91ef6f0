// Package store keeps booty's durable state: problems, deliveries, and
// River's job tables, in one database so that a decision and the job that
// carries it out commit together. SQLite is the embedded default.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"booty/internal/store/dburl"
)

// ErrNotFound is returned when a row does not exist.
var ErrNotFound = errors.New("not found")

// Store is booty's database.
type Store struct {
	db     *sql.DB
	driver riverdriver.Driver[*sql.Tx]
	log    *slog.Logger
	path   string

	file     *fileWatch  // nil for a database that is not a local file
	lock     *serveLock  // nil unless opened to serve
	writes   writeHealth // the verdict of the last write batch
	onCommit func(deliveries int)

	ops chan *writeOp
	// inFlight counts writes handed to the writer and not yet answered.
	inFlight   atomic.Int64
	quit       chan struct{}
	writerDone chan struct{}
	closeOnce  sync.Once
}

// Access says what an opener may do to the database file.
type Access int

const (
	// Serve creates the database when it is missing, and holds the serve
	// lock for as long as the store is open: one serving booty per file.
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
}

// Open opens the database named by a BOOTY_DATABASE_URL value to serve (see
// Serve) and brings its schema, booty's and River's, up to date.
func Open(ctx context.Context, databaseURL string) (*Store, error) {
	return OpenWith(ctx, databaseURL, Options{})
}

// OpenWith opens the database named by a BOOTY_DATABASE_URL value as opts
// say and brings its schema up to date.
func OpenWith(ctx context.Context, databaseURL string, opts Options) (*Store, error) {
	u, err := dburl.Parse(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if u.Driver != dburl.SQLite {
		return nil, fmt.Errorf("open store: %s is not supported yet; use sqlite:PATH", u.Driver)
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return openSQLite(ctx, u.Path(), opts)
}

// ErrNoDatabase is returned by an Operate open when the database file does
// not exist.
var ErrNoDatabase = errors.New("no database")

func openSQLite(ctx context.Context, path string, opts Options) (_ *Store, err error) {
	s := &Store{path: path, log: opts.Log, onCommit: opts.OnCommit,
		ops: make(chan *writeOp, maxBatch), quit: make(chan struct{}), writerDone: make(chan struct{})}
	switch opts.Access {
	case Operate:
		if _, err := os.Stat(path); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("open store %s: %w there; set BOOTY_DATABASE_URL to the serving booty's sqlite:PATH", path, ErrNoDatabase)
			}
			return nil, fmt.Errorf("open store: %w", err)
		}
	default:
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("open store: %w", err)
			}
		}
		// The lock comes before the database is even opened: a second
		// serve must not migrate, requeue or run a single job.
		if s.lock, err = lockServe(path); err != nil {
			return nil, err
		}
		defer func() {
			if err != nil {
				s.lock.release()
			}
		}()
	}
	// WAL lets readers run beside the writer. synchronous=FULL makes every
	// commit durable against power loss as well as crashes: an answered
	// alert must survive anything. _txlock=immediate takes the write lock
	// at BEGIN, so a transaction never fails half-way on a busy database.
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)" +
		"&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=immediate"
	if opts.Access == Operate {
		// Even a race with a deletion must not create an empty store.
		dsn += "&mode=rw"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	// SQLite allows one writer; River's SQLite driver asks for one
	// connection so its own parallel work never meets SQLITE_BUSY.
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	s.db, s.driver = db, riversqlite.New(db)
	if err := s.migrate(ctx, "sqlite"); err != nil {
		db.Close()
		return nil, err
	}
	if s.file, err = watchFile(path, s.lock); err != nil {
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
	err := s.db.Close()
	s.lock.release()
	return err
}

// Path returns the database file, for the operator to see which store a
// command opened.
func (s *Store) Path() string { return s.path }

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
