package main

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
)

func TestReport(t *testing.T) {
	t.Parallel()
	met := check(true, "throughput at least half the baseline's", "%.2f × the baseline", 0.74)
	missed := check(false, "peak memory under 256 MB", "booty's peak RSS %d MB", 1352)
	onPostgres := met
	onPostgres.store = storePostgres
	tests := []struct {
		name      string
		verdicts  []verdict
		notes     []string
		wantCode  int
		wantLines []string
	}{
		{"all met", []verdict{met, met}, nil, exitMet, []string{
			"PASS  throughput at least half the baseline's: 0.74 × the baseline", "all 2 targets met"}},
		{"one missed", []verdict{met, missed}, nil, exitMissed, []string{
			"PASS  throughput", "FAIL  peak memory under 256 MB: booty's peak RSS 1352 MB", "1 of 2 targets missed"}},
		{"a store and a note", []verdict{onPostgres}, []string{"PostgreSQL/SQLite throughput: 0.80 ×"}, exitMet, []string{
			"PASS  [postgres] throughput at least half the baseline's: 0.74 × the baseline",
			"NOTE  PostgreSQL/SQLite throughput: 0.80 ×\nall 1 targets met"}},
		{"nothing measured", nil, nil, exitBroken, []string{"no target was measured"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			if got := report(&out, tt.verdicts, tt.notes); got != tt.wantCode {
				t.Errorf("exit code %d, want %d", got, tt.wantCode)
			}
			for _, l := range tt.wantLines {
				if !strings.Contains(out.String(), l) {
					t.Errorf("output lacks %q:\n%s", l, &out)
				}
			}
			if n := strings.Count(out.String(), "PASS  ") + strings.Count(out.String(), "FAIL  "); n != len(tt.verdicts) {
				t.Errorf("%d PASS/FAIL lines for %d targets:\n%s", n, len(tt.verdicts), &out)
			}
		})
	}
}

