package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"booty/internal/config"
	"booty/internal/web"
)

// This file holds what the read-only commands (problems, deliveries) share:
// how they name repositories and issues, read --since, and print tables.

// issueLinks names issues for the operator: web.IssueLinks.
type issueLinks = web.IssueLinks

// newIssueLinks reads TARGET_REPO_URL and GITHUB_API_URL for the issue
// links (web.NewIssueLinks).
func newIssueLinks(getenv func(string) string) issueLinks {
	return web.NewIssueLinks(getenv("TARGET_REPO_URL"), getenv("GITHUB_API_URL"))
}

// parseIssueRef reads an issue as the operator names it: OWNER/REPO#N,
// #N (the default repository: repo ""), or the issue's URL
// (https://HOST/OWNER/REPO/issues/N). ok is false for anything else, such
// as a problem key.
func parseIssueRef(s string) (repo string, number int, ok bool) {
	s = strings.TrimSpace(s)
	var num string
	if i := strings.LastIndex(s, "#"); i >= 0 {
		repo, num = s[:i], s[i+1:]
	} else if i := strings.LastIndex(s, "/issues/"); i >= 0 && strings.Contains(s, "://") {
		repo, num = s[:i], strings.TrimSuffix(s[i+len("/issues/"):], "/")
	} else {
		return "", 0, false
	}
	n, err := strconv.Atoi(num)
	if err != nil || n <= 0 || num != strconv.Itoa(n) {
		return "", 0, false
	}
	if repo == "" {
		return "", n, true
	}
	owner, name, err := config.ParseRepo(repo)
	if err != nil {
		return "", 0, false
	}
	return owner + "/" + name, n, true
}

// parseSince reads --since: web.ParseSince, its mistakes named as the flag.
func parseSince(s string, now time.Time) (time.Time, error) {
	t, err := web.ParseSince(s, now)
	return t, asFlag(err)
}

// asFlag names a web.FilterError as the flag it came from.
func asFlag(err error) error {
	var fe *web.FilterError
	if errors.As(err, &fe) {
		fe.Prefix = "--"
	}
	return err
}

// isTerminal reports whether w is a terminal, where the read-only commands
// print aligned tables rather than tab-separated lines. The standard
// library's character-device check is all booty needs of golang.org/x/term.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// table prints rows: aligned columns for a person at a terminal, else one
// line a row with tab-separated fields for scripts (cut -f, awk -F'\t').
// Either way a field never holds a tab, a line break or another control
// character, and is cut to its column's width.
type table struct {
	tw     *tabwriter.Writer // nil: tab-separated
	w      io.Writer
	widths []int // the most runes of each column; 0 is no limit
}

// newTable starts a table on w under header; aligned says whether to align
// the columns. widths bound the columns, shorter on a terminal.
func newTable(w io.Writer, aligned bool, header []string, widths ...int) *table {
	t := &table{w: w, widths: widths}
	if aligned {
		t.tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	}
	t.row(header...)
	return t
}

// row prints one row; an empty field shows as "-", so that columns stay in
// place for awk and the eye.
func (t *table) row(fields ...string) {
	out := make([]string, len(fields))
	for i, f := range fields {
		n := maxFieldRunes
		if i < len(t.widths) && t.widths[i] > 0 && t.tw != nil {
			n = t.widths[i]
		}
		out[i] = cleanField(f, n)
		if out[i] == "" {
			out[i] = "-"
		}
	}
	w := t.w
	if t.tw != nil {
		w = t.tw
	}
	fmt.Fprintln(w, strings.Join(out, "\t"))
}

// flush ends the table.
func (t *table) flush() {
	if t.tw != nil {
		t.tw.Flush()
	}
}

// maxFieldRunes bounds any one field: titles and ids come from webhooks.
const maxFieldRunes = 300

// cleanField makes s one printable line of at most n runes: control
// characters (tabs, line breaks, terminal escapes) and invisible format
// characters (bidirectional overrides) become spaces.
func cleanField(s string, n int) string {
	r := []rune(strings.TrimSpace(s))
	for i, c := range r {
		if unprintable(c) {
			r[i] = ' '
		}
	}
	if len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return string(r)
}

// unprintable reports whether r would act on a terminal rather than show:
// a control character, or an invisible format character such as a
// bidirectional override.
func unprintable(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }

// formatTime shows t in UTC as RFC 3339; "" for the zero time.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// rfc3339Milli is RFC 3339 to the millisecond booty records.
const rfc3339Milli = "2006-01-02T15:04:05.000Z07:00"

// formatInstant is formatTime to the millisecond, for the lines of a
// timeline or an audit trail, several of which often share a second.
func formatInstant(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(rfc3339Milli)
}

// writeJSON prints v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
