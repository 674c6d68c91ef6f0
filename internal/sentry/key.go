package sentry

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"strconv"
	"strings"
)

// maxKeyPart is the longest id kept verbatim in a problem key; longer ones
// are hashed, so a key stays well under 256 bytes.
const maxKeyPart = 100

// problemKey returns the key of the event's problem:
//
//   - sentry:<issue_id> when the payload has data.event.issue_id (since 2021);
//   - sentry:<project>:<h> for older payloads, where project is the numeric
//     project id (else the slug, else empty) and h the event's first grouping
//     hash, else a hash of its custom fingerprint.
//
// Keys go into an HTML comment in an issue body and into SQL, so they only
// hold [A-Za-z0-9:._-]. A part with any other character, or with a colon
// (which could forge another key's shape), is hashed. ok is
// false when the event has no issue id, no hash and no custom fingerprint.
func (e *event) problemKey() (key string, ok bool) {
	if key, ok := groupKey(string(e.IssueID)); ok {
		return key, true
	}
	var h string
	for _, x := range e.Hashes {
		if x := strings.TrimSpace(string(x)); x != "" {
			h = keyPart(x)
			break
		}
	}
	if h == "" {
		h = e.Fingerprint.sum
	}
	if h == "" {
		return "", false
	}
	project := canonicalID(string(e.Project))
	if project == "" {
		project = projectSlug(e.URL)
	}
	if project != "" {
		project = keyPart(project)
	}
	return "sentry:" + project + ":" + h, true
}

// groupKey returns sentry:<id> for a Sentry issue (group) id, the key both
// an event alert's data.event.issue_id and an issue webhook's
// data.issue.id give. ok is false when id is empty.
func groupKey(id string) (key string, ok bool) {
	if id = canonicalID(id); id == "" {
		return "", false
	}
	return "sentry:" + keyPart(id), true
}

// canonicalID returns a numeric id in one spelling, so that 900130,
// 900130.0, 9.0013e5 and "900130" (Sentry and older SDKs send all of
// them) are one problem. Anything that is not a whole number is returned
// trimmed, as sent.
func canonicalID(s string) string {
	s = strings.TrimSpace(s)
	intPart, frac, hasDot := strings.Cut(s, ".")
	switch {
	case s == "":
		return ""
	case isDigits(intPart) && (!hasDot || strings.Trim(frac, "0") == ""):
		if n := strings.TrimLeft(intPart, "0"); n != "" {
			return n
		}
		return "0"
	case strings.ContainsAny(s, "eE") && len(s) <= 32:
		// Exponent forms are rare; float64 is exact for every id below
		// 2^53, and a larger one is left as sent.
		f, err := strconv.ParseFloat(s, 64)
		if err == nil && f >= 0 && f < 1<<53 && f == math.Trunc(f) {
			return strconv.FormatInt(int64(f), 10)
		}
	}
	return s
}

// isDigits reports whether s is one or more ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// keyPart returns s if it can go into a key verbatim, else its hash.
func keyPart(s string) string {
	if len(s) <= maxKeyPart && isKeyText(s) {
		return s
	}
	return hashPart(s)
}

// hashPart returns the first 32 hex digits of sha256(s).
func hashPart(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:16])
}

// isKeyText reports whether s is non-empty and made of [A-Za-z0-9._-].
func isKeyText(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}