func TestStoreRatio(t *testing.T) {
	t.Parallel()
	lite := throughputFigures{booty: 1000, baseline: 4000}
	pg := throughputFigures{booty: 800, baseline: 3200}
	tests := []struct {
		name string
		figs map[string]throughputFigures
		want string // "" for no ratio
	}{
		{"both stores", map[string]throughputFigures{storeSQLite: lite, storePostgres: pg},
			"PostgreSQL/SQLite throughput: 0.80 × (booty 800 req/s on PostgreSQL, 1000 on SQLite; " +
				"against each run's baseline 0.25 × and 0.25 ×)"},
		{"sqlite only", map[string]throughputFigures{storeSQLite: lite}, ""},
		{"postgres only", map[string]throughputFigures{storePostgres: pg}, ""},
		{"nothing answered on sqlite", map[string]throughputFigures{storeSQLite: {}, storePostgres: pg}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := storeRatio(tt.figs)
			if ok != (tt.want != "") || got != tt.want {
				t.Errorf("storeRatio = %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
}

func TestParseFlags(t *testing.T) {
	t.Parallel()
	every := []string{"throughput", "rate", "many", "crash", "memory", "storm", "storm-routes", "replicas", "replicas-kill"}
	tests := []struct {
		name       string
		args       []string
		env        string // BOOTY_TEST_POSTGRES_URL
		want       []string
		wantStores []string
		wantPG     string
		wantErr    bool
	}{
		{"defaults run every scenario on sqlite", nil, "", every, []string{"sqlite"}, "", false},
		{"a subset, in the order asked", []string{"-only", "memory, crash"}, "", []string{"memory", "crash"}, []string{"sqlite"}, "", false},
		{"both stores, sqlite first", []string{"-store", "both"}, "", every, []string{"sqlite", "postgres"}, "", false},
		{"postgres from the environment", []string{"-store", "postgres"}, "postgres://env/x", every, []string{"postgres"}, "postgres://env/x", false},
		{"the flag wins over the environment", []string{"-store", "postgres", "-postgres-url", "postgres://flag/x"}, "postgres://env/x",
			every, []string{"postgres"}, "postgres://flag/x", false},
		{"replicas on postgres", []string{"-store", "postgres", "-only", "replicas"}, "", []string{"replicas"}, []string{"postgres"}, "", false},
		{"replicas beside sqlite scenarios", []string{"-only", "many,replicas"}, "", []string{"many", "replicas"}, []string{"sqlite"}, "", false},
		{"nothing but replicas on sqlite", []string{"-only", "replicas,replicas-kill"}, "", nil, nil, "", true},
		{"unknown store", []string{"-store", "mysql"}, "", nil, nil, "", true},
		{"unknown scenario", []string{"-only", "memroy"}, "", nil, nil, "", true},
		{"extra argument", []string{"now"}, "", nil, nil, "", true},
		{"unknown flag", []string{"-fast"}, "", nil, nil, "", true},
		{"zero connections", []string{"-c", "0"}, "", nil, nil, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stderr bytes.Buffer
			getenv := func(k string) string {
				if k == envPostgresURL {
					return tt.env
				}
				return ""
			}
			o, err := parseFlags(tt.args, getenv, &stderr)
			if (err != nil) != tt.wantErr {
				t.Fatalf("got error %v, want error %v; stderr:\n%s", err, tt.wantErr, &stderr)
			}
			if err != nil {
				if stderr.Len() == 0 {
					t.Error("an error with nothing said on stderr")
				}
				return
			}
			if strings.Join(o.scenarios, ",") != strings.Join(tt.want, ",") {
				t.Errorf("scenarios %v, want %v", o.scenarios, tt.want)
			}
			if strings.Join(o.stores, ",") != strings.Join(tt.wantStores, ",") {
				t.Errorf("stores %v, want %v", o.stores, tt.wantStores)
			}
			if o.postgresURL != tt.wantPG {
				t.Errorf("PostgreSQL URL %q, want %q", o.postgresURL, tt.wantPG)
			}
		})
	}
}

// TestHelpHidesPostgresURL: -h prints every flag's default, and a URL
// from the environment may carry a password.
func TestHelpHidesPostgresURL(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	env := func(string) string { return "postgres://booty:s3cret@db/booty" }
	if _, err := parseFlags([]string{"-h"}, env, &stderr); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: got %v, want flag.ErrHelp", err)
	}
	if strings.Contains(stderr.String(), "s3cret") {
		t.Errorf("-h printed the password:\n%s", &stderr)
	}
}

func TestRunExitCodes(t *testing.T) {
	t.Parallel()
	if got := run(t.Context(), []string{"-only", "nope"}, noEnv, io.Discard, io.Discard); got != exitUsage {
		t.Errorf("bad flags: exit %d, want %d", got, exitUsage)
	}
	if got := run(t.Context(), []string{"-h"}, noEnv, io.Discard, io.Discard); got != exitMet {
		t.Errorf("-h: exit %d, want %d", got, exitMet)
	}
	if got := run(t.Context(), []string{"-booty", "/nonexistent", "-fixture", "/nonexistent.json"}, noEnv, io.Discard, io.Discard); got != exitBroken {
		t.Errorf("missing fixture: exit %d, want %d", got, exitBroken)
	}
	if _, err := parseFlags([]string{"-h"}, noEnv, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: got %v, want flag.ErrHelp", err)
	}
}

// TestThroughputTarget holds the throughput run to the ingest targets for
// its number of senders.
func TestThroughputTarget(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		senders int
		want    float64
	}{{1, 0.6}, {16, 0.6}, {17, 0.5}, {32, 0.5}, {63, 0.5}, {64, 0.8}, {256, 0.8}} {
		if got := throughputTarget(tt.senders); got != tt.want {
			t.Errorf("throughputTarget(%d) = %v, want %v", tt.senders, got, tt.want)
		}
	}
}
