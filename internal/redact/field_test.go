package redact

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestField(t *testing.T) {
	t.Parallel()
	secret := "sk_live_" + strings.Repeat("4eC39HqLyjWDarjtT1zdp7dc", 2)
	for _, c := range []struct {
		name string
		in   string
		// want is checked whole when set; otherwise the length bound,
		// validity and absence of the secret are.
		want string
	}{
		{name: "short and clean", in: "TypeError: x is undefined", want: "TypeError: x is undefined"},
		{name: "short secret", in: "key " + secret, want: "key " + Replacement},
		{name: "long"},
		{name: "secret straddling the cut", in: strings.Repeat("a ", (MaxField-20)/2) + "stripe " + secret + " tail"},
		{name: "multi-byte at the cut", in: strings.Repeat("é", MaxField)},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			in := c.in
			if in == "" {
				in = strings.Repeat("api token auth key ", MaxField) // keyword-dense, 150 KiB
			}
			got := Field(in)
			if c.want != "" {
				if got != c.want {
					t.Fatalf("Field: got %q, want %q", got, c.want)
				}
				return
			}
			if len(got) > MaxField+len("…") {
				t.Errorf("Field: got %d bytes, want at most %d", len(got), MaxField+len("…"))
			}
			if !utf8.ValidString(got) {
				t.Error("Field: cut inside a rune")
			}
			if strings.Contains(got, secret[:12]) {
				t.Errorf("Field: part of the secret survived the cut: %q", got[len(got)-80:])
			}
		})
	}
}

// BenchmarkFieldHostile is the worst field a webhook can send, redacted
// whole (String) and as intake does (Field), in the same run.
func BenchmarkFieldHostile(b *testing.B) {
	hostile := strings.Repeat("api token auth key=", 1<<20/19)
	b.Run("String", func(b *testing.B) {
		for b.Loop() {
			String(hostile)
		}
	})
	b.Run("Field", func(b *testing.B) {
		for b.Loop() {
			Field(hostile)
		}
	})
}
