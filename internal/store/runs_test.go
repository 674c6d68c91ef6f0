package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"booty/internal/store"
)

// TestRuns records a build and a verify run, finishes them, and reads them
// back one by one and in the lists, on each backend.
func TestRuns(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		build := store.Run{Kind: store.RunBuild, JobID: 11, ProblemKey: "sentry:1", Repo: "acme/shop", Issue: 5, Attempt: 1,
			SHA: "base0000", Detail: "cloning", StartedAt: base}
		id, err := st.StartRun(ctx, build)
		if err != nil {
			t.Fatalf("StartRun: %v", err)
		}
		got, err := st.Run(ctx, id)
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		build.ID = id
		if diff := cmp.Diff(build, got); diff != "" || !got.Running() {
			t.Errorf("the started run (-want +got):\n%s\nrunning %v", diff, got.Running())
		}

		err = st.FinishRun(ctx, id, store.RunEnd{Outcome: "pull_opened", Detail: "opened pull request #9", Log: "ok\n",
			SHA: "head1111", Pull: 9, At: base.Add(90 * time.Second)})
		if err != nil {
			t.Fatalf("FinishRun: %v", err)
		}
		verify := store.Run{Kind: store.RunVerify, JobID: 12, ProblemKey: "sentry:1", Repo: "acme/shop", Issue: 5, Pull: 9,
			Attempt: 1, SHA: "head1111", StartedAt: base.Add(2 * time.Minute)}
		if verify.ID, err = st.StartRun(ctx, verify); err != nil {
			t.Fatalf("StartRun: %v", err)
		}
		// Only the outcome's fields change when SHA and Pull are unset.
		if err := st.FinishRun(ctx, verify.ID, store.RunEnd{Outcome: "failure", Detail: "2 tests failed",
			Log: "FAIL\n", At: base.Add(3 * time.Minute)}); err != nil {
			t.Fatalf("FinishRun: %v", err)
		}
		other := store.Run{Kind: store.RunBuild, JobID: 13, ProblemKey: "sentry:2", Repo: "acme/web", Issue: 7, Attempt: 1,
			StartedAt: base.Add(time.Minute)}
		if other.ID, err = st.StartRun(ctx, other); err != nil {
			t.Fatalf("StartRun: %v", err)
		}

		wantBuild := build
		wantBuild.Outcome, wantBuild.Detail, wantBuild.Log, wantBuild.SHA, wantBuild.Pull = "pull_opened", "opened pull request #9", "ok\n", "head1111", 9
		wantBuild.FinishedAt = base.Add(90 * time.Second)
		wantVerify := verify
		wantVerify.Outcome, wantVerify.Detail, wantVerify.Log, wantVerify.FinishedAt = "failure", "2 tests failed", "FAIL\n", base.Add(3*time.Minute)
		for _, want := range []store.Run{wantBuild, wantVerify, other} {
			got, err := st.Run(ctx, want.ID)
			if err != nil {
				t.Fatalf("Run %d: %v", want.ID, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("run %d (-want +got):\n%s", want.ID, diff)
			}
		}
		if d := wantBuild.Duration(base.Add(time.Hour)); d != 90*time.Second {
			t.Errorf("the build's duration: %v, want 90s", d)
		}
		if d := other.Duration(base.Add(5 * time.Minute)); d != 4*time.Minute {
			t.Errorf("the running build's duration: %v, want 4m", d)
		}

		// The lists are newest first, without logs.
		noLog := func(rs ...store.Run) []store.Run {
			for i := range rs {
				rs[i].Log = ""
			}
			return rs
		}
		for _, tc := range []struct {
			name string
			list func() ([]store.Run, error)
			want []store.Run
		}{
			{"problem", func() ([]store.Run, error) { return st.ProblemRuns(ctx, "sentry:1", 0) }, noLog(wantVerify, wantBuild)},
			{"problem, limited", func() ([]store.Run, error) { return st.ProblemRuns(ctx, "sentry:1", 1) }, noLog(wantVerify)},
			{"problem without runs", func() ([]store.Run, error) { return st.ProblemRuns(ctx, "sentry:404", 10) }, nil},
			{"recent", func() ([]store.Run, error) { return st.RecentRuns(ctx, 10) }, noLog(wantVerify, other, wantBuild)},
			{"recent, limited", func() ([]store.Run, error) { return st.RecentRuns(ctx, 2) }, noLog(wantVerify, other)},
		} {
			got, err := tc.list()
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.name, diff)
			}
		}

		if _, err := st.Run(ctx, 9999); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Run of no run: %v, want ErrNotFound", err)
		}
		if err := st.FinishRun(ctx, 9999, store.RunEnd{Outcome: "success"}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("FinishRun of no run: %v, want ErrNotFound", err)
		}
	})
}

