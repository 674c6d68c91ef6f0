package config

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseDatabaseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, wantDriver, wantDSN string
		wantErr                 bool
	}{
		{in: "sqlite:booty.db", wantDriver: "sqlite", wantDSN: "booty.db"},
		{in: "sqlite://booty.db", wantDriver: "sqlite", wantDSN: "booty.db"},
		{in: "sqlite:/var/lib/booty/booty.db", wantDriver: "sqlite", wantDSN: "/var/lib/booty/booty.db"},
		{in: "sqlite:///var/lib/booty/booty.db", wantDriver: "sqlite", wantDSN: "/var/lib/booty/booty.db"},
		{in: "sqlite:data/booty.db", wantDriver: "sqlite", wantDSN: "data/booty.db"},
		{in: "sqlite:file:booty.db?_pragma=busy_timeout(5000)", wantDriver: "sqlite", wantDSN: "file:booty.db?_pragma=busy_timeout(5000)"},
		{in: "postgres://booty:pw@db:5432/booty?sslmode=disable", wantDriver: "postgres", wantDSN: "postgres://booty:pw@db:5432/booty?sslmode=disable"},
		{in: "postgresql://booty@localhost/booty", wantDriver: "postgres", wantDSN: "postgresql://booty@localhost/booty"},
		{in: "", wantErr: true},
		{in: "booty.db", wantErr: true},
		{in: "sqlite:", wantErr: true},
		{in: "sqlite://", wantErr: true},
		{in: "sqlite3:booty.db", wantErr: true},
		{in: "postgres:booty", wantErr: true},
		{in: "postgres:/db/booty", wantErr: true},
		{in: "mysql://db/booty", wantErr: true},
		{in: "host=db user=booty", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			driver, dsn, err := ParseDatabaseURL(tt.in)
			if (err != nil) != tt.wantErr || driver != tt.wantDriver || dsn != tt.wantDSN {
				t.Errorf("ParseDatabaseURL(%q) = %q, %q, %v; want %q, %q, error %t", tt.in, driver, dsn, err, tt.wantDriver, tt.wantDSN, tt.wantErr)
			}
			c, err := Load(env(map[string]string{"BOOTY_DATABASE_URL": tt.in}))
			switch {
			case tt.wantDriver == "postgres" || strings.Contains(tt.wantDSN, "/"):
				// Parsed, but refused by Load: see TestLoadDatabaseURL.
			case tt.in == "":
				// Unset: the default applies.
				if err != nil || c.DatabaseURL != "sqlite:booty.db" {
					t.Errorf("unset: DatabaseURL %q, error %v; want sqlite:booty.db, no error", c.DatabaseURL, err)
				}
			case tt.wantErr:
				if diff := cmp.Diff([]string{"BOOTY_DATABASE_URL"}, problemVars(t, err)); diff != "" {
					t.Errorf("Load problems (-want +got):\n%s", diff)
				}
			case err != nil:
				t.Errorf("Load: %v", err)
			case c.DatabaseURL != tt.in:
				t.Errorf("DatabaseURL = %q, want %q", c.DatabaseURL, tt.in)
			}
		})
	}
}

var repoPart = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

func FuzzParseRepo(f *testing.F) {
	for _, s := range []string{
		"acme/shop",
		"https://github.com/acme/shop",
		"https://github.com/acme/shop.git",
		"https://github.com/acme/shop/",
		"https://ghe.example.com:8443/Acme-Corp/my_repo.v2.git/",
		"http://github.com/acme/shop?tab=issues#top",
		"https://user:pw@github.com/acme/shop",
		"https://github.com/ac%2Fme/shop",
		"github.com/acme/shop",
		"acme/..",
		"acme/.git",
		"/acme/shop/",
		"https:///acme/shop",
		"://",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		owner, name, err := ParseRepo(s)
		if err != nil {
			if owner != "" || name != "" {
				t.Fatalf("ParseRepo(%q) = %q, %q with error %v; want empty parts on error", s, owner, name, err)
			}
			return
		}
		for _, part := range []string{owner, name} {
			if !repoPart.MatchString(part) || part == "." || part == ".." || len(part) > 100 {
				t.Fatalf("ParseRepo(%q) accepted part %q", s, part)
			}
		}
		// The accepted repository reads back the same in both forms.
		for _, again := range []string{owner + "/" + name, "https://github.com/" + owner + "/" + name} {
			o, n, err := ParseRepo(again)
			if err != nil || o != owner || n != name {
				t.Fatalf("ParseRepo(%q) = %q, %q, %v; want %q, %q (from %q)", again, o, n, err, owner, name, s)
			}
		}
	})
}

func FuzzParseDatabaseURL(f *testing.F) {
	for _, s := range []string{
		"sqlite:booty.db",
		"sqlite://booty.db",
		"sqlite:///var/lib/booty/booty.db",
		"sqlite:file:booty.db?_pragma=busy_timeout(5000)",
		"postgres://booty:pw@db:5432/booty?sslmode=disable",
		"postgresql://booty@localhost/booty",
		"sqlite:",
		"sqlite://",
		"mysql://db/booty",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		driver, dsn, err := ParseDatabaseURL(s)
		if err != nil {
			if driver != "" || dsn != "" {
				t.Fatalf("ParseDatabaseURL(%q) = %q, %q with error %v; want empty on error", s, driver, dsn, err)
			}
			return
		}
		if dsn == "" {
			t.Fatalf("ParseDatabaseURL(%q) accepted an empty dsn", s)
		}
		switch driver {
		case "sqlite":
			if !strings.HasPrefix(s, "sqlite:") || !strings.HasSuffix(s, dsn) {
				t.Fatalf("ParseDatabaseURL(%q) = sqlite %q; want a suffix of the input", s, dsn)
			}
		case "postgres":
			if dsn != s {
				t.Fatalf("ParseDatabaseURL(%q) = postgres %q; want the input unchanged", s, dsn)
			}
		default:
			t.Fatalf("ParseDatabaseURL(%q) driver = %q, want sqlite or postgres", s, driver)
		}
	})
}
