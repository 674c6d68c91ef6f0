//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package store

import (
	"errors"
	"os"
)

var errWouldBlock = errors.New("lock held")

// tryLock fails where booty knows no advisory lock: serving without one
// could run two booty processes on one database.
func tryLock(*os.File) error {
	return errors.New("no file locking on this system; booty serves on Linux and macOS")
}
