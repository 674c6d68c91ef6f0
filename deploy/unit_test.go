package deploy_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// unitFile reads a unit file of deploy/ and returns its Key=value settings; a key set
// more than once keeps every value.
func unitFile(t *testing.T, name string) map[string][]string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string][]string{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "[") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: line without '=': %q", name, line)
		}
		settings[k] = append(settings[k], v)
	}
	return settings
}

// TestUnitsVerify runs systemd-analyze verify on booty.service and booty.socket. The
// service's ExecStart must exist for verify, so the copies point it at a stand-in.
func TestUnitsVerify(t *testing.T) {
	t.Parallel()
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "booty")
	writeScript(t, bin, "#!/bin/sh\n")
	for _, name := range []string{"booty.service", "booty.socket"} {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.ReplaceAll(string(data), "/opt/booty/current/booty", bin)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(analyze, "verify", filepath.Join(dir, "booty.service"), filepath.Join(dir, "booty.socket"))
	out, err := cmd.CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestUnitsSettings checks what the units must say for restarts to lose nothing and for
// booty's memory to be bounded.
func TestUnitsSettings(t *testing.T) {
	t.Parallel()
	service, socket := unitFile(t, "booty.service"), unitFile(t, "booty.socket")

	if got := socket["ListenStream"]; len(got) != 1 {
		t.Fatalf("booty.socket ListenStream = %q, want exactly one (booty takes one socket)", got)
	}
	var listen string
	for _, env := range service["Environment"] {
		if v, ok := strings.CutPrefix(env, "BOOTY_LISTEN="); ok {
			listen = v
		}
	}
	if listen != socket["ListenStream"][0] {
		t.Errorf("BOOTY_LISTEN=%q in booty.service, ListenStream=%q in booty.socket: booty health and HEALTH_URL would ask the wrong address",
			listen, socket["ListenStream"][0])
	}
	if !strings.Contains(strings.Join(service["Requires"], " "), "booty.socket") ||
		!strings.Contains(strings.Join(service["After"], " "), "booty.socket") {
		t.Errorf("booty.service must require and follow booty.socket: Requires=%q After=%q", service["Requires"], service["After"])
	}

	high, limit := memory(t, service, "MemoryHigh"), memory(t, service, "MemoryMax")
	if high <= 0 || limit <= 0 || high >= limit {
		t.Errorf("MemoryHigh=%d MemoryMax=%d: want both set, MemoryHigh below MemoryMax", high, limit)
	}
}

// memory reads a unit's memory setting such as 512M, in bytes; 0 when unset.
func memory(t *testing.T, unit map[string][]string, key string) int64 {
	t.Helper()
	v := unit[key]
	if len(v) == 0 {
		return 0
	}
	m := regexp.MustCompile(`^([0-9]+)([KMG]?)$`).FindStringSubmatch(v[len(v)-1])
	if m == nil {
		t.Fatalf("%s=%q is not a size", key, v[len(v)-1])
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		t.Fatalf("%s=%q: %v", key, v[len(v)-1], err)
	}
	return n << map[string]int{"": 0, "K": 10, "M": 20, "G": 30}[m[2]]
}

// TestCaddyfilePaths checks that the Caddy example passes what the outside must reach
// (Sentry's webhooks, the deploy's health check, the token-guarded Sentry test the README
// tells operators to call) and keeps /metrics on the server.
func TestCaddyfilePaths(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("Caddyfile.example")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*@public path (.+)$`).FindStringSubmatch(string(data))
	if m == nil {
		t.Fatal("Caddyfile.example has no '@public path' matcher")
	}
	public := map[string]bool{}
	for _, p := range strings.Fields(m[1]) {
		public[p] = true
	}
	for path, want := range map[string]bool{"/webhooks/sentry": true, "/health": true, "/internal/sentry-test": true, "/metrics": false} {
		if public[path] != want {
			t.Errorf("%s passed: %t, want %t", path, public[path], want)
		}
	}
}
