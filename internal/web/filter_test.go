package web_test

import (
	"bufio"
	"errors"
	"net/url"
	"os"
	"testing"
	"time"

	"booty/internal/store"
	"booty/internal/web"
)

// FuzzFilter reads query strings as the page and API do: a filter is
// either read or refused with a FilterError, never anything else.
func FuzzFilter(f *testing.F) {
	file, err := os.Open("testdata/queries.txt")
	if err != nil {
		f.Fatal(err)
	}
	defer file.Close()
	for sc := bufio.NewScanner(file); sc.Scan(); {
		f.Add(sc.Text())
	}
	links := web.IssueLinks{DefaultRepo: "acme/shop", Web: "https://github.com"}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		in := web.Filter{State: q.Get("state"), Repo: q.Get("repo"), Route: q.Get("route"), Since: q.Get("since"), Search: q.Get("search")}
		sf, err := in.StoreFilter(links, now)
		if err != nil {
			var fe *web.FilterError
			if !errors.As(err, &fe) || fe.Error() == "" {
				t.Fatalf("%q: error %v is not a FilterError", raw, err)
			}
			return
		}
		if sf.State != "" && sf.State != store.StatePending && sf.State != store.StateOpen &&
			sf.State != store.StateClosed && sf.State != store.StateFolded {
			t.Fatalf("%q: state %q accepted", raw, sf.State)
		}
		if _, err := time.ParseDuration(q.Get("since")); err == nil && sf.Since.After(now) {
			t.Fatalf("%q: a duration back from now gave %v, after now", raw, sf.Since)
		}
	})
}

func TestStoreFilter(t *testing.T) {
	t.Parallel()
	links := web.IssueLinks{DefaultRepo: "acme/shop", Web: "https://github.com"}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		in        web.Filter
		wantState store.ProblemState
		wantRepos []string
		wantSince time.Time
		wantErr   string
	}{
		{in: web.Filter{State: " Open "}, wantState: store.StateOpen},
		{in: web.Filter{State: "none"}, wantState: store.StatePending},
		{in: web.Filter{Repo: "https://github.com/Acme/Shop"}, wantRepos: []string{"Acme/Shop", ""}},
		{in: web.Filter{Repo: "acme/web"}, wantRepos: []string{"acme/web"}},
		{in: web.Filter{Since: "1h"}, wantSince: now.Add(-time.Hour)},
		{in: web.Filter{State: "burning"}, wantErr: `state "burning": want pending, open, closed or folded`},
		{in: web.Filter{Repo: "nope"}, wantErr: `repo "nope": want OWNER/REPO`},
		{in: web.Filter{Since: "0s"}, wantErr: `since "0s": want a positive duration`},
	} {
		got, err := tc.in.StoreFilter(links, now)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("%+v: error %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got.State != tc.wantState || len(got.Repos) != len(tc.wantRepos) || !got.Since.Equal(tc.wantSince) {
			t.Errorf("%+v: %+v, %v", tc.in, got, err)
			continue
		}
		for i := range tc.wantRepos {
			if got.Repos[i] != tc.wantRepos[i] {
				t.Errorf("%+v: repos %q, want %q", tc.in, got.Repos, tc.wantRepos)
			}
		}
	}
}
