package github

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"booty/internal/storm"
)

// TestDigest renders a storm's digest whose problems' text would ping,
// reference and link: all of it stays in code, the first DigestShown are
// listed and the rest counted, and a promoted problem is checked and
// linked.
func TestDigest(t *testing.T) {
	t.Parallel()
	r := NewRenderer(RenderOptions{})
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	var es []storm.Entry
	for i := range 60 {
		es = append(es, storm.Entry{Key: fmt.Sprintf("sentry:%d", i), Title: fmt.Sprintf("@octocat fixes #%d https://github.com/a/b/issues/1", i),
			Level: "error", Count: int64(60 - i), FirstSeen: t0, Link: fmt.Sprintf("https://acme.sentry.io/issues/%d/", i),
			Project: "shop", Environment: "production", Release: "web@1.2"})
	}
	es[0].Issue = 17
	d := storm.Digest{ID: 3, Route: "web", IssueNumber: 9}
	body := r.DigestBody(d, es, "30m0s")
	checkRendered(t, "digest", strings.Replace(body, "filed as #17", "filed as it", 1))
	if n := strings.Count(body, "\n- [ ] ") + strings.Count(body, "\n- [x] "); n != DigestShown {
		t.Errorf("%d lines listed, want %d", n, DigestShown)
	}
	for _, want := range []string{"…and 10 more problems.", "- [x] ", "filed as #17", Marker(DigestKey(3)), "60 new problems"} {
		if !strings.Contains(body, want) {
			t.Errorf("digest lacks %q", want)
		}
	}
	title := r.DigestTitle(storm.Summarize(es), len(es))
	if want := "Sentry storm: shop/production — 60 new problems in web@1.2"; title != want {
		t.Errorf("title %q, want %q", title, want)
	}
	checkRendered(t, "title", title)
	if got := r.DigestTitle(storm.Summary{}, 1); got != "Sentry storm: unknown project/unknown environment — 1 new problem" {
		t.Errorf("title without a summary: %q", got)
	}
}
