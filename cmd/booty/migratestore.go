package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"booty/internal/config"
	"booty/internal/progress"
	"booty/internal/store"
	"booty/internal/store/dburl"
)

const migrateStoreAbout = `Copies the store --from names into the store --to names, each a URL as
BOOTY_DATABASE_URL takes it: typically an SQLite file into PostgreSQL when you
move to several replicas. It copies the problems, the counted events, the
delivery records and the GitHub jobs that have not finished, parked ones
included, with their ids; running jobs become available (nothing runs them on
the target yet), and completed ones stay behind.

Stop booty first: migrate-store refuses a store a booty serves (the serve lock
on SQLite, River's leader on PostgreSQL). The source is only read, and must be
at this booty's schema (booty migrate). The target is created (an SQLite file,
in a directory that exists; a PostgreSQL database must exist) or migrated,
must hold nothing, and gets everything in one transaction: after a failure it
is still empty, and running again is safe. Progress goes to stderr (a bar on
a terminal, a line now and then otherwise), the summary to stdout. Then point
BOOTY_DATABASE_URL at the target and start booty.
`

// migrateStore copies one store into another.
func migrateStore(ctx context.Context, args []string, _ func(string) string, stdout, stderr io.Writer) int {
	fs := newFlags("migrate-store", "--from URL --to URL", migrateStoreAbout)
	fromURL := fs.String("from", "", "the store to copy, such as sqlite:/var/lib/booty/booty.db")
	toURL := fs.String("to", "", "the empty store to copy into, such as postgres://booty:PASSWORD@db:5432/booty")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	for _, f := range []struct{ name, url string }{{"--from", *fromURL}, {"--to", *toURL}} {
		if f.url == "" {
			return usageError(fs, stderr, fmt.Errorf("missing %s", f.name))
		}
		if err := config.CheckDatabaseURL(f.url); err != nil {
			return usageError(fs, stderr, fmt.Errorf("%s: %v", f.name, err))
		}
	}

	from, err := store.OpenWith(ctx, *fromURL, store.Options{Access: store.Operate, KeepSchema: true})
	if err != nil {
		if errors.Is(err, store.ErrNoDatabase) {
			u, _ := dburl.Parse(*fromURL)
			err = fmt.Errorf("--from: no database at %s", u.Path())
		}
		fmt.Fprintf(stderr, "booty: %v\n", err)
		return 1
	}
	defer from.Close()
	to, err := store.OpenWith(ctx, *toURL, store.Options{})
	if err != nil {
		fmt.Fprintf(stderr, "booty: --to: %v\n", err)
		return 1
	}
	defer to.Close()

	fmt.Fprintf(stderr, "booty: copying %s to %s\n", storeName(from), storeName(to))
	var rows *progress.Reporter
	stats, err := store.Copy(ctx, from, to, func(done, total int) {
		if rows == nil { // the first call, at the start, gives the total
			rows = progress.New(stderr, total, "copying rows", progress.Line("booty: copied %d/%d rows"))
		}
		rows.Set(done)
	})
	if rows != nil {
		rows.Done()
	}
	if err != nil {
		fmt.Fprintf(stderr, "booty: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%d problems, %d events, %d deliveries, %d digests, %d runs, %d jobs (%d parked) copied\n",
		stats.Problems, stats.Events, stats.Deliveries, stats.Digests, stats.Runs, stats.Jobs, stats.Parked)
	fmt.Fprintf(stderr, "booty: %s is left as it was; point BOOTY_DATABASE_URL at %s and start booty\n", storeName(from), storeName(to))
	return 0
}
