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
		printConfigErrors(stderr, err)
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
	where := st.Location()
	if st.Backend() == store.SQLite {
		if abs, err := filepath.Abs(where); err == nil {
			where = abs
		}
	}
	fmt.Fprintf(stderr, "booty: store %s\n", where)
	return st, nil
}

// parseArgs parses args with fs for an operator command that takes want
// positional arguments (-1: any number), answering --help, a bad flag or a
// wrong count the way parseFlags does.
func parseArgs(fs *flag.FlagSet, args []string, want int, stdout, stderr io.Writer) (code int, done bool) {
	if err := parseOnly(fs, args, stdout, stderr); err != nil {
		return exitCode(err), true
	}
	switch {
	case want < 0 || fs.NArg() == want:
		return 0, false
	case fs.NArg() > want:
		return usageError(fs, stderr, fmt.Errorf("unexpected argument %q", fs.Arg(want))), true
	default:
		return usageError(fs, stderr, errors.New("missing argument")), true
	}
}
