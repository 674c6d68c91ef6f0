package store

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
)

// ErrInUse is returned when another booty already serves the database.
var ErrInUse = errors.New("in use by another booty")

// serveLock is the exclusive lock one serving booty holds on PATH.lock, next
// to the database, with its PID written inside for the next one to name.
// The lock file is never removed: deleting it would let a second process
// lock a new file while the first still holds the old one.
type serveLock struct {
	path string
	f    *os.File
	once sync.Once
}

// lockServe takes the serve lock of the database at dbPath, or says who
// holds it. The lock belongs to the open file, so the kernel drops it when
// the process dies, however it dies.
func lockServe(dbPath string) (*serveLock, error) {
	path := dbPath + ".lock"
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("lock store %s: %w", dbPath, err)
	}
	if err := tryLock(f); err != nil {
		holder := "another process"
		if b, rerr := os.ReadFile(path); rerr == nil {
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil {
				holder = "process " + strconv.Itoa(pid)
			}
		}
		f.Close()
		if errors.Is(err, errWouldBlock) {
			return nil, fmt.Errorf("open store %s: %w: %s holds %s; one booty serves one database", dbPath, ErrInUse, holder, path)
		}
		return nil, fmt.Errorf("lock store %s: %w", dbPath, err)
	}
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock store %s: %w", dbPath, err)
		}
	}
	return &serveLock{path: path, f: f}, nil
}

// release drops the lock; it is safe on a nil lock and more than once.
func (l *serveLock) release() {
	if l == nil {
		return
	}
	l.once.Do(func() { l.f.Close() })
}
