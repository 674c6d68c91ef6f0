package alert

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// policies are the policies the sequences run under.
func policies() []Policy {
	var ps []Policy
	for _, onResolve := range []SentryChoice{ChoiceComment, ChoiceClose, ChoiceIgnore} {
		for _, onRegression := range []RegressionChoice{RegressionReopen, RegressionNewIssue} {
			p := Policy{OnResolve: onResolve, OnArchive: onResolve, OnRegression: onRegression, ReopenWindow: time.Hour, SyncSentry: onResolve == ChoiceClose}
			ps = append(ps, p.withDefaults())
		}
	}
	return ps
}

// sequence decodes data into inputs three bytes each: which input, how long
// after the previous one, which release and whether booty caused it.
func sequence(data []byte, only func(InputKind) bool) (ins []Input, gaps []time.Duration) {
	var variants []inputVariant
	for _, v := range inputVariants() {
		if only == nil || only(v.in.Kind) {
			variants = append(variants, v)
		}
	}
	for i := 0; i+2 < len(data); i += 3 {
		in := variants[int(data[i])%len(variants)].in
		switch r := data[i+2] & 0x3f; {
		case r < 8:
			in.Release = ""
		case r < 16:
			in.Release = "1.0"
		default:
			in.Release = fmt.Sprintf("r%d", r)
		}
		in.ByBooty = data[i+2]&0x80 != 0
		ins = append(ins, in)
		gaps = append(gaps, time.Duration(data[i+1])*20*time.Second)
	}
	return ins, gaps
}

// checkRun steps s through ins and fails on any broken invariant of Step.
func checkRun(t *testing.T, s Lifecycle, p Policy, ins []Input, gaps []time.Duration) {
	t.Helper()
	now := t0
	for i, in := range ins {
		now = now.Add(gaps[i])
		if in.Kind == InputEvent || in.Kind == InputEventHeld {
			in.At = now
		}
		next, effects, tr := Step(s, in, p, now)
		where := fmt.Sprintf("input %d (%s) from %s", i, in.Kind, s.state())
		if !slices.Contains(IssueStates, next.State) {
			t.Fatalf("%s: next state %q is no state", where, next.State)
		}
		if len(next.Releases) > MaxReleases || len(next.Flips) > FlapFlips {
			t.Fatalf("%s: %d releases, %d flips; want at most %d, %d", where, len(next.Releases), len(next.Flips), MaxReleases, FlapFlips)
		}
		if !next.State.hasIssue() && next.Issue != 0 {
			t.Fatalf("%s: state %s with issue %d", where, next.State, next.Issue)
		}
		for _, e := range effects {
			if e.Kind == EffectFile && in.Kind != InputEvent {
				t.Fatalf("%s: %s files an issue", where, in.Kind)
			}
			if !s.state().hasIssue() && in.Kind != InputEvent && in.Kind != InputEventHeld && e.Kind != EffectCount {
				t.Fatalf("%s: effect %s for a problem without an issue", where, e.Kind)
			}
			if s.Flapping.Active() && !tr.Settled && (e.Kind == EffectReopen || e.Kind == EffectClose) {
				t.Fatalf("%s: %s while flapping", where, e.Kind)
			}
		}
		blob, err := json.Marshal(next)
		if err != nil {
			t.Fatalf("%s: marshal: %v", where, err)
		}
		var back Lifecycle
		if err := json.Unmarshal(blob, &back); err != nil {
			t.Fatalf("%s: unmarshal: %v", where, err)
		}
		// Comparing the JSON again is cheap enough to do at each step;
		// cmp.Diff is not.
		if again, _ := json.Marshal(back); string(again) != string(blob) {
			t.Fatalf("%s: JSON round trip: %s became %s", where, blob, again)
		}
		s = next
	}
}

// TestSentryOnlyNeverFiles is the property that filing stays driven by
// alert rules: no sequence of Sentry inputs, from any state, files an
// issue, and for a problem without an issue none does anything at all.
func TestSentryOnlyNeverFiles(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, s := range IssueStates {
		for _, p := range policies() {
			for range 15 {
				data := make([]byte, 3*(1+rng.IntN(30)))
				for i := range data {
					data[i] = byte(rng.UintN(256))
				}
				ins, gaps := sequence(data, InputKind.fromSentry)
				now := t0
				l := fixture(s)
				for i, in := range ins {
					now = now.Add(gaps[i])
					next, effects, _ := Step(l, in, p, now)
					if slices.Contains(kinds(effects), EffectFile) {
						t.Fatalf("from %s, %v: %s files", s, kinds(effects), in.Kind)
					}
					if !s.hasIssue() && (len(effects) != 0 || next.State != s) {
						t.Fatalf("from %s: %s gave %v, state %s", s, in.Kind, kinds(effects), next.State)
					}
					l = next
				}
				checkRun(t, fixture(s), p, ins, gaps)
			}
		}
	}
}

// TestRandomSequences checks Step's invariants over random sequences of
// every input.
func TestRandomSequences(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	for _, s := range IssueStates {
		for _, p := range policies() {
			for range 8 {
				data := make([]byte, 3*(1+rng.IntN(60)))
				for i := range data {
					data[i] = byte(rng.UintN(256))
				}
				ins, gaps := sequence(data, nil)
				checkRun(t, fixture(s), p, ins, gaps)
			}
		}
	}
}

// FuzzStep checks Step's invariants over sequences of inputs decoded from
// the fuzzer's bytes; the first byte picks the start state and the policy.
func FuzzStep(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0})
	// open: close, reopen, close, regression within minutes: flapping.
	f.Add([]byte{2, 11, 3, 0, 14, 3, 0, 11, 3, 0, 0, 3, 40, 21, 200, 0})
	// closed as completed: resolve, then regressed within the debounce.
	f.Add([]byte{3, 4, 0, 0, 5, 2, 0})
	// none: Sentry actions, then an event files.
	f.Add([]byte{0, 4, 1, 0, 6, 1, 0, 0, 1, 20})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		ps := policies()
		s := fixture(IssueStates[int(data[0])%len(IssueStates)])
		p := ps[int(data[0]/byte(len(IssueStates)))%len(ps)]
		ins, gaps := sequence(data[1:], nil)
		checkRun(t, s, p, ins, gaps)
	})
}

// TestLifecycleJSONSize checks that a full Lifecycle stays small enough for
// one column.
func TestLifecycleJSONSize(t *testing.T) {
	t.Parallel()
	s := fixture(StateClosedCompleted)
	for i := range MaxReleases + 5 {
		s.see(fmt.Sprintf("booty@2026.12.%02d+%040d", i, i), t0.Add(time.Duration(i)*time.Minute))
	}
	s.Flips = []time.Time{t0, t0, t0}
	s.Flapping = Flapping{Since: t0, QuietSince: t0, Want: StateOpen, WantByPerson: true}
	s.ResolvedAt, s.TailCommented, s.MarkerRemoved, s.RegressionDue = t0, true, true, true
	blob, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Releases) != MaxReleases {
		t.Errorf("releases = %d, want %d", len(s.Releases), MaxReleases)
	}
	if _, ok := s.release("booty@2026.12.00+" + fmt.Sprintf("%040d", 0)); ok {
		t.Error("least recently seen release kept, want it forgotten")
	}
	const limit = 4096
	if len(blob) > limit {
		t.Errorf("JSON of a full lifecycle is %d bytes, want at most %d", len(blob), limit)
	}
	if blob, _ := json.Marshal(Lifecycle{}); string(blob) != "{}" {
		t.Errorf("JSON of the zero lifecycle = %s, want {}", blob)
	}
}
