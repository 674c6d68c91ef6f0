package redact

import (
	"regexp"
	"strings"
)

// bootyRules are the secrets gitleaks' rules leave out because a repository
// scanner does not meet them, but an error report does: headers and
// credentials as they appear in requests, key=value pairs without the
// entropy a scanner needs to keep its noise down, the AWS secret key that
// follows its key ID, private key blocks cut off by a length limit, and
// personal data that is no credential at all (card numbers, US social
// security numbers), which no credential rule set covers. The value of a
// key, header or URL credential is replaced; its name stays, so the text
// still says what was there. The rules that start at their keyword are
// anchored there (see rule.anchored).
func bootyRules() []rule {
	return []rule{
		{
			id:       "private-key-block",
			keywords: []string{"private key"},
			re:       regexp.MustCompile(`-----BEGIN[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----(?s:.*?)(?:-----END[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|\z)`),
			group:    -1,
		},
		{
			// scheme://user:password@host keeps the scheme and host.
			id:       "url-credentials",
			keywords: []string{"://"},
			re:       regexp.MustCompile(`://([^/?#\s@]+)@`),
			group:    1,
		},
		{
			// An Authorization header's value, quoted or up to two
			// words ("Bearer x", "Basic x").
			id:       "authorization-header",
			keywords: []string{"authorization"},
			re:       regexp.MustCompile(`^(?i)authorization["']?\s*[:=]\s*("[^"]*"|'[^']*'|[^\s,;"']+(?:[ \t]+[^\s,;"']+)?)`),
			group:    1,
			anchored: true,
		},
		{
			id:       "bearer-token",
			keywords: []string{"bearer"},
			re:       regexp.MustCompile(`^(?i)bearer\s+([A-Za-z0-9\-._~+/]{8,}=*)`),
			group:    1,
			anchored: true,
		},
		{
			// A Cookie or Set-Cookie header's value: every cookie in
			// it, to the end of the line or the closing quote.
			id:       "cookie-header",
			keywords: []string{"cookie"},
			re:       regexp.MustCompile(`^(?i)cookie["']?\s*[:=]\s*("[^"]*"|'[^']*'|[^\s"'][^\r\n"']*)`),
			group:    1,
			anchored: true,
		},
		{
			// key=value and "key": "value" where the key ends in a
			// secret's name (access_token, client_secret,
			// aws_secret_access_key, DB_PASSWORD): the match starts at
			// the name, so whatever precedes it stays.
			id:       "secret-assignment",
			keywords: []string{"pass", "pwd", "secret", "token", "api", "access", "private", "signing", "encryption", "master", "credential"},
			re:       regexp.MustCompile(`^(?i)(?:password|passwd|passphrase|pwd|secret|token|(?:api|access|secret|private|signing|encryption|master)[_-]?key|credentials?)["']?\s*[:=]\s*("[^"]*"|'[^']*'|[^\s&,;"'<>]+)`),
			group:    1,
			anchored: true,
		},
		{
			// The 40-character secret access key that follows an AWS
			// key ID (gitleaks' aws-access-token finds the ID).
			id:       "aws-secret-after-key-id",
			keywords: []string{"a3t", "akia", "asia", "abia", "acca"},
			re:       regexp.MustCompile(`\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b[\s:,;=|'"]{1,8}([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)`),
			group:    1,
		},
		{
			// 13 to 19 digits, grouped by single spaces or dashes or
			// not, of a card network's number range, with a valid Luhn
			// check digit: timestamps and most IDs fail one of the
			// three.
			id:     "payment-card-number",
			digits: 13,
			scan:   scanCardNumbers,
		},
		{
			// 64 hex digits standing alone: an HMAC-SHA256 signature
			// (Sentry-Hook-Signature) or a 256-bit key. A digest that
			// says it is one ("sha256:…", as in image names) stays.
			id:     "hex-256-bit",
			digits: 8,
			scan:   scanHex256,
		},
		{
			// AAA-GG-SSSS, in the ranges the SSA assigns.
			id:     "us-ssn",
			digits: 9,
			scan:   scanSSNs,
		},
	}
}

// The numbers are found by scanning rather than by regexps: most text holds
// enough digits to pass the prefilter, and a scan for a shape of digits is
// far cheaper than a regexp without a literal to look for.

