package alert

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSeverity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		want   Severity
		wantOK bool
	}{
		{"debug", SeverityDebug, true},
		{"info", SeverityInfo, true},
		{"log", SeverityInfo, true},
		{"warning", SeverityWarning, true},
		{"warn", SeverityWarning, true},
		{"error", SeverityError, true},
		{"fatal", SeverityFatal, true},
		{"critical", SeverityFatal, true},
		{"FATAL", SeverityFatal, true},
		{"Warning", SeverityWarning, true},
		{" error\n", SeverityError, true},
		{"debug\x00", SeverityDebug, true},
		{"\x00warning\x1b", SeverityWarning, true},
		// Unknown levels are errors so that nothing new is lost.
		{"", SeverityError, false},
		{"panic", SeverityError, false},
		{"err", SeverityError, false},
		{"warning!", SeverityError, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, ok := ParseSeverity(tt.in)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("ParseSeverity(%q) = %v, %t; want %v, %t", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestSeverityString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    Severity
		want string
	}{
		{SeverityDebug, "debug"},
		{SeverityInfo, "info"},
		{SeverityWarning, "warning"},
		{SeverityError, "error"},
		{SeverityFatal, "fatal"},
		{0, "error"},
		{SeverityFatal + 1, "error"},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("Severity(%d).String() = %q, want %q", int(tt.s), got, tt.want)
		}
	}
	// Every name parses back to its severity.
	for s := SeverityDebug; s <= SeverityFatal; s++ {
		if got, ok := ParseSeverity(s.String()); got != s || !ok {
			t.Errorf("ParseSeverity(%q) = %v, %t; want %v, true", s.String(), got, ok, s)
		}
	}
}

func TestSeverityOrder(t *testing.T) {
	t.Parallel()
	order := []Severity{SeverityDebug, SeverityInfo, SeverityWarning, SeverityError, SeverityFatal}
	for i := 1; i < len(order); i++ {
		if !(order[i-1] < order[i]) {
			t.Errorf("got %v >= %v, want %v < %v", order[i-1], order[i], order[i-1], order[i])
		}
	}
}

func TestCrashFrame(t *testing.T) {
	t.Parallel()
	lib1 := Frame{Filename: "lib/a.py", Function: "a", Lineno: 1}
	app1 := Frame{Filename: "app/b.py", Function: "b", Lineno: 2, InApp: true}
	app2 := Frame{Filename: "app/c.py", Function: "c", Lineno: 3, InApp: true}
	lib2 := Frame{Filename: "lib/d.py", Function: "d", Lineno: 4}
	tests := []struct {
		name   string
		frames []Frame
		want   Frame
		wantOK bool
	}{
		{"newest in-app wins over newer library frames", []Frame{lib1, app1, app2, lib2}, app2, true},
		{"single in-app frame", []Frame{app1, lib2}, app1, true},
		{"no in-app frame: newest frame", []Frame{lib1, lib2}, lib2, true},
		{"one frame", []Frame{lib1}, lib1, true},
		{"no frames", nil, Frame{}, false},
		{"empty frames", []Frame{}, Frame{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := &Alert{Frames: tt.frames}
			got, ok := a.CrashFrame()
			if ok != tt.wantOK {
				t.Errorf("CrashFrame() ok = %t, want %t", ok, tt.wantOK)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("CrashFrame() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTagValue(t *testing.T) {
	t.Parallel()
	a := &Alert{Tags: []Tag{
		{Key: "browser", Value: "Firefox"},
		{Key: "url", Value: "https://example.com/"},
		{Key: "browser", Value: "Chrome"},
		{Key: "empty", Value: ""},
	}}
	tests := []struct {
		key, want string
	}{
		{"browser", "Firefox"}, // the first of repeated keys
		{"url", "https://example.com/"},
		{"empty", ""},
		{"missing", ""},
		{"Browser", ""}, // keys are case-sensitive
	}
	for _, tt := range tests {
		if got := a.TagValue(tt.key); got != tt.want {
			t.Errorf("TagValue(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
	if got := (&Alert{}).TagValue("browser"); got != "" {
		t.Errorf("TagValue on no tags = %q, want \"\"", got)
	}
}
