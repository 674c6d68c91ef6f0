package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStoresOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{"sqlite", []string{"sqlite"}, false},
		{"postgres", []string{"postgres"}, false},
		{"both", []string{"sqlite", "postgres"}, false},
		{"", nil, true},
		{"postgresql", nil, true},
		{"SQLite", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := storesOf(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("storesOf(%q): error %v, want error %v", tt.in, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("storesOf(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseExports(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		out     string
		want    map[string]string
		wantErr bool
	}{
		{"what postgres.sh start prints",
			"export BOOTY_TEST_POSTGRES_URL='postgres://booty@127.0.0.1:23242/postgres?sslmode=disable'\n" +
				"export BOOTY_TEST_POSTGRES_DIR='/tmp/booty-postgres.AbC123'\n",
			map[string]string{
				"BOOTY_TEST_POSTGRES_URL": "postgres://booty@127.0.0.1:23242/postgres?sslmode=disable",
				"BOOTY_TEST_POSTGRES_DIR": "/tmp/booty-postgres.AbC123",
			}, false},
		{"a quote inside the value", `export DIR='/tmp/it'\''s here'` + "\n", map[string]string{"DIR": "/tmp/it's here"}, false},
		{"blank lines and no final newline", "\n  \nexport A='1'", map[string]string{"A": "1"}, false},
		{"an empty value", "export A=''\n", map[string]string{"A": ""}, false},
		{"nothing", "", map[string]string{}, false},
		{"not an export", "postgres.sh: ready\n", nil, true},
		{"no value", "export A\n", nil, true},
		{"unterminated quote", "export A='/tmp\n", nil, true},
		{"an unquoted space", "export A=/tmp/a b\n", nil, true},
		{"an unquoted expansion", "export A=$HOME\n", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseExports(tt.out)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseExports (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDatabaseName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scenario, suffix, want string
	}{
		{"throughput", "ABCDEFGHIJKL", "bootybench_throughput_abcdefgh"},
		{"replicas-kill", "XYZ23456", "bootybench_replicas_kill_xyz23456"},
		{"Many Problems", "q", "bootybench_many_problems_q"},
		{strings.Repeat("a", 80), "ABCDEFGH", "bootybench_" + strings.Repeat("a", 52)},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			got := databaseName(tt.scenario, tt.suffix)
			if got != tt.want {
				t.Errorf("databaseName(%q, %q) = %q, want %q", tt.scenario, tt.suffix, got, tt.want)
			}
			if len(got) > 63 {
				t.Errorf("%q is longer than PostgreSQL's 63 bytes", got)
			}
		})
	}
}
