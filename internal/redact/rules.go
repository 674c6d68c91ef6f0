package redact

import (
	"math"
	"regexp"
	"strings"
)

// rule is one kind of secret. Gitleaks' rules and booty's own share it, so
// they are matched the same way.
type rule struct {
	id string
	re *regexp.Regexp
	// scan, for the rules that are no regexp, appends the spans of the
	// secrets it finds.
	scan func(s string, spans []span) []span
	// group is the capture group that holds the secret: the rest of the
	// match (a key name, a header) stays readable. 0 means the first
	// group that matched something, or the whole match when there is
	// none, as gitleaks does; -1 means the whole match.
	group int
	// entropy, when not 0, is the Shannon entropy (bits per character)
	// a secret must exceed: below it, the match is a word or a
	// placeholder.
	entropy float64
	// valid, when set, must accept the secret (a checksum, a range).
	valid func(secret string) bool
	// allow are the cases that match but are not secrets.
	allow []allowlist
	// global says the gitleaks-wide allowlist applies too.
	global bool
	// lead is how many name characters ([\w.-]) before the match the
	// original rule's match began with (see namePrefix).
	lead int
	// anchored says every match starts with a keyword, and re is
	// anchored (^) to be tried only there; first holds the keywords'
	// first bytes.
	anchored bool
	first    [256]bool

	// The prefilter: the rule runs only on text holding one of its
	// keywords (in lower case, matched without regard to ASCII case), or
	// at least digits digits when it has no keywords.
	keywords []string
	digits   int
}

// allowlist is a gitleaks allowlist: a match it covers is not a secret.
type allowlist struct {
	// target is what the regexes look at: "" (the secret), "match" or
	// "line".
	target    string
	and       bool // every check must hold, not any
	never     bool // it needs a path or commit, which text never has
	regexes   []*regexp.Regexp
	stopwords []string // in lower case
}

// ruleSet is every rule, with the keyword index that picks the rules to run.
type ruleSet struct {
	rules  []rule
	global []allowlist
	index  keywordIndex
	// always and byDigits are the rules run without a keyword.
	always   bitset
	byDigits []int
}

// find appends the spans of the secrets r finds in s.
func (r *rule) find(s string, rs *ruleSet, spans []span) []span {
	switch {
	case r.scan != nil:
		return r.scan(s, spans)
	case r.anchored:
		return r.findAnchored(s, rs, spans)
	}
	for _, m := range r.re.FindAllStringSubmatchIndex(s, -1) {
		if sp, ok := r.accept(s, rs, m); ok {
			spans = append(spans, sp)
		}
	}
	return spans
}

// findAnchored is find for a rule whose every match starts with one of its
// keywords: its regexp is tried only where a keyword starts, anchored
// there. On text dense with keywords ("key", "token") that costs the
// length of each attempt, where an unanchored regexp pays for every
// position of the text with every branch of the rule.
func (r *rule) findAnchored(s string, rs *ruleSet, spans []span) []span {
	for p := 0; p < len(s); p++ {
		if !r.first[lower(s[p])] || !r.keywordAt(s, p) {
			continue
		}
		// A window bounds what one attempt costs; a match that
		// reaches its end may go on, and is tried again on the rest.
		end := min(len(s), p+anchorWindow)
		m := r.re.FindStringSubmatchIndex(s[p:end])
		if m != nil && m[1] == end-p && end < len(s) {
			m = r.re.FindStringSubmatchIndex(s[p:])
		}
		if m == nil {
			continue
		}
		for i := range m {
			if m[i] >= 0 {
				m[i] += p
			}
		}
		if sp, ok := r.accept(s, rs, m); ok {
			spans = append(spans, sp)
		}
		// Matches do not overlap, as with FindAll.
		p = max(p, m[1]-1)
	}
	return spans
}

// anchorWindow is how much text an anchored attempt looks at first: more
// than any bounded match of the rules (gitleaks' longest take about 200
// bytes).
const anchorWindow = 256

// keywordAt reports whether one of r's keywords starts at s[p].
func (r *rule) keywordAt(s string, p int) bool {
	for _, kw := range r.keywords {
		if hasFoldPrefix(s[p:], kw) {
			return true
		}
	}
	return false
}

// accept returns the span of the secret of match m, and whether it is one.
func (r *rule) accept(s string, rs *ruleSet, m []int) (span, bool) {
	start, end := secretSpan(m, r.group)
	if start < 0 || start == end {
		return span{}, false
	}
	secret := s[start:end]
	if r.entropy != 0 && entropy(secret) <= r.entropy {
		return span{}, false
	}
	if r.valid != nil && !r.valid(secret) {
		return span{}, false
	}
	if r.lead > 0 {
		// The allowlists see the match as the original rule made
		// it, with the variable's name.
		m = append([]int{leadStart(s, m[0], r.lead), m[1]}, m[2:]...)
	}
	if r.global && allowed(rs.global, s, m, secret) || allowed(r.allow, s, m, secret) {
		return span{}, false
	}
	return span{start, end}, true
}

// secretSpan returns the byte range of the secret in a match m.
func secretSpan(m []int, group int) (int, int) {
	switch {
	case group < 0 || len(m) == 2:
		return m[0], m[1]
	case group > 0:
		if 2*group+1 >= len(m) {
			return -1, -1
		}
		return m[2*group], m[2*group+1]
	}
	for g := 1; 2*g+1 < len(m); g++ {
		if m[2*g] >= 0 && m[2*g+1] > m[2*g] {
			return m[2*g], m[2*g+1]
		}
	}
	return m[0], m[1]
}

