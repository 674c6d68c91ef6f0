package storetest

import (
	"context"
	"database/sql"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Store is what Exec and Query reach under: a *store.Store of either
// backend. (An interface, so that this package need not import the store.)
type Store interface {
	// DB is the SQLite database, nil on PostgreSQL.
	DB() *sql.DB
	// Pool is the PostgreSQL pool, nil on SQLite.
	Pool() *pgxpool.Pool
}

// Exec runs a statement on st's database, whichever its backend, and
// returns how many rows it affected. It fails t on an error. Both backends
// take $N placeholders, so one statement serves both where the SQL itself
// is common.
func Exec(t testing.TB, st Store, query string, args ...any) int64 {
	t.Helper()
	ctx := context.WithoutCancel(t.Context())
	if pool := st.Pool(); pool != nil {
		tag, err := pool.Exec(ctx, query, args...)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return tag.RowsAffected()
	}
	res, err := st.DB().ExecContext(ctx, query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// Query runs query on st's database and calls each with every row's scan
// in turn, failing t on an error. each must not query the store itself: on
// SQLite the store has one connection, which the rows hold.
func Query(t testing.TB, st Store, query string, args []any, each func(scan func(dest ...any))) {
	t.Helper()
	ctx := context.WithoutCancel(t.Context())
	var rs interface {
		Next() bool
		Scan(dest ...any) error
		Err() error
	}
	if pool := st.Pool(); pool != nil {
		rows, err := pool.Query(ctx, query, args...)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		defer rows.Close()
		rs = rows
	} else {
		rows, err := st.DB().QueryContext(ctx, query, args...)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		defer rows.Close()
		rs = rows
	}
	for rs.Next() {
		each(func(dest ...any) {
			t.Helper()
			if err := rs.Scan(dest...); err != nil {
				t.Fatalf("%s: scan: %v", query, err)
			}
		})
	}
	if err := rs.Err(); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// QueryRow runs query, which must return exactly one row, on st's database
// and scans that row into dest.
func QueryRow(t testing.TB, st Store, query string, args []any, dest ...any) {
	t.Helper()
	n := 0
	Query(t, st, query, args, func(scan func(dest ...any)) {
		n++
		if n == 1 {
			scan(dest...)
		}
	})
	if n != 1 {
		t.Fatalf("%s: got %d rows, want 1", query, n)
	}
}

// Strings returns the first and only column of query's rows, as text.
func Strings(t testing.TB, st Store, query string, args ...any) []string {
	t.Helper()
	var out []string
	Query(t, st, query, args, func(scan func(dest ...any)) {
		var s string
		scan(&s)
		out = append(out, s)
	})
	return out
}
