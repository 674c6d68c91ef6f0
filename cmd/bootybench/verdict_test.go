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
	tests := []struct {
		name      string
		verdicts  []verdict
		wantCode  int
		wantLines []string
	}{
		{"all met", []verdict{met, met}, exitMet, []string{
			"PASS  throughput at least half the baseline's: 0.74 × the baseline", "all 2 targets met"}},
		{"one missed", []verdict{met, missed}, exitMissed, []string{
			"PASS  throughput", "FAIL  peak memory under 256 MB: booty's peak RSS 1352 MB", "1 of 2 targets missed"}},
		{"nothing measured", nil, exitBroken, []string{"no target was measured"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			if got := report(&out, tt.verdicts); got != tt.wantCode {
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

func TestParseFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		want    []string // scenarios
		wantErr bool
	}{
		{"defaults run every scenario", nil, []string{"throughput", "rate", "many", "crash", "memory"}, false},
		{"a subset, in the order asked", []string{"-only", "memory, crash"}, []string{"memory", "crash"}, false},
		{"unknown scenario", []string{"-only", "memroy"}, nil, true},
		{"extra argument", []string{"now"}, nil, true},
		{"unknown flag", []string{"-fast"}, nil, true},
		{"zero connections", []string{"-c", "0"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stderr bytes.Buffer
			o, err := parseFlags(tt.args, &stderr)
			if (err != nil) != tt.wantErr {
				t.Fatalf("got error %v, want error %v; stderr:\n%s", err, tt.wantErr, &stderr)
			}
			if err == nil && strings.Join(o.scenarios, ",") != strings.Join(tt.want, ",") {
				t.Errorf("scenarios %v, want %v", o.scenarios, tt.want)
			}
			if err != nil && stderr.Len() == 0 {
				t.Error("an error with nothing said on stderr")
			}
		})
	}
}

func TestRunExitCodes(t *testing.T) {
	t.Parallel()
	if got := run(t.Context(), []string{"-only", "nope"}, io.Discard, io.Discard); got != exitUsage {
		t.Errorf("bad flags: exit %d, want %d", got, exitUsage)
	}
	if got := run(t.Context(), []string{"-h"}, io.Discard, io.Discard); got != exitMet {
		t.Errorf("-h: exit %d, want %d", got, exitMet)
	}
	if got := run(t.Context(), []string{"-booty", "/nonexistent", "-fixture", "/nonexistent.json"}, io.Discard, io.Discard); got != exitBroken {
		t.Errorf("missing fixture: exit %d, want %d", got, exitBroken)
	}
	if _, err := parseFlags([]string{"-h"}, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: got %v, want flag.ErrHelp", err)
	}
}
