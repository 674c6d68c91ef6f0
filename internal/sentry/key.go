package sentry

import (
	"crypto/sha256"
	"encoding/hex"
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
	if id := strings.TrimSpace(string(e.IssueID)); id != "" {
		return "sentry:" + keyPart(id), true
	}
	var h string
	for _, x := range e.Hashes {
		if x := strings.TrimSpace(string(x)); x != "" {
			h = keyPart(x)
			break
		}
	}
	if h == "" {
		h = fingerprintHash(e.Fingerprint)
	}
	if h == "" {
		return "", false
	}
	project := strings.TrimSpace(string(e.Project))
	if project == "" {
		project = projectSlug(e.URL)
	}
	if project != "" {
		project = keyPart(project)
	}
	return "sentry:" + project + ":" + h, true
}

// fingerprintHash hashes a custom fingerprint. It returns "" for none and
// for Sentry's default, ["{{ default }}"], which says nothing by itself.
func fingerprintHash(fp []lenientString) string {
	var b strings.Builder
	custom := false
	for i, x := range fp {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(string(x))
		if x != "" && strings.ReplaceAll(string(x), " ", "") != "{{default}}" {
			custom = true
		}
	}
	if !custom {
		return ""
	}
	return hashPart(b.String())
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
