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
	return openOperatorStoreWith(ctx, getenv, stderr, store.Options{Access: store.Operate})
}

// openOperatorStoreWith is openOperatorStore with the store's options:
// migrate keeps the schema as it is until it has looked at it.
func openOperatorStoreWith(ctx context.Context, getenv func(string) string, stderr io.Writer, opts store.Options) (*store.Store, error) {
	dbURL, err := config.DatabaseURL(getenv)
	if err != nil {
		printConfigErrors(stderr, err)
		return nil, err
	}
	st, err := store.OpenWith(ctx, dbURL, opts)
	if err != nil {
		if errors.Is(err, store.ErrNoDatabase) && getenv("BOOTY_DATABASE_URL") == "" {
			err = fmt.Errorf("%w (BOOTY_DATABASE_URL is not set, so booty looked in the current directory; on the server run booty-ctl)", err)
		}
		fmt.Fprintf(stderr, "booty: %v\n", err)
		return nil, err
	}
	fmt.Fprintf(stderr, "booty: store %s\n", storeName(st))
	return st, nil
}

// storeName names st for the operator: the absolute path of an SQLite file,
// or the PostgreSQL host and database (never the password).
func storeName(st *store.Store) string {
	if st.Backend() != store.SQLite {
		return st.Location()
	}
	path := st.Path()
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return path
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
