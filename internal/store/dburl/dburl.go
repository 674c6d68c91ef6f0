// Package dburl parses BOOTY_DATABASE_URL. It is its own tiny package so that
// configuration can validate the value without importing the store's
// database drivers.
package dburl

import (
	"errors"
	"net/url"
	"strings"
)

// The drivers a URL can name.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// URL is a parsed BOOTY_DATABASE_URL.
type URL struct {
	// Driver is SQLite or Postgres.
	Driver string
	// DSN is what the driver opens: a file path (possibly written as a
	// file: URI) for SQLite, the URL itself for PostgreSQL.
	DSN string
}

// Parse splits s, "sqlite:PATH" or "postgres://…", into its driver and
// what that driver opens.
func Parse(s string) (URL, error) {
	switch {
	case strings.HasPrefix(s, "sqlite:"):
		p := strings.TrimPrefix(strings.TrimPrefix(s, "sqlite:"), "//")
		if p == "" {
			return URL{}, errors.New("sqlite: needs a file path, such as sqlite:booty.db")
		}
		return URL{Driver: SQLite, DSN: p}, nil
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		return URL{Driver: Postgres, DSN: s}, nil
	}
	return URL{}, errors.New("must be sqlite:PATH or postgres://…")
}

// Path is the database file of an SQLite URL: the DSN without a file:
// scheme or query string. It is empty for other drivers.
func (u URL) Path() string {
	if u.Driver != SQLite {
		return ""
	}
	p := strings.TrimPrefix(u.DSN, "file:")
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	return p
}

// WithDatabase returns server, a PostgreSQL server's URL, naming the
// database name instead of its own, keeping the user, host and parameters:
// how the tests and the benchmark make a database of their own.
func WithDatabase(server *url.URL, name string) string {
	u := *server
	u.Path, u.RawPath = "/"+name, ""
	if q := u.Query(); q.Has("dbname") { // a dbname parameter would win over the path
		q.Del("dbname")
		u.RawQuery = q.Encode()
	}
	return u.String()
}
