package storm

import (
	"cmp"
	"slices"
	"time"
)

// Digest is one storm of one route: the GitHub issue that lists the
// problems folded while the route was over its budget.
type Digest struct {
	ID    int64
	Route string
	// Repo is the repository the digest is filed in, "OWNER/NAME" ("" for
	// the default repository).
	Repo string
	// IssueNumber is 0 until the digest's issue exists.
	IssueNumber int
	OpenedAt    time.Time
	// LastFoldAt is when a problem last folded into the digest: the
	// storm is over once it is StormQuiet in the past.
	LastFoldAt time.Time
	// Version counts the changes to what the digest lists; ShownVersion is
	// the version GitHub shows, at ShownAt.
	Version      int64
	ShownVersion int64
	ShownAt      time.Time
}

// Stale reports whether GitHub does not show the digest's latest version.
func (d Digest) Stale() bool { return d.IssueNumber == 0 || d.ShownVersion < d.Version }

// Entry is one folded problem as its digest lists it.
type Entry struct {
	Key         string
	Title       string
	Level       string
	Count       int64
	FirstSeen   time.Time
	Link        string
	Project     string
	Environment string
	Release     string
	// Issue is the problem's own issue once it was promoted out of the
	// digest; 0 while it is only listed.
	Issue int
}

// Sort orders entries as a digest lists them: the most frequent first,
// then the oldest, then by key, so that the order is stable.
func Sort(es []Entry) {
	slices.SortFunc(es, func(a, b Entry) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), a.FirstSeen.Compare(b.FirstSeen), cmp.Compare(a.Key, b.Key))
	})
}

// Summary is what a digest's title says of its problems.
type Summary struct {
	// Project and Environment are the ones most problems share ("" when
	// none is known).
	Project     string
	Environment string
	// Release is named only when more than half of the problems share it.
	Release string
}

// Summarize returns what most of es share.
func Summarize(es []Entry) Summary {
	var s Summary
	s.Project, _ = mostCommon(es, func(e Entry) string { return e.Project })
	s.Environment, _ = mostCommon(es, func(e Entry) string { return e.Environment })
	if r, n := mostCommon(es, func(e Entry) string { return e.Release }); 2*n > len(es) {
		s.Release = r
	}
	return s
}

// mostCommon returns the most common non-empty value of f over es and how
// many share it; ties go to the value that sorts first, so that the title
// does not change between two renders of the same list.
func mostCommon(es []Entry, f func(Entry) string) (string, int) {
	counts := map[string]int{}
	for _, e := range es {
		if v := f(e); v != "" {
			counts[v]++
		}
	}
	var best string
	n := 0
	for v, c := range counts {
		if c > n || (c == n && v < best) {
			best, n = v, c
		}
	}
	return best, n
}
