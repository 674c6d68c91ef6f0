package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"booty/internal/store"
)

const migrateAbout = `Applies booty's and River's schema migrations to the store BOOTY_DATABASE_URL
names, and prints each one it applied. booty serve does the same at startup;
run this to migrate before a deploy. PostgreSQL replicas that start meanwhile
wait for it and find nothing left to do. On SQLite, when there is something to
apply, it takes the serve lock and refuses while a booty serves the file. It
never creates a database.

With --status it changes nothing: it lists booty's migrations, applied (and
when) or pending, and River's schema version against the latest this booty
knows. It exits 0 when the schema is up to date, and 1 when something is
pending or the store cannot be read.
`

// migrate applies the schema migrations, or shows where they stand.
func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := newFlags("migrate", "[--status]", migrateAbout)
	status := fs.Bool("status", false, "show what is applied and what is pending, and change nothing; exit 1 when something is pending")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	st, err := openOperatorStoreWith(ctx, getenv, stderr, store.Options{Access: store.Operate, KeepSchema: true})
	if errors.Is(err, store.ErrNoDatabase) {
		fmt.Fprintln(stderr, "booty: so nothing is applied there; booty serve creates the database and applies every migration")
	}
	if err != nil {
		return 1
	}
	defer st.Close()
	before, err := st.Schema(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "booty: %v\n", err)
		return 1
	}
	if *status {
		printSchema(stdout, before)
		if before.Pending() {
			return 1
		}
		return 0
	}
	if !before.Pending() {
		fmt.Fprintln(stdout, "nothing to apply: the schema is up to date")
		return 0
	}
	if err := st.LockServe(); err != nil {
		fmt.Fprintf(stderr, "booty: %v; stop it first, or let the new booty migrate when it starts\n", err)
		return 1
	}
	if err := st.Migrate(ctx); err != nil {
		fmt.Fprintf(stderr, "booty: %v\n", err)
		return 1
	}
	after, err := st.Schema(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "booty: %v\n", err)
		return 1
	}
	pending := map[int]bool{}
	for _, m := range before.Booty {
		pending[m.Version] = m.AppliedAt.IsZero()
	}
	for _, m := range after.Booty {
		if pending[m.Version] && !m.AppliedAt.IsZero() {
			fmt.Fprintf(stdout, "applied %s\n", m.Name)
		}
	}
	if after.River > before.River {
		fmt.Fprintf(stdout, "applied River's schema: version %d to %d\n", before.River, after.River)
	}
	return 0
}

// printSchema prints where the schema stands: one line per migration of
// booty's, one for River's schema, and a verdict.
func printSchema(w io.Writer, st store.SchemaStatus) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCHEMA\tMIGRATION\tSTATUS")
	var pending []string
	for _, m := range st.Booty {
		state := "applied " + m.AppliedAt.UTC().Format(time.RFC3339)
		switch {
		case m.AppliedAt.IsZero():
			state = "pending"
			pending = append(pending, m.Name)
		case m.Unknown:
			state += " by a newer booty"
			m.Name = fmt.Sprintf("%03d", m.Version)
		}
		fmt.Fprintf(tw, "booty\t%s\t%s\n", m.Name, state)
	}
	river := "applied"
	switch {
	case st.River < st.RiverLatest:
		river = fmt.Sprintf("pending: this booty's is version %d", st.RiverLatest)
		pending = append(pending, "River's schema")
	case st.River > st.RiverLatest:
		river = fmt.Sprintf("applied by a newer booty: this booty's is version %d", st.RiverLatest)
	}
	fmt.Fprintf(tw, "river\tversion %d\t%s\n", st.River, river)
	tw.Flush()
	switch {
	case len(pending) > 0:
		fmt.Fprintf(w, "pending: %s; booty migrate applies them\n", strings.Join(pending, ", "))
	case st.Newer():
		fmt.Fprintln(w, "up to date, and newer than this booty")
	default:
		fmt.Fprintln(w, "up to date")
	}
}