// allowed reports whether one of lists covers the match m of secret in s,
// as gitleaks decides it.
func allowed(lists []allowlist, s string, m []int, secret string) bool {
	for i := range lists {
		a := &lists[i]
		if a.never {
			continue
		}
		target := secret
		switch a.target {
		case "match":
			target = s[m[0]:m[1]]
		case "line":
			target = lineAround(s, m[0], m[1])
		}
		regexOK := false
		for _, re := range a.regexes {
			if re.MatchString(target) {
				regexOK = true
				break
			}
		}
		stopOK := containsStopword(secret, a.stopwords)
		if a.and {
			if (len(a.regexes) == 0 || regexOK) && (len(a.stopwords) == 0 || stopOK) {
				return true
			}
			continue
		}
		if regexOK || stopOK {
			return true
		}
	}
	return false
}

func containsStopword(secret string, stopwords []string) bool {
	if len(stopwords) == 0 {
		return false
	}
	lower := strings.ToLower(secret)
	for _, w := range stopwords {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}

// leadStart returns where a match at start begins when it takes up to n
// name characters ([\w.-]) before it, as gitleaks' rule does.
func leadStart(s string, start, n int) int {
	for i := 0; i < n && start > 0; i++ {
		c := s[start-1]
		if !(c == '_' || c == '.' || c == '-' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			break
		}
		start--
	}
	return start
}

// lineAround returns the line of s that holds s[start:end].
func lineAround(s string, start, end int) string {
	if i := strings.LastIndexByte(s[:start], '\n'); i >= 0 {
		start = i + 1
	} else {
		start = 0
	}
	if i := strings.IndexByte(s[end:], '\n'); i >= 0 {
		end += i
	} else {
		end = len(s)
	}
	return s[start:end]
}

// entropy returns the Shannon entropy of s in bits per character, counted
// over its runes as gitleaks does.
func entropy(s string) float64 {
	var ascii [128]int
	var other map[rune]int
	n := 0
	for _, r := range s {
		n++
		if r < 128 {
			ascii[r]++
			continue
		}
		if other == nil {
			other = make(map[rune]int)
		}
		other[r]++
	}
	if n == 0 {
		return 0
	}
	inv := 1 / float64(n)
	h := 0.0
	add := func(c int) {
		if c > 0 {
			f := float64(c) * inv
			h -= f * math.Log2(f)
		}
	}
	for _, c := range ascii {
		add(c)
	}
	for _, c := range other {
		add(c)
	}
	return h
}

// candidates returns the rules to run on s: those whose keyword s holds,
// those that need enough digits when s has them, and those without a
// prefilter.
func (rs *ruleSet) candidates(s string) bitset {
	set, digits := rs.index.scan(s)
	set.or(rs.always)
	for _, i := range rs.byDigits {
		if digits >= rs.rules[i].digits {
			set.set(i)
		}
	}
	return set
}

// maxRules bounds the rule set, so that a set of rules fits in a fixed
// array and picking them allocates nothing.
const maxRules = 512

type bitset [maxRules / 64]uint64

func (b *bitset) set(i int) { b[i/64] |= 1 << (i % 64) }
func (b *bitset) or(o bitset) {
	for i := range b {
		b[i] |= o[i]
	}
}

// keywordIndex finds every keyword in a text in one pass: the keywords are
// grouped by their first two bytes, so each position of the text looks at
// the few keywords that start like it (gitleaks uses Aho-Corasick over the
// lower-cased text; this needs no lower-cased copy).
type keywordIndex struct {
	// start[k]:start[k+1] are the entries whose keyword starts with
	// the two bytes k (high byte first), in lower case.
	start   []uint32
	entries []keywordEntry
}

type keywordEntry struct {
	rest  string // the keyword after its first two bytes
	rules bitset
}

func newKeywordIndex(byKeyword map[string]bitset) keywordIndex {
	var idx keywordIndex
	buckets := make([][]keywordEntry, 1<<16)
	for kw, rules := range byKeyword {
		k := uint16(kw[0])<<8 | uint16(kw[1])
		buckets[k] = append(buckets[k], keywordEntry{rest: kw[2:], rules: rules})
	}
	idx.start = make([]uint32, 1<<16+1)
	for k, b := range buckets {
		idx.start[k] = uint32(len(idx.entries))
		idx.entries = append(idx.entries, b...)
	}
	idx.start[1<<16] = uint32(len(idx.entries))
	return idx
}

// scan returns the rules whose keywords s holds, and how many ASCII digits
// s has.
func (idx *keywordIndex) scan(s string) (bitset, int) {
	var set bitset
	digits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if '0' <= c && c <= '9' {
			digits++
		}
		if i+1 == len(s) {
			break
		}
		k := uint16(lower(c))<<8 | uint16(lower(s[i+1]))
		for j := idx.start[k]; j < idx.start[k+1]; j++ {
			e := &idx.entries[j]
			if hasFoldPrefix(s[i+2:], e.rest) {
				set.or(e.rules)
			}
		}
	}
	return set, digits
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// hasFoldPrefix reports whether s starts with the lower-case prefix, ASCII
// case ignored.
func hasFoldPrefix(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if lower(s[i]) != prefix[i] {
			return false
		}
	}
	return true
}
