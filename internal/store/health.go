package store

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrDatabaseLost is returned for every write once the database file was
// deleted or replaced under a running booty: what it would write could not
// be found again after a restart.
var ErrDatabaseLost = errors.New("database file lost")

// fileWatch notices a database file (or serve lock) deleted or replaced
// while the store has it open. SQLite keeps writing to the open file, which
// no one will ever read again. Two stats per check: cheap enough to run
// before every write batch.
type fileWatch struct {
	path, lockPath string
	db, lock       os.FileInfo

	mu   sync.Mutex
	lost error // latched: a replaced file stays lost until restart
}

func watchFile(path string, lock *serveLock) (*fileWatch, error) {
	w := &fileWatch{path: path}
	var err error
	if w.db, err = os.Stat(path); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if lock != nil {
		w.lockPath = lock.path
		if w.lock, err = lock.f.Stat(); err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
	}
	return w, nil
}

// check returns ErrDatabaseLost, with what happened, once the file at the
// path is not the file open; first is true the first time it says so.
func (w *fileWatch) check() (err error, first bool) {
	if w == nil {
		return nil, false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.lost != nil {
		return w.lost, false
	}
	if err := sameFile(w.path, w.db); err != nil {
		w.lost = fmt.Errorf("%w: %s %v", ErrDatabaseLost, w.path, err)
	} else if w.lock != nil {
		if err := sameFile(w.lockPath, w.lock); err != nil {
			w.lost = fmt.Errorf("%w: serve lock %s %v", ErrDatabaseLost, w.lockPath, err)
		}
	}
	return w.lost, w.lost != nil
}

func sameFile(path string, open os.FileInfo) error {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return errors.New("was deleted")
	}
	if err != nil {
		return err
	}
	if !os.SameFile(fi, open) {
		return errors.New("was replaced by another file")
	}
	return nil
}

// writeHealth is the verdict of the last write batch.
type writeHealth struct {
	mu  sync.Mutex
	err error
}

func (h *writeHealth) set(err error) {
	h.mu.Lock()
	h.err = err
	h.mu.Unlock()
}

func (h *writeHealth) get() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}

// WriteErr returns why writes fail now: the database file is lost, or the
// last write batch failed in the database itself (a full disk, an I/O
// error). It is nil once a later batch committed.
func (s *Store) WriteErr() error {
	if s.lite != nil {
		if err := s.lite.checkFile(); err != nil {
			return err
		}
	}
	return s.writes.get()
}

// isStorageErr reports whether err is the database failing to store, as
// opposed to one delivery's own mistake (a constraint, a callback's error).
func isStorageErr(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN,
		sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_PERM, sqlite3.SQLITE_NOMEM:
		return true
	}
	return false
}
