package github

import (
	"net/url"
	"strings"
)

// MarkerKey returns the problem key of the hidden marker in an issue body
// (see Marker), or false when the body has none. The body comes from GitHub
// and may have been edited by anyone: only a line that is exactly a marker
// booty would write counts.
func MarkerKey(body string) (string, bool) {
	if !strings.Contains(body, markerPrefix) {
		return "", false
	}
	for line := range strings.Lines(body) {
		line = strings.TrimSpace(line)
		enc, ok := strings.CutPrefix(line, markerPrefix)
		if !ok {
			continue
		}
		enc, ok = strings.CutSuffix(enc, " -->")
		if !ok || enc == "" {
			continue
		}
		key, err := url.PathUnescape(enc)
		// Marker must give back the very line: that rules out keys booty
		// never writes (and every other spelling of the same key).
		if err != nil || Marker(key) != line {
			continue
		}
		return key, true
	}
	return "", false
}
