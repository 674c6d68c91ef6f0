package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"booty/internal/config"
	"booty/internal/store"
)

// openOperatorStore opens the existing store BOOTY_DATABASE_URL names, for an
// operator command, and says on stderr which one it opened, so that stdout
// stays scriptable. It never creates a store: an empty one would answer
// every question with "nothing", which is a lie about the real one.
func openOperatorStore(ctx context.Context, getenv func(string) string, stderr io.Writer) (*store.Store, error) {
	dbURL, err := config.DatabaseURL(getenv)
	if err != nil {
		printProblems(stderr, err)
		return nil, err
	}
	st, err := store.OpenWith(ctx, dbURL, store.Options{Access: store.Operate})
	if err != nil {
		if errors.Is(err, store.ErrNoDatabase) && getenv("BOOTY_DATABASE_URL") == "" {
			err = fmt.Errorf("%w (BOOTY_DATABASE_URL is not set, so booty looked in the current directory; on the server run booty-ctl)", err)
		}
		fmt.Fprintf(stderr, "booty: %v\n", err)
		return nil, err
	}
	path := st.Path()
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	fmt.Fprintf(stderr, "booty: store %s\n", path)
	return st, nil
}

// newFlagSet returns the flag set of one command: errors go to stderr, and
// --help prints usage, which parse then answers with exit 0.
func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args with fs and, when it should stop, returns the exit
// code: 0 after --help, 2 for a bad flag or a wrong number of arguments
// (want of them, -1 for any).
func parseFlags(fs *flag.FlagSet, args []string, want int) (code int, stop bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, true
		}
		return 2, true
	}
	if want >= 0 && fs.NArg() != want {
		if fs.NArg() > want {
			fmt.Fprintf(fs.Output(), "booty %s: unexpected argument %q\n", fs.Name(), fs.Arg(want))
		} else {
			fmt.Fprintf(fs.Output(), "booty %s: missing argument\n", fs.Name())
		}
		fs.Usage()
		return 2, true
	}
	return 0, false
}
