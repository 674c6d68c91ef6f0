package web

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river/rivertype"

	"booty/internal/alert"
	"booty/internal/store"
	"booty/internal/storm"
)

// MaxDeliveries is the most deliveries a problem's view holds, the newest.
const MaxDeliveries = 1000

// ProblemView is one problem with its story: what `booty problems show`
// prints and the problem page shows.
type ProblemView struct {
	Problem alert.Problem
	// Digest is the digest the problem is folded into, if any.
	Digest     *storm.Digest
	Deliveries []store.DeliveryRecord
	// MoreDeliveries says Deliveries holds only the newest MaxDeliveries.
	MoreDeliveries bool
	Jobs           []store.ProblemJob
	Transitions    []alert.Transition
	// Releases are the releases the problem was seen in, the most
	// recently seen first (the lifecycle keeps the last 20).
	Releases []alert.ReleaseSeen
	// Runs are the problem's builder and verifier runs, the newest
	// MaxRuns, newest first, without their logs (store.Store.Run has
	// them).
	Runs []store.Run
}

// ReadProblemView reads p's deliveries, jobs, lifecycle, digest and runs.
func ReadProblemView(ctx context.Context, st *store.Store, p alert.Problem) (*ProblemView, error) {
	v := &ProblemView{Problem: p}
	var err error
	if v.Deliveries, err = st.ProblemDeliveries(ctx, p.Key, MaxDeliveries+1); err != nil {
		return nil, err
	}
	if len(v.Deliveries) > MaxDeliveries {
		v.Deliveries, v.MoreDeliveries = v.Deliveries[1:], true
	}
	if v.Jobs, err = st.ProblemJobs(ctx, p.Key); err != nil {
		return nil, err
	}
	if v.Transitions, err = st.Transitions(ctx, p.Key, MaxDeliveries); err != nil {
		return nil, err
	}
	if v.Runs, err = st.ProblemRuns(ctx, p.Key, MaxRuns); err != nil {
		return nil, err
	}
	lc, err := st.LifecycleOf(ctx, p.Key)
	if err != nil {
		return nil, err
	}
	v.Releases = slices.Clone(lc.Releases)
	slices.SortFunc(v.Releases, func(a, b alert.ReleaseSeen) int { return b.LastSeen.Compare(a.LastSeen) })
	if p.DigestID != 0 {
		d, err := st.Digest(ctx, p.DigestID)
		switch {
		case err == nil:
			v.Digest = &d
		case !errors.Is(err, store.ErrNotFound):
			return nil, err
		}
	}
	return v, nil
}

// Event is one line of a problem's timeline.
type Event struct {
	At       time.Time
	Source   string // sentry, github, lifecycle or job
	Resource string // Sentry's hook resource, GitHub's event, or "job N"
	Action   string
	Decision string
	Reason   string
	Detail   string
	JobID    int64
}

// Timeline merges the problem's deliveries, jobs and lifecycle by time.
func (v *ProblemView) Timeline() []Event {
	var out []Event
	for _, d := range v.Deliveries {
		e := Event{At: d.ReceivedAt, Source: d.Source, Resource: d.Resource, Action: d.Action, JobID: d.JobID}
		e.Decision, e.Reason = DecisionOf(d)
		e.Detail = deliveryDetail(d)
		out = append(out, e)
	}
	for _, j := range v.Jobs {
		name := "job " + strconv.FormatInt(j.ID, 10)
		out = append(out, Event{At: j.CreatedAt, Source: "job", Resource: name, Action: j.Action, Decision: "queued", JobID: j.ID})
		if !j.FinalizedAt.IsZero() {
			e := Event{At: j.FinalizedAt, Source: "job", Resource: name, Action: j.Action, Decision: JobStateName(j.State),
				Detail: Attempts(j), JobID: j.ID}
			if store.IsParked(j.State) {
				e.Reason = j.LastError
			}
			out = append(out, e)
		}
	}
	for _, t := range v.Transitions {
		e := Event{At: t.At, Source: "lifecycle", Resource: string(t.Input), Decision: string(t.To), Reason: string(t.Reason)}
		if t.From != t.To {
			e.Detail = "from " + string(t.From)
		}
		out = append(out, e)
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].At.Before(out[b].At) })
	return out
}

// DecisionOf splits what booty made of a delivery into a decision and,
// for an ignored Sentry alert, the reason.
func DecisionOf(d store.DeliveryRecord) (decision, reason string) {
	if d.Source == store.SourceSentry && !d.Accepted() {
		return "ignored", d.Outcome
	}
	return d.Outcome, ""
}

// deliveryDetail is the rest of what booty recorded of d.
func deliveryDetail(d store.DeliveryRecord) string {
	var parts []string
	if d.EventID != "" {
		parts = append(parts, "event "+d.EventID)
	}
	if d.Route != "" {
		parts = append(parts, "route "+d.Route)
	}
	if d.JobID != 0 {
		parts = append(parts, "job "+strconv.FormatInt(d.JobID, 10))
	}
	if d.Issue != 0 {
		parts = append(parts, "issue #"+strconv.Itoa(d.Issue))
	}
	return strings.Join(parts, ", ")
}

// JobStateName names a River job state in booty's words.
func JobStateName(s rivertype.JobState) string {
	switch s {
	case rivertype.JobStateAvailable:
		return "queued"
	case rivertype.JobStateRetryable:
		return "retrying"
	case rivertype.JobStateCancelled, rivertype.JobStateDiscarded:
		return "parked: " + ParkedWhy(string(s))
	}
	return string(s)
}

// ParkedWhy says in plain words why a job parked, from its River state.
func ParkedWhy(state string) string {
	switch rivertype.JobState(state) {
	case rivertype.JobStateCancelled:
		return "refused"
	case rivertype.JobStateDiscarded:
		return "out of attempts"
	}
	return state
}

// Attempts is how many of its attempts job j has used, in words.
func Attempts(j store.ProblemJob) string {
	return fmt.Sprintf("attempt %d of %d", j.Attempt, j.MaxAttempts)
}

// RetryCommand is how the operator runs parked job id again.
func RetryCommand(id int64) string { return "booty parked retry " + strconv.FormatInt(id, 10) }

// ReleaseNames lists the releases seen, the most recent first.
func (v *ProblemView) ReleaseNames() []string {
	names := make([]string, len(v.Releases))
	for i, r := range v.Releases {
		names[i] = r.Name
	}
	return names
}
