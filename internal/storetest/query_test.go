package storetest

import (
	"database/sql"
	"testing"

	"github.com/google/go-cmp/cmp"

	"booty/internal/store"
)

var _ Store = (*store.Store)(nil)

// TestQuery runs the same statements through Exec and Query on a store of
// each backend.
func TestQuery(t *testing.T) {
	t.Parallel()
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			st, err := store.Open(t.Context(), b.URL(t))
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			t.Cleanup(func() { st.Close() })
			Exec(t, st, `CREATE TABLE probe (id BIGINT PRIMARY KEY, name TEXT NOT NULL, n BIGINT)`)
			if n := Exec(t, st, `INSERT INTO probe VALUES ($1, $2, $3), ($4, $5, NULL)`, 1, "one", 10, 2, "two"); n != 2 {
				t.Errorf("Exec inserted %d rows, want 2", n)
			}
			if diff := cmp.Diff([]string{"one", "two"}, Strings(t, st, `SELECT name FROM probe ORDER BY id`)); diff != "" {
				t.Errorf("Strings (-want +got):\n%s", diff)
			}
			if got := Strings(t, st, `SELECT name FROM probe WHERE id > $1`, 5); len(got) != 0 {
				t.Errorf("Strings of no rows: got %q, want none", got)
			}
			var ns []sql.NullInt64
			Query(t, st, `SELECT n FROM probe ORDER BY id`, nil, func(scan func(...any)) {
				var n sql.NullInt64
				scan(&n)
				ns = append(ns, n)
			})
			if diff := cmp.Diff([]sql.NullInt64{{Int64: 10, Valid: true}, {}}, ns); diff != "" {
				t.Errorf("Query (-want +got):\n%s", diff)
			}
			var count int
			QueryRow(t, st, `SELECT count(*) FROM probe WHERE name = $1`, []any{"two"}, &count)
			if count != 1 {
				t.Errorf("QueryRow: got %d, want 1", count)
			}
		})
	}
}
