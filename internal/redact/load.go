package redact

import (
	_ "embed"
	"fmt"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"
)

// gitleaksRules is gitleaks' default configuration, as released. booty
// reads it rather than depending on gitleaks' config package, which would
// bring a configuration framework, a logger and their dependencies along
// with its rules.
//
//go:embed gitleaks/gitleaks.toml
var gitleaksRules string

// gitleaksConfig is the part of gitleaks' configuration format booty uses.
type gitleaksConfig struct {
	Allowlist gitleaksAllowlist `toml:"allowlist"`
	Rules     []struct {
		ID          string              `toml:"id"`
		Regex       string              `toml:"regex"`
		Path        string              `toml:"path"`
		SecretGroup int                 `toml:"secretGroup"`
		Entropy     float64             `toml:"entropy"`
		Keywords    []string            `toml:"keywords"`
		Allowlists  []gitleaksAllowlist `toml:"allowlists"`
	} `toml:"rules"`
}

type gitleaksAllowlist struct {
	Condition   string   `toml:"condition"`
	RegexTarget string   `toml:"regexTarget"`
	Regexes     []string `toml:"regexes"`
	StopWords   []string `toml:"stopwords"`
	Paths       []string `toml:"paths"`
	Commits     []string `toml:"commits"`
}

// Most gitleaks rules end a token where source code ends one: at a quote,
// white space, a semicolon or an escaped line break. In an error report a
// token also ends a URL's query parameter or a list item ("?key=AIza…&q=x",
// "(token, …)"), so booty's copy of the rules ends it at any of these too.
// Like the original, the end is outside the secret and no word character,
// so a token is still never the start of a longer word.
const (
	scannerEnd = `(?:[\x60'"\s;]|\\[nr]|$)`
	textEnd    = `(?:[\x60'"\s;&,)\]}>|]|\\[nr]|$)`
)

// Many gitleaks rules start with the name of the variable that holds a
// secret, up to 50 word characters before the keyword ("STRIPE_API_KEY =").
// Go's regexp pays for that lazy prefix at every position of the text, which
// makes these rules a hundred times slower than the rest; it holds no
// secret, so booty's copy leaves it out of the regexp and takes the name
// back (for the allowlists that look at the whole match) by reading left
// from the match.
const (
	namePrefix    = `[\w.-]{0,50}?`
	namePrefixLen = 50
)

// loadRules compiles gitleaks' rules and booty's own into one set.
func loadRules() (*ruleSet, error) {
	var cfg gitleaksConfig
	if _, err := toml.Decode(gitleaksRules, &cfg); err != nil {
		return nil, fmt.Errorf("read gitleaks rules: %w", err)
	}
	rs := &ruleSet{}
	var err error
	// The global allowlist's paths are for files; its regexes and
	// stopwords are for secrets.
	global := cfg.Allowlist
	global.Paths = nil
	if rs.global, err = compileAllowlists([]gitleaksAllowlist{global}); err != nil {
		return nil, fmt.Errorf("gitleaks global allowlist: %w", err)
	}
	for _, r := range cfg.Rules {
		// A rule for one kind of file (by path) does not apply to
		// text, which has no path.
		if r.Regex == "" || r.Path != "" {
			continue
		}
		expr, lead := strings.ReplaceAll(r.Regex, scannerEnd, textEnd), 0
		if rest, ok := strings.CutPrefix(expr, `(?i)`+namePrefix); ok {
			// Without the name, a match starts with the keyword.
			expr, lead = `^(?i)`+rest, namePrefixLen
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return nil, fmt.Errorf("gitleaks rule %s: %w", r.ID, err)
		}
		allow, err := compileAllowlists(r.Allowlists)
		if err != nil {
			return nil, fmt.Errorf("gitleaks rule %s: %w", r.ID, err)
		}
		rs.rules = append(rs.rules, rule{
			id: r.ID, re: re, group: r.SecretGroup, entropy: r.Entropy, lead: lead, anchored: lead > 0,
			allow: allow, global: true, keywords: lowerAll(r.Keywords),
		})
	}
	rs.rules = append(rs.rules, bootyRules()...)
	if len(rs.rules) > maxRules {
		return nil, fmt.Errorf("%d rules, more than the %d a rule set holds", len(rs.rules), maxRules)
	}
	byKeyword := make(map[string]bitset)
	for i := range rs.rules {
		r := &rs.rules[i]
		for _, kw := range r.keywords {
			if kw == "" {
				return nil, fmt.Errorf("rule %s: empty keyword", r.id)
			}
			r.first[kw[0]] = true
		}
		if r.anchored && !strings.HasPrefix(r.re.String(), "^") {
			return nil, fmt.Errorf("rule %s: anchored, but its regexp does not start with ^", r.id)
		}
	}
	for i, r := range rs.rules {
		switch {
		case len(r.keywords) > 0:
			for _, kw := range r.keywords {
				if len(kw) < 2 {
					// Too short to index; the rule runs on
					// every text instead.
					rs.always.set(i)
					continue
				}
				b := byKeyword[kw]
				b.set(i)
				byKeyword[kw] = b
			}
		case r.digits > 0:
			rs.byDigits = append(rs.byDigits, i)
		default:
			rs.always.set(i)
		}
	}
	rs.index = newKeywordIndex(byKeyword)
	return rs, nil
}

func compileAllowlists(lists []gitleaksAllowlist) ([]allowlist, error) {
	var out []allowlist
	for _, l := range lists {
		a := allowlist{
			target:    l.RegexTarget,
			and:       strings.EqualFold(l.Condition, "AND"),
			stopwords: lowerAll(l.StopWords),
		}
		// An AND list that needs a path or a commit never holds for
		// text; an OR list's paths and commits are simply never met.
		a.never = a.and && (len(l.Paths) > 0 || len(l.Commits) > 0)
		for _, x := range l.Regexes {
			re, err := regexp.Compile(x)
			if err != nil {
				return nil, fmt.Errorf("allowlist regex %q: %w", x, err)
			}
			a.regexes = append(a.regexes, re)
		}
		if len(a.regexes) == 0 && len(a.stopwords) == 0 {
			continue
		}
		out = append(out, a)
	}
	return out, nil
}

func lowerAll(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		out = append(out, strings.ToLower(s))
	}
	return out
}
