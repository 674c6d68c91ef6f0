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

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// ErrNoDatabase is returned by an Operate open when the database does not
// exist.
var ErrNoDatabase = errors.New("no database")

// sqliteStore is the SQLite half of a Store: one file, one connection, and
// the writer that group-commits every write.
type sqliteStore struct {
	db     *sql.DB
	driver riverdriver.Driver[*sql.Tx]
	path   string
	log    *slog.Logger
	health *writeHealth
	// onCommit is the Store's Options.OnCommit.
	onCommit func(deliveries int)

	file *fileWatch // nil for a database that is not a local file
	lock *serveLock // nil unless opened to serve

	ops chan *writeOp
	// stmts is the writer's prepared SQL.
	stmts *stmtCache
	// inFlight counts writes handed to the writer and not yet answered.
	inFlight   atomic.Int64
	quit       chan struct{}
	writerDone chan struct{}
	closeOnce  sync.Once
}

func (s *Store) openSQLite(ctx context.Context, path string, opts Options) (err error) {
	l := &sqliteStore{path: path, log: s.log, health: &s.writes, onCommit: opts.OnCommit,
		ops: make(chan *writeOp, maxBatch), quit: make(chan struct{}), writerDone: make(chan struct{})}
	switch opts.Access {
	case Operate:
		if _, err := os.Stat(path); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("open store %s: %w there; set BOOTY_DATABASE_URL to the serving booty's sqlite:PATH", path, ErrNoDatabase)
			}
			return fmt.Errorf("open store: %w", err)
		}
	default:
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return fmt.Errorf("open store: %w", err)
			}
		}
		// The lock comes before the database is even opened: a second
		// serve must not migrate, requeue or run a single job.
		if l.lock, err = lockServe(path); err != nil {
			return err
		}
		defer func() {
			if err != nil {
				l.lock.release()
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
		return fmt.Errorf("open store: %w", err)
	}
	// SQLite allows one writer; River's SQLite driver asks for one
	// connection so its own parallel work never meets SQLITE_BUSY.
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	// The connection opens lazily; open it now, so that a new file
	// exists (in WAL mode) even when nothing is migrated into it.
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return fmt.Errorf("open store %s: %w", path, err)
	}
	l.db, l.driver, l.stmts = db, riversqlite.New(db), newStmtCache(db)
	s.lite, s.db, s.location = l, sqlConn{db}, path
	if !opts.KeepSchema {
		if err := s.migrate(ctx); err != nil {
			db.Close()
			return err
		}
	}
	if l.file, err = watchFile(path, l.lock); err != nil {
		db.Close()
		return err
	}
	go l.writer()
	return nil
}

func (l *sqliteStore) close() error {
	l.closeOnce.Do(func() {
		close(l.quit)
		<-l.writerDone
		l.stmts.close()
	})
	err := l.db.Close()
	l.lock.release()
	return err
}

// LockServe takes the serve lock of an SQLite store opened to Operate and
// holds it until Close, as a serving booty does, for the operator commands
// that need the file to themselves (migrate, migrate-store): no booty can
// start serving it meanwhile. When a booty serves it already, the error
// wraps ErrInUse and names the process. A store that holds the lock
// already (opened to Serve) keeps it. On PostgreSQL it does nothing: any
// number of replicas share that store, and there is no lock to take.
func (s *Store) LockServe() error {
	if s.lite == nil || s.lite.lock != nil {
		return nil
	}
	lock, err := lockServe(s.lite.path)
	if err != nil {
		return err
	}
	s.lite.lock = lock
	return nil
}

// checkFile is the lost-file check, logging the first time it fails.
func (l *sqliteStore) checkFile() error {
	err, first := l.file.check()
	if first {
		l.log.Error("database file lost; refusing writes until booty restarts", "err", err)
	}
	return err
}
