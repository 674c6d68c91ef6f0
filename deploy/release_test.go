package deploy_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// goreleaserConfig is the part of .goreleaser.yaml that decides what a release ships.
type goreleaserConfig struct {
	Version int `yaml:"version"`
	Builds  []struct {
		ID      string   `yaml:"id"`
		Main    string   `yaml:"main"`
		Binary  string   `yaml:"binary"`
		Env     []string `yaml:"env"`
		Flags   []string `yaml:"flags"`
		Ldflags []string `yaml:"ldflags"`
		Goos    []string `yaml:"goos"`
		Goarch  []string `yaml:"goarch"`
		Ignore  []struct {
			Goos   string `yaml:"goos"`
			Goarch string `yaml:"goarch"`
		} `yaml:"ignore"`
	} `yaml:"builds"`
	Archives []struct {
		Formats []string `yaml:"formats"`
		Files   []string `yaml:"files"`
	} `yaml:"archives"`
	Checksum struct {
		NameTemplate string `yaml:"name_template"`
		Algorithm    string `yaml:"algorithm"`
	} `yaml:"checksum"`
}

// TestReleaseConfig checks the GoReleaser configuration without GoReleaser, which takes
// longer to build than CI's whole budget allows (see .ci/run): the targets, the static
// build and the version stamp.
func TestReleaseConfig(t *testing.T) {
	t.Parallel()
	f, err := os.Open(filepath.Join("..", ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cfg goreleaserConfig
	dec := yaml.NewDecoder(f)
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("decode .goreleaser.yaml: %v", err)
	}
	if cfg.Version != 2 {
		t.Errorf("version %d, want 2", cfg.Version)
	}
	if len(cfg.Builds) != 1 {
		t.Fatalf("%d builds, want 1", len(cfg.Builds))
	}
	b := cfg.Builds[0]
	if b.Main != "./cmd/booty" || b.Binary != "booty" {
		t.Errorf("build main %q binary %q, want ./cmd/booty and booty", b.Main, b.Binary)
	}
	if !slices.Contains(b.Env, "CGO_ENABLED=0") {
		t.Errorf("build env %q lacks CGO_ENABLED=0: the binaries must be static", b.Env)
	}
	if !slices.Contains(b.Flags, "-trimpath") {
		t.Errorf("build flags %q lack -trimpath", b.Flags)
	}
	if ld := strings.Join(b.Ldflags, " "); !strings.Contains(ld, "-X main.version={{ .Tag }}") {
		t.Errorf("ldflags %q do not stamp main.version with the tag: booty version would not print it", ld)
	}

	var targets []string
	for _, goos := range b.Goos {
		for _, goarch := range b.Goarch {
			skip := slices.ContainsFunc(b.Ignore, func(i struct {
				Goos   string `yaml:"goos"`
				Goarch string `yaml:"goarch"`
			}) bool {
				return i.Goos == goos && i.Goarch == goarch
			})
			if !skip {
				targets = append(targets, goos+"/"+goarch)
			}
		}
	}
	slices.Sort(targets)
	if diff := cmp.Diff([]string{"darwin/arm64", "linux/amd64", "linux/arm64"}, targets); diff != "" {
		t.Errorf("release targets (-want +got):\n%s", diff)
	}

	if cfg.Checksum.NameTemplate == "" || cfg.Checksum.Algorithm != "sha256" {
		t.Errorf("checksum %+v, want a sha256 checksums file", cfg.Checksum)
	}
	if len(cfg.Archives) != 1 {
		t.Fatalf("%d archives, want 1", len(cfg.Archives))
	}
	for _, file := range cfg.Archives[0].Files {
		if _, err := os.Stat(filepath.Join("..", file)); err != nil {
			t.Errorf("archive file %s: %v", file, err)
		}
	}
}

// TestDockerfile checks the image's promises: a static binary, a non-root user, the store
// on a volume in a directory that exists, and booty's own health check (distroless has no
// curl). .ci/run builds the binary with the Dockerfile's own build line.
func TestDockerfile(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, want := range []string{
		"RUN CGO_ENABLED=0 go build -trimpath",
		"-X main.version=${VERSION}",
		"FROM gcr.io/distroless/static-debian12:nonroot",
		"USER 65532:65532",
		`VOLUME ["/data"]`,
		"BOOTY_DATABASE_URL=sqlite:/data/booty.db",
		`CMD ["/booty", "health"]`,
		`CMD ["serve"]`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	// The build stage's Go is the module's.
	gomod, err := os.ReadFile(filepath.Join("..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(gomod), "\n") {
		if v, ok := strings.CutPrefix(line, "go "); ok {
			minor := strings.Join(strings.Split(v, ".")[:2], ".")
			if !strings.Contains(text, "ARG GO_VERSION="+minor) {
				t.Errorf("Dockerfile's GO_VERSION is not go.mod's %s", minor)
			}
		}
	}
}
