package web

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"booty/internal/alert"
	"booty/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

// pages are the status page's templates; html/template escapes every value
// for where it lands, so a title from a webhook stays text.
var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"time":        formatTime,
	"instant":     formatInstant,
	"page":        func(title string, refresh bool) pageHead { return pageHead{title, refresh} },
	"parked":      ParkedWhy,
	"href":        problemHref,
	"jobstate":    JobStateName,
	"parkedstate": store.IsParked,
	"retry":       RetryCommand,
	"link":        func(url, text, otherwise string) linkText { return linkText{url, text, otherwise} },
}).ParseFS(templateFS, "templates/*.html"))

// pageHead is what the head of a page needs: its title, and whether it
// refreshes itself (the list does, every 30 seconds, without a script).
type pageHead struct {
	Title   string
	Refresh bool
}

// linkText is a link the page shows: Text linking to URL, Text alone
// without a URL, Otherwise without either.
type linkText struct{ URL, Text, Otherwise string }

// problemHref is the page of the problem with key.
func problemHref(key string) string { return "/problems/" + url.PathEscape(key) }

// pageSize is how many problems a page of the list shows.
const pageSize = 50

// problemRow is one problem as the page shows it.
type problemRow struct {
	Key, Href, State, Title, Repo, Route string
	IssueRef, IssueURL                   string
	// SentryURL is the problem's Sentry link when it is http(s), else ""
	// and SentryText holds it as text.
	SentryURL, SentryText string
	Events                int64
	LastSeen, FirstSeen   time.Time
}

func (h *handler) row(p alert.Problem) problemRow {
	r := problemRow{Key: p.Key, Href: problemHref(p.Key), State: string(store.StateOf(p)), Title: p.Title,
		Repo: h.links.Repo(p.Repo), Route: p.Route, IssueRef: h.links.Ref(p.Repo, p.IssueNumber),
		IssueURL: webURL(h.links.URL(p.Repo, p.IssueNumber)), Events: p.Count, LastSeen: p.LastSeen, FirstSeen: p.FirstSeen}
	if r.SentryURL = webURL(p.Link); r.SentryURL == "" {
		r.SentryText = p.Link
	}
	return r
}

// webURL is s when it is an absolute http(s) URL, else "": only those are
// links.
func webURL(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	return u.String()
}

type indexData struct {
	Status
	Filter             Filter
	States             []store.ProblemState
	Rows               []problemRow
	Page               int
	PrevHref, NextHref string
	Error              string
	// Runs are the most recent builder and verifier runs.
	Runs []runRow
}

func (h *handler) index(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := indexData{Status: h.readStatus(r.Context()), Filter: filterOf(q.Get), States: store.ProblemStates()}
	page, err := intParam(q.Get("page"), "page", 1, 1, maxOffset/pageSize)
	if err == nil {
		var list []alert.Problem
		var more bool
		list, more, err = h.listProblems(r, d.Filter, (page-1)*pageSize, pageSize)
		for _, p := range list {
			d.Rows = append(d.Rows, h.row(p))
		}
		d.Page = page
		if page > 1 {
			d.PrevHref = pageHref(q, page-1)
		}
		if more {
			d.NextHref = pageHref(q, page+1)
		}
	}
	status := http.StatusOK
	if err != nil {
		status, d.Error = statusOf(err)
		if status == http.StatusInternalServerError {
			h.logError(r, "list problems", err)
		}
	}
	if runs, err := h.opts.Store.RecentRuns(r.Context(), recentRuns); err != nil {
		h.logError(r, "list runs", err)
		d.Status.Problems = append(d.Status.Problems, "the recent runs could not be read")
	} else {
		d.Runs = h.runRows(runs)
	}
	h.render(w, r, status, "index.html", d)
}

// pageHref is the list's URL with its filters, at page.
func pageHref(q url.Values, page int) string {
	v := url.Values{}
	for _, k := range []string{"state", "repo", "route", "since", "search"} {
		if s := q.Get(k); s != "" {
			v.Set(k, s)
		}
	}
	v.Set("page", strconv.Itoa(page))
	return "/?" + v.Encode()
}

type problemData struct {
	Status
	Row problemRow
	*ProblemView
	// DefaultRepo says the problem names no repository of its own.
	DefaultRepo bool
	Closed      string
	Digest      string
	DigestTo    string // the digest issue's URL
	Timeline    []Event
	RunRows     []runRow // the view's Runs, for the page
	Error       string
}

func (h *handler) problemPage(w http.ResponseWriter, r *http.Request) {
	d := problemData{Status: h.readStatus(r.Context())}
	v, err := h.problemView(r)
	if err != nil {
		status, msg := statusOf(err)
		if status == http.StatusInternalServerError {
			h.logError(r, "read problem", err)
		}
		d.Error = msg
		h.render(w, r, status, "problem.html", d)
		return
	}
	d.ProblemView, d.Row, d.Timeline, d.RunRows = v, h.row(v.Problem), v.Timeline(), h.runRows(v.Runs)
	p := v.Problem
	d.DefaultRepo = p.Repo == "" && h.links.DefaultRepo != ""
	if p.IssueClosed {
		d.Closed = "yes"
		if !p.IssueClosedAt.IsZero() {
			d.Closed = formatTime(p.IssueClosedAt)
		}
		if p.IssueCloseReason != "" {
			d.Closed += ", as " + p.IssueCloseReason
		}
	}
	if dg := v.Digest; dg != nil {
		d.Digest = "digest " + strconv.FormatInt(dg.ID, 10) + " of route " + dg.Route
		if dg.IssueNumber > 0 {
			d.Digest += ", issue " + h.links.Ref(dg.Repo, dg.IssueNumber)
			d.DigestTo = webURL(h.links.URL(dg.Repo, dg.IssueNumber))
		}
	} else if p.DigestID != 0 {
		d.Digest = "digest " + strconv.FormatInt(p.DigestID, 10) + " (no longer stored)"
	}
	h.render(w, r, http.StatusOK, "problem.html", d)
}

// render executes a page into a buffer first, so that a failure is a 500,
// not half a page.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, name, data); err != nil {
		h.logError(r, "render "+name, err)
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = b.WriteTo(w)
}

// formatTime shows t in UTC; "" for the zero time.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// formatInstant is formatTime to the millisecond, for a timeline, several
// lines of which often share a second.
func formatInstant(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05.000Z")
}
