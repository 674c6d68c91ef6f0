package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"booty/internal/config"
)

// This file holds what the read-only commands (problems, deliveries) share:
// how they name repositories and issues, read --since, and print tables.

// defaultRepoName is how a problem filed in the default repository is shown
// when TARGET_REPO_URL does not say which one that is.
const defaultRepoName = "(default repository)"

// issueLinks names issues for the operator: OWNER/REPO#N and the issue's
// web URL.
type issueLinks struct {
	// defaultRepo is TARGET_REPO_URL as OWNER/REPO, "" when unset or bad.
	defaultRepo string
	// web is the GitHub web host issues are on, such as https://github.com.
	web string
}

// newIssueLinks reads TARGET_REPO_URL for the default repository and
// GITHUB_API_URL for the web host: github.com for api.github.com (or when
// unset); HOST for an api.HOST API (GitHub Enterprise Cloud); else the
// API's own scheme and host (GitHub Enterprise Server, https://HOST/api/v3/).
func newIssueLinks(getenv func(string) string) issueLinks {
	var l issueLinks
	if owner, name, err := config.ParseRepo(getenv("TARGET_REPO_URL")); err == nil {
		l.defaultRepo = owner + "/" + name
	}
	l.web = "https://github.com"
	if u, err := url.Parse(strings.TrimSpace(getenv("GITHUB_API_URL"))); err == nil && u.Host != "" &&
		(u.Scheme == "https" || u.Scheme == "http") && !strings.EqualFold(u.Hostname(), "api.github.com") {
		host := u.Host
		if h, ok := strings.CutPrefix(strings.ToLower(host), "api."); ok {
			host = h
		}
		l.web = u.Scheme + "://" + host
	}
	return l
}

// repo is the repository a problem stored with repo is filed in, as
// OWNER/REPO ("" is the default repository).
func (l issueLinks) repo(stored string) string {
	switch {
	case stored != "":
		return stored
	case l.defaultRepo != "":
		return l.defaultRepo
	}
	return defaultRepoName
}

// jsonRepo is repo for --json: OWNER/REPO, "" when it is the default
// repository and TARGET_REPO_URL does not say which that is.
func (l issueLinks) jsonRepo(stored string) string {
	if r := l.repo(stored); r != defaultRepoName {
		return r
	}
	return ""
}

// ref is issue number of repo as OWNER/REPO#N; "" without an issue.
func (l issueLinks) ref(stored string, number int) string {
	if number <= 0 {
		return ""
	}
	return l.repo(stored) + "#" + strconv.Itoa(number)
}

// url is the web URL of issue number of repo; "" without an issue or when
// the repository is not known.
func (l issueLinks) url(stored string, number int) string {
	repo := l.repo(stored)
	if number <= 0 || repo == defaultRepoName {
		return ""
	}
	return l.web + "/" + repo + "/issues/" + strconv.Itoa(number)
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

// parseSince reads --since: a Go duration back from now ("1h", "30m") or
// an RFC 3339 time. "" is no bound (the zero time).
func parseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d <= 0 {
			return time.Time{}, fmt.Errorf("--since %q: want a positive duration", s)
		}
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("--since %q: want a duration such as 1h or 30m, or an RFC 3339 time such as 2026-01-02T15:04:05Z", s)
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
		if unicode.IsControl(c) || unicode.Is(unicode.Cf, c) {
			r[i] = ' '
		}
	}
	if len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return string(r)
}

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

// jsonTime is t for --json: RFC 3339 in UTC, null when zero.
func jsonTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339Nano)
	return &s
}

// writeJSON prints v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