// isWord reports whether c is a regexp word character (\w).
func isWord(c byte) bool {
	return c == '_' || isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHex(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// scanCardNumbers appends the card numbers of s: runs of digit groups
// joined by single spaces or dashes, not inside a word, of which the
// longest stretch of whole groups that is a card number is taken.
func scanCardNumbers(s string, spans []span) []span {
	for i := 0; i < len(s); {
		if !isDigit(s[i]) || i > 0 && isWord(s[i-1]) {
			i++
			continue
		}
		// groups[k] is the end of the k-th digit group; starts[k] its start.
		var starts, ends [24]int
		n := 0
		j := i
		for n < len(ends) {
			st := j
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			starts[n], ends[n] = st, j
			n++
			if j+1 < len(s) && (s[j] == ' ' || s[j] == '-') && isDigit(s[j+1]) {
				j++
				continue
			}
			break
		}
		next := ends[n-1]
		if next < len(s) && isWord(s[next]) {
			// Glued to a word: an identifier, not a number.
			i = next + 1
			continue
		}
		found := false
		for a := 0; a < n && !found; a++ {
			for b := n - 1; b >= a; b-- {
				if ends[b]-starts[a] >= 13 && cardNumber(s[starts[a]:ends[b]]) {
					spans = append(spans, span{starts[a], ends[b]})
					found = true
					break
				}
			}
		}
		i = next
	}
	return spans
}

// scanHex256 appends the runs of exactly 64 hex digits of s that stand
// alone, unless "sha256:" or "sha256=" names them a digest.
func scanHex256(s string, spans []span) []span {
	for i := 0; i+64 <= len(s); {
		if !isHex(s[i]) || i > 0 && isWord(s[i-1]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isHex(s[j]) {
			j++
		}
		if j-i == 64 && (j == len(s) || !isWord(s[j])) && !strings.HasSuffix(strings.ToLower(s[max(0, i-7):i]), "sha256:") && !strings.HasSuffix(strings.ToLower(s[max(0, i-7):i]), "sha256=") {
			spans = append(spans, span{i, j})
		}
		i = j + 1
	}
	return spans
}

// scanSSNs appends the AAA-GG-SSSS numbers of s that stand alone and are in
// the ranges the US Social Security Administration assigns.
func scanSSNs(s string, spans []span) []span {
	for i := 0; i+11 <= len(s); i++ {
		if s[i+3] != '-' || s[i+6] != '-' || i > 0 && isWord(s[i-1]) || i+11 < len(s) && isWord(s[i+11]) {
			continue
		}
		ok := true
		for _, k := range []int{0, 1, 2, 4, 5, 7, 8, 9, 10} {
			if !isDigit(s[i+k]) {
				ok = false
				break
			}
		}
		if ok && ssn(s[i:i+11]) {
			spans = append(spans, span{i, i + 11})
			i += 10
		}
	}
	return spans
}

// cardNumber reports whether s, digits with optional space or dash
// separators, is a payment card number: 13 to 19 digits, a prefix a card
// network issues, and a valid Luhn check digit.
func cardNumber(s string) bool {
	var d [19]byte
	n := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; '0' <= c && c <= '9' {
			if n == len(d) {
				return false
			}
			d[n] = c - '0'
			n++
		}
	}
	if n < 13 || !cardPrefix(d[:n]) {
		return false
	}
	return luhn(d[:n])
}

// cardPrefix reports whether the number d starts like one of a major card
// network's (Visa, Mastercard, American Express, Discover, Diners Club,
// JCB, UnionPay) and has a length that network uses.
func cardPrefix(d []byte) bool {
	p := func(k int) int {
		v := 0
		for _, x := range d[:k] {
			v = v*10 + int(x)
		}
		return v
	}
	n := len(d)
	switch {
	case d[0] == 4: // Visa
		return n == 13 || n == 16 || n == 19
	case p(2) >= 51 && p(2) <= 55, p(4) >= 2221 && p(4) <= 2720: // Mastercard
		return n == 16
	case p(2) == 34 || p(2) == 37: // American Express
		return n == 15
	case p(4) == 6011, p(2) == 65, p(3) >= 644 && p(3) <= 649, p(2) == 62: // Discover, UnionPay
		return n >= 16
	case p(2) == 36, p(2) == 38, p(2) == 39, p(3) >= 300 && p(3) <= 305: // Diners Club
		return n >= 14
	case p(4) >= 3528 && p(4) <= 3589: // JCB
		return n >= 16
	}
	return false
}

// luhn reports whether the digits d end in a valid Luhn check digit.
func luhn(d []byte) bool {
	sum := 0
	for i := range d {
		x := int(d[len(d)-1-i])
		if i%2 == 1 {
			x *= 2
			if x > 9 {
				x -= 9
			}
		}
		sum += x
	}
	return sum%10 == 0
}

// ssn reports whether s (AAA-GG-SSSS) is in the ranges the US Social
// Security Administration assigns: no area 000, 666 or 900 to 999, no group
// 00, no serial 0000.
func ssn(s string) bool {
	area, group, serial := s[0:3], s[4:6], s[7:11]
	return area != "000" && area != "666" && area[0] != '9' && group != "00" && serial != "0000"
}
