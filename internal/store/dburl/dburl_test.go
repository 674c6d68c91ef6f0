package dburl_test

import (
	"net/url"
	"strings"
	"testing"

	"booty/internal/store/dburl"
)

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in       string
		want     dburl.URL
		wantPath string
		wantErr  bool
	}{
		{in: "sqlite:booty.db", want: dburl.URL{Driver: "sqlite", DSN: "booty.db"}, wantPath: "booty.db"},
		{in: "sqlite://booty.db", want: dburl.URL{Driver: "sqlite", DSN: "booty.db"}, wantPath: "booty.db"},
		{in: "sqlite:///var/lib/booty/booty.db", want: dburl.URL{Driver: "sqlite", DSN: "/var/lib/booty/booty.db"}, wantPath: "/var/lib/booty/booty.db"},
		{in: "sqlite:file:x.db?_pragma=busy_timeout(5000)", want: dburl.URL{Driver: "sqlite", DSN: "file:x.db?_pragma=busy_timeout(5000)"}, wantPath: "x.db"},
		{in: "postgres://u:pw@db/booty", want: dburl.URL{Driver: "postgres", DSN: "postgres://u:pw@db/booty"}},
		{in: "postgresql://db/booty", want: dburl.URL{Driver: "postgres", DSN: "postgresql://db/booty"}},
		{in: "", wantErr: true},
		{in: "sqlite:", wantErr: true},
		{in: "sqlite://", wantErr: true},
		{in: "booty.db", wantErr: true},
		{in: "mysql://db/booty", wantErr: true},
	} {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := dburl.Parse(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want || got.Path() != tt.wantPath {
				t.Errorf("Parse(%q) = %+v (path %q), %v; want %+v (path %q), error %t",
					tt.in, got, got.Path(), err, tt.want, tt.wantPath, tt.wantErr)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"sqlite:booty.db", "sqlite://x", "postgres://db/b", "", "sqlite:file:a?b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := dburl.Parse(s)
		if err != nil {
			if u != (dburl.URL{}) {
				t.Fatalf("Parse(%q) = %+v with error %v; want the zero URL", s, u, err)
			}
			return
		}
		switch u.Driver {
		case dburl.SQLite:
			if u.DSN == "" || !strings.HasSuffix(s, u.DSN) || strings.Contains(u.Path(), "?") {
				t.Fatalf("Parse(%q) = %+v, path %q", s, u, u.Path())
			}
		case dburl.Postgres:
			if u.DSN != s || u.Path() != "" {
				t.Fatalf("Parse(%q) = %+v; want the input unchanged and no path", s, u)
			}
		default:
			t.Fatalf("Parse(%q) driver %q", s, u.Driver)
		}
	})
}

func TestWithDatabase(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ server, want string }{
		{"postgres://booty@127.0.0.1:5432/postgres?sslmode=disable", "postgres://booty@127.0.0.1:5432/booty_x?sslmode=disable"},
		{"postgres://u:p%40ss@db", "postgres://u:p%40ss@db/booty_x"},
		{"postgresql://u:secret@db.internal/", "postgresql://u:secret@db.internal/booty_x"},
		{"postgresql://db/postgres?dbname=other&sslmode=require", "postgresql://db/booty_x?sslmode=require"},
		{"postgres://u@db?dbname=postgres&sslmode=require", "postgres://u@db/booty_x?sslmode=require"},
	} {
		t.Run(tt.server, func(t *testing.T) {
			t.Parallel()
			u, err := url.Parse(tt.server)
			if err != nil {
				t.Fatal(err)
			}
			if got := dburl.WithDatabase(u, "booty_x"); got != tt.want {
				t.Errorf("WithDatabase(%q) = %q, want %q", tt.server, got, tt.want)
			}
		})
	}
}
