package redact

import (
	"strings"
	"testing"
)

// TestRulesLoaded guards the adaptations load makes to gitleaks' rules: if
// a new release of the rules changes the shapes they look for, booty's copy
// would silently fall back to the slow or the narrower form.
func TestRulesLoaded(t *testing.T) {
	t.Parallel()
	rs := standard()
	ids := make(map[string]bool)
	ends, leads := 0, 0
	for _, r := range rs.rules {
		ids[r.id] = true
		if r.re != nil && strings.Contains(r.re.String(), textEnd) {
			ends++
		}
		if r.lead > 0 {
			leads++
			if strings.Contains(r.re.String(), namePrefix) {
				t.Errorf("rule %s still starts with the name prefix", r.id)
			}
		}
	}
	for _, id := range []string{"aws-access-token", "generic-api-key", "stripe-access-token", "gcp-api-key", "npm-access-token",
		"gitlab-pat", "slack-webhook-url", "github-pat", "private-key", "payment-card-number", "us-ssn", "cookie-header"} {
		if !ids[id] {
			t.Errorf("no rule %s", id)
		}
	}
	if len(rs.rules) < 200 {
		t.Errorf("%d rules, want the ~220 of gitleaks and booty's", len(rs.rules))
	}
	if ends < 100 {
		t.Errorf("%d rules end a token at a URL's '&', want over 100", ends)
	}
	if leads < 80 {
		t.Errorf("%d rules lost their name prefix, want over 80", leads)
	}
}

func TestLuhnAndPrefixes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"4111111111111111", true},
		{"4111 1111 1111 1111", true},
		{"5555-5555-5555-4444", true},
		{"2223000048400011", true},
		{"378282246310005", true},
		{"6011111111111117", true},
		{"3530111333300000", true},
		{"30569309025904", true},
		{"4111111111111112", false}, // Luhn
		{"1234567812345670", false}, // no network starts with 1
		{"411111111111111", false},  // Visa has no 15-digit numbers
		{"12345", false},
	} {
		if got := cardNumber(tc.in); got != tc.want {
			t.Errorf("cardNumber(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestEntropy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want float64
	}{
		{"", 0}, {"aaaa", 0}, {"abab", 1}, {"abcd", 2}, {"éèéè", 1},
	} {
		if got := entropy(tc.in); got != tc.want {
			t.Errorf("entropy(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