// TestStartRunInterrupts starts a job's run again, as River does after a
// crash: the unfinished run of that job ends as interrupted, and no other
// run changes.
func TestStartRunInterrupts(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		start := func(job int64, attempt int, at time.Duration) int64 {
			t.Helper()
			id, err := st.StartRun(ctx, store.Run{Kind: store.RunVerify, JobID: job, ProblemKey: "sentry:1", Repo: "acme/shop",
				Issue: 5, Pull: 9, Attempt: attempt, StartedAt: base.Add(at)})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		done := start(21, 1, 0)
		if err := st.FinishRun(ctx, done, store.RunEnd{Outcome: "error", Detail: "clone failed", At: base.Add(time.Second)}); err != nil {
			t.Fatal(err)
		}
		lost := start(21, 2, time.Minute)
		neighbour := start(22, 1, time.Minute)
		again := start(21, 3, 5*time.Minute)

		for _, tc := range []struct {
			id                int64
			outcome           string
			finished, running bool
		}{
			{done, "error", true, false},
			{lost, store.OutcomeInterrupted, true, false},
			{neighbour, "", false, true},
			{again, "", false, true},
		} {
			r, err := st.Run(ctx, tc.id)
			if err != nil {
				t.Fatal(err)
			}
			if r.Outcome != tc.outcome || r.Running() != tc.running {
				t.Errorf("run %d (attempt %d of job %d): outcome %q, running %v; want %q, %v",
					tc.id, r.Attempt, r.JobID, r.Outcome, r.Running(), tc.outcome, tc.running)
			}
			if tc.id == lost && (!r.FinishedAt.Equal(base.Add(5*time.Minute)) || !strings.Contains(r.Detail, "job 21 started again")) {
				t.Errorf("the interrupted run ended at %v with %q; want the next run's start and why", r.FinishedAt, r.Detail)
			}
			if tc.id == done && r.Detail != "clone failed" {
				t.Errorf("the finished run's detail became %q", r.Detail)
			}
		}
		// The lost attempt did end after all: it takes the later word.
		if err := st.FinishRun(ctx, lost, store.RunEnd{Outcome: "success", At: base.Add(6 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if r, err := st.Run(ctx, lost); err != nil || r.Outcome != "success" {
			t.Errorf("the interrupted run finished late: %q, %v; want success", r.Outcome, err)
		}
	})
}

// TestRunTextsBounded stores texts no worker should send, but a build's
// output may hold: long, multi-line, invalid UTF-8 and NUL. Both backends
// keep them, bounded.
func TestRunTextsBounded(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		detail := "line one\nline\ttwo \x1b[31mred\x00 " + strings.Repeat("é", 400)
		log := "\xff\x00start\n" + strings.Repeat("x", store.MaxRunLog) + "€the end\n"
		id, err := st.StartRun(ctx, store.Run{Kind: store.RunBuild, JobID: 31, ProblemKey: "sentry:1", Detail: detail, Log: log,
			StartedAt: base})
		if err != nil {
			t.Fatalf("StartRun: %v", err)
		}
		r, err := st.Run(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if r.Detail != store.ClipDetail(detail) || r.Log != store.ClipLog(log) {
			t.Errorf("the started run's detail %q and log's end %q; want them clipped", r.Detail, r.Log[max(0, len(r.Log)-20):])
		}
		if err := st.FinishRun(ctx, id, store.RunEnd{Outcome: "", Detail: detail, Log: "\x00" + log}); err != nil {
			t.Fatalf("FinishRun: %v", err)
		}
		if r, err = st.Run(ctx, id); err != nil {
			t.Fatal(err)
		}
		if r.Outcome != "finished" || r.Running() || len(r.Log) > store.MaxRunLog || !strings.HasSuffix(r.Log, "€the end\n") ||
			utf8.RuneCountInString(r.Detail) != store.MaxRunDetail || strings.ContainsAny(r.Detail, "\n\t\x00\x1b") {
			t.Errorf("the finished run: outcome %q, running %v, log of %d bytes ending %q, detail %q",
				r.Outcome, r.Running(), len(r.Log), r.Log[max(0, len(r.Log)-20):], r.Detail)
		}
	})
}

func TestClipDetail(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, in, want string }{
		{"short", "2 tests failed", "2 tests failed"},
		{"empty", "", ""},
		{"lines", "first\r\nsecond\tthird\n", "first second third"},
		{"escapes", "\x1b[31mred\x1b[0m \u202eevil", "[31mred [0m evil"},
		{"invalid", "a\xffb", "a b"},
		{"exact", strings.Repeat("é", store.MaxRunDetail), strings.Repeat("é", store.MaxRunDetail)},
		{"long", strings.Repeat("é", store.MaxRunDetail+1), strings.Repeat("é", store.MaxRunDetail-1) + "…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := store.ClipDetail(tc.in); got != tc.want {
				t.Errorf("ClipDetail(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestClipLog(t *testing.T) {
	t.Parallel()
	const marker = "[earlier output clipped]\n"
	long := strings.Repeat("a", store.MaxRunLog)
	for _, tc := range []struct{ name, in, want string }{
		{"short", "ok\n", "ok\n"},
		{"lines kept", "one\n\ttwo\r\n", "one\n\ttwo\r\n"},
		{"NUL", "a\x00b", "a\uFFFDb"},
		{"invalid", "a\xff\xfeb", "a\uFFFDb"},
		{"exact", long, long},
		{"long", "head" + long, marker + long[len(marker):]},
		{"cut inside a rune", strings.Repeat("€", store.MaxRunLog/3+10) + "x",
			marker + strings.Repeat("€", (store.MaxRunLog-len(marker)-1)/3) + "x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := store.ClipLog(tc.in)
			if got != tc.want {
				t.Errorf("ClipLog: %d bytes starting %q, want %d starting %q", len(got), got[:min(40, len(got))], len(tc.want), tc.want[:min(40, len(tc.want))])
			}
		})
	}
}

// FuzzClipLog checks that whatever a build prints, the stored log is
// valid UTF-8 without NUL, bounded, and the output's end.
func FuzzClipLog(f *testing.F) {
	f.Add("ok\n", 0)
	f.Add("€\x00\xff", store.MaxRunLog)
	f.Add("--- FAIL: TestX\n", store.MaxRunLog-3)
	f.Fuzz(func(t *testing.T, tail string, pad int) {
		if pad < 0 || pad > 2*store.MaxRunLog {
			t.Skip()
		}
		s := strings.Repeat("é", pad/2) + tail
		got := store.ClipLog(s)
		if !utf8.ValidString(got) || strings.Contains(got, "\x00") || len(got) > store.MaxRunLog {
			t.Fatalf("ClipLog of %d bytes: %d bytes, valid %v", len(s), len(got), utf8.ValidString(got))
		}
		if utf8.ValidString(tail) && !strings.Contains(tail, "\x00") && len(tail) < store.MaxRunLog/2 && !strings.HasSuffix(got, tail) {
			t.Fatalf("ClipLog lost the end %q", tail)
		}
	})
}

// FuzzClipDetail checks that any detail becomes one bounded, valid line.
func FuzzClipDetail(f *testing.F) {
	f.Add("2 tests failed")
	f.Add("a\nb\x1b[0m\xff")
	f.Add(strings.Repeat("€", 301))
	f.Fuzz(func(t *testing.T, s string) {
		got := store.ClipDetail(s)
		if !utf8.ValidString(got) || utf8.RuneCountInString(got) > store.MaxRunDetail || strings.ContainsAny(got, "\n\r\t\x00") {
			t.Fatalf("ClipDetail(%q) = %q", s, got)
		}
	})
}
