package intake

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"booty/internal/alert"
	"booty/internal/ghhook"
	"booty/internal/store"
)

// GitHubOutcome is what booty made of one GitHub delivery: the answer's
// outcome, the delivery record's and the metric's.
type GitHubOutcome string

// The outcomes of a verified GitHub delivery.
const (
	// GitHubClosed, GitHubReopened and GitHubForgotten record a change
	// of a problem's issue: closed (with GitHub's reason), reopened, or
	// deleted or transferred away, so that the next alert files anew.
	GitHubClosed    GitHubOutcome = "closed"
	GitHubReopened  GitHubOutcome = "reopened"
	GitHubForgotten GitHubOutcome = "forgotten"
	// GitHubFollowed is an issue transferred to a repository booty
	// routes to: the problem follows it there.
	GitHubFollowed GitHubOutcome = "followed"
	// GitHubBuildQueued is the trigger label added to an open issue of a
	// problem: its build is queued.
	GitHubBuildQueued GitHubOutcome = "build_queued"
	// GitHubVerifyQueued is a pull request from booty's branch of a
	// problem's issue, opened or pushed to: its verification is queued.
	GitHubVerifyQueued GitHubOutcome = "verify_queued"
	// GitHubNotBootyBranch is a pull request from any branch but booty's
	// booty/issue-N of the repository itself: a fork's is never run.
	GitHubNotBootyBranch GitHubOutcome = "not_booty_branch"
	// GitHubPing answers GitHub's ping when a webhook is set up.
	GitHubPing GitHubOutcome = "ping"
	// GitHubDuplicate is a delivery id booty took before: a redelivery.
	GitHubDuplicate GitHubOutcome = "duplicate"
	// GitHubOwnAction is an event booty's own identity caused: booty
	// already knows, and answering it could loop.
	GitHubOwnAction GitHubOutcome = "own_action"
	// GitHubNotBooty is an issue without booty's marker, or with the
	// marker of a problem booty does not know.
	GitHubNotBooty GitHubOutcome = "not_booty_issue"
	// GitHubOtherIssue is an issue with a problem's marker that is not the
	// problem's issue (a duplicate booty closed, an older issue).
	GitHubOtherIssue GitHubOutcome = "other_issue"
	// GitHubIgnored is an event or action booty does not follow.
	GitHubIgnored GitHubOutcome = "ignored"
)

// Ignored reports whether booty changed nothing for the delivery: a
// redelivery, its own action, or an event, issue or branch that is not
// its to follow.
func (o GitHubOutcome) Ignored() bool {
	switch o {
	case GitHubDuplicate, GitHubIgnored, GitHubOwnAction, GitHubNotBooty, GitHubOtherIssue, GitHubNotBootyBranch:
		return true
	}
	return false
}

// GitHubResult is what became of one GitHub delivery.
type GitHubResult struct {
	Event, Action string
	Repo          string
	Sender        string
	ProblemKey    string
	Issue         int
	Outcome       GitHubOutcome
	// StateReason is a close's state_reason.
	StateReason string
}

// GitHub records GitHub's issues webhooks against booty's problems.
type GitHub struct {
	store Store
	// own returns booty's own login on GitHub ("" while unknown).
	own func() string
	// repoOf says whether "OWNER/NAME" is the repository of a problem
	// whose stored repository is repo ("" for the default one).
	sameRepo func(problemRepo, eventRepo string) bool
	log      *slog.Logger
	now      func() time.Time
	// policy, notes, syncs and routed come with WithLifecycle.
	policy alert.Policy
	notes  NoteFunc
	syncs  SyncFunc
	ticks  TickFunc
	routed func(repo string) bool
	// builds queues a build when a person adds trigger(route) to a
	// problem's issue (WithBuilds); nil: no builds.
	builds  BuildFunc
	trigger func(route string) string
	// verify queues the verification of a pull request from booty's
	// branch (WithVerifier); nil: none.
	verify VerifyFunc
}

// PullHead is the head of a pull request from booty's branch of an issue.
type PullHead struct {
	Number      int
	Branch, SHA string
}

// VerifyFunc queues, inside tx, the verification of pull request pr of
// problem p's issue, and returns its id.
type VerifyFunc func(ctx context.Context, tx *store.Tx, p alert.Problem, pr PullHead) (jobID int64, err error)

// WithVerifier makes g queue a verification when a pull request from
// booty's branch of a problem's issue is opened, reopened or pushed to.
func (g *GitHub) WithVerifier(verify VerifyFunc) *GitHub {
	g.verify = verify
	return g
}

// BuildFunc queues, inside tx, the build of problem p's issue that sender
// asked for by adding the trigger label, and returns its id.
type BuildFunc func(ctx context.Context, tx *store.Tx, p alert.Problem, sender string) (jobID int64, err error)

// WithBuilds makes g queue a build when a person adds a problem's trigger
// label (trigger gives it for the problem's route) to its issue.
func (g *GitHub) WithBuilds(builds BuildFunc, trigger func(route string) string) *GitHub {
	g.builds, g.trigger = builds, trigger
	return g
}

// SyncFunc adds, inside tx, the job that makes Sentry follow effect e (a
// resolve, archive or unresolve) of problem p, and returns its id.
type SyncFunc func(ctx context.Context, tx *store.Tx, p alert.Problem, e alert.Effect) (jobID int64, err error)

// WithLifecycle makes g take each issues event as a step of the problem's
// lifecycle under policy p: notes write its comments and labels (a
// flapping issue's), syncs its calls to Sentry (nil: no sync), and routed
// says which repositories a transferred issue is followed into.
func (g *GitHub) WithLifecycle(p alert.Policy, notes NoteFunc, syncs SyncFunc, routed func(repo string) bool) *GitHub {
	g.policy, g.notes, g.syncs, g.routed = p, notes, syncs, routed
	return g
}

// WithTicks makes g schedule the settling of a flapping issue with ticks.
func (g *GitHub) WithTicks(ticks TickFunc) *GitHub {
	g.ticks = ticks
	return g
}

// NewGitHub returns the intake of GitHub webhooks. own returns booty's own
// GitHub login, defaultRepo ("OWNER/NAME") is the repository of problems
// stored without one.
func NewGitHub(st Store, own func() string, defaultRepo string, log *slog.Logger, now func() time.Time) *GitHub {
	return &GitHub{store: st, own: own, log: log, now: now,
		sameRepo: func(problemRepo, eventRepo string) bool {
			if problemRepo == "" {
				problemRepo = defaultRepo
			}
			return strings.EqualFold(problemRepo, eventRepo)
		}}
}

// Receive parses a verified delivery (event is X-GitHub-Event, id
// X-GitHub-Delivery) and records what it says of a problem's issue, with
// the delivery, in one transaction. It returns a *ghhook.PayloadError for a
// bad payload or delivery id, and a store error when nothing was recorded.
// It never calls GitHub.
func (g *GitHub) Receive(ctx context.Context, id, event string, body []byte) (GitHubResult, error) {
	id, err := ghhook.DeliveryID(id)
	if err != nil {
		return GitHubResult{}, err
	}
	e, err := ghhook.Parse(event, body)
	if err != nil {
		return GitHubResult{}, err
	}
	res := GitHubResult{Event: e.Name, Action: e.Action, Repo: e.Repo, Sender: e.Sender.Login}
	rec := store.GitHubDelivery{ID: id, ReceivedAt: g.now(), Event: e.Name, Action: e.Action}
	pull := e.Kind == ghhook.KindPullRequest && e.PullRequest != nil && g.verify != nil
	switch {
	case e.Kind == ghhook.KindPing:
		res.Outcome = GitHubPing
	case pull:
		// booty's own pull requests are the ones it verifies: no own
		// action is skipped here.
		res.Issue, _ = bootyBranchIssue(e.PullRequest.HeadRef)
	case e.Kind != ghhook.KindIssues || e.Issue == nil:
		res.Outcome = GitHubIgnored
	case ghhook.IsOwnSender(e, g.own()):
		res.Outcome = GitHubOwnAction
	}
	if e.Issue != nil {
		res.Issue, res.ProblemKey, res.StateReason = e.Issue.Number, e.Issue.ProblemKey, e.Issue.StateReason
		if e.Action == "deleted" || e.Action == "transferred" || e.Issue.ProblemKey == "" {
			// A deleted or transferred issue's body is as it was: its
			// marker still names the problem.
			res.ProblemKey = cmp.Or(e.Issue.ProblemKey, e.Issue.PreviousProblemKey)
		}
		if res.ProblemKey == "" && res.Outcome == "" {
			res.Outcome = GitHubNotBooty
		}
	}
	rec.ProblemKey, rec.Issue = res.ProblemKey, res.Issue
	err = g.store.Transact(ctx, func(tx *store.Tx) error {
		outcome := res.Outcome
		if outcome == "" {
			var err error
			if pull {
				outcome, rec.ProblemKey, err = g.applyPull(ctx, tx, e)
				res.ProblemKey = rec.ProblemKey
			} else {
				outcome, err = g.apply(ctx, tx, e, res.ProblemKey)
			}
			if err != nil {
				return err
			}
		}
		rec.Outcome = string(outcome)
		fresh, err := tx.RecordGitHubDelivery(ctx, rec)
		if err != nil {
			return err
		}
		if !fresh {
			// Roll the change back: the first delivery made it.
			outcome = GitHubDuplicate
			res.Outcome = outcome
			return errDuplicate
		}
		res.Outcome = outcome
		return nil
	})
	if errors.Is(err, errDuplicate) {
		return res, nil
	}
	if err != nil {
		return GitHubResult{}, fmt.Errorf("record github delivery %s: %w", id, err)
	}
	return res, nil
}

// errDuplicate rolls back the transaction of a redelivered GitHub delivery.
var errDuplicate = errors.New("github delivery taken before")

// apply records what issues event e says of problem key's issue, under the
// problem's row lock, and returns the outcome.
func (g *GitHub) apply(ctx context.Context, tx *store.Tx, e *ghhook.Event, key string) (GitHubOutcome, error) {
	p, err := tx.Problem(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return GitHubNotBooty, nil
	}
	if err != nil {
		return "", err
	}
	is := e.Issue
	if p.IssueNumber != is.Number || !g.sameRepo(p.Repo, e.Repo) {
		return GitHubOtherIssue, nil
	}
	input, ok := githubInput(e, g.routed)
	if !ok {
		return GitHubIgnored, nil
	}
	now := g.now()
	st, err := takeStep(ctx, tx, p, input, g.policy, now, cmp.Or(e.Issue.ClosedAt, now),
		writes{notes: g.notes, syncs: g.syncs, ticks: g.ticks})
	if err != nil {
		return "", err
	}
	p, next := st.p, st.next
	outcome := GitHubIgnored
	for _, ef := range st.effects {
		switch ef.Kind {
		case alert.EffectForgetIssue:
			outcome = GitHubForgotten
		case alert.EffectFollowIssue:
			outcome = GitHubFollowed
		}
	}
	if e.Action == "labeled" && g.builds != nil && next.State == alert.StateOpen &&
		strings.EqualFold(e.Issue.Label, g.trigger(p.Route)) {
		if _, err := g.builds(ctx, tx, p, e.Sender.Login); err != nil {
			return "", fmt.Errorf("queue build: %w", err)
		}
		outcome = GitHubBuildQueued
	}
	if outcome == GitHubIgnored {
		switch {
		case next.State.Closed() && st.prev.State != next.State:
			outcome = GitHubClosed
		case next.State == alert.StateOpen && st.prev.State.Closed():
			outcome = GitHubReopened
		}
	}
	return outcome, nil
}

// githubInput maps an issues event onto the lifecycle's input; routed says
// whether booty's routes file into a repository.
func githubInput(e *ghhook.Event, routed func(repo string) bool) (alert.Input, bool) {
	is := e.Issue
	in := alert.Input{At: is.ClosedAt}
	switch e.Action {
	case "closed":
		in.Kind, in.CloseReason = alert.InputGitHubClosed, alert.CloseReason(is.StateReason)
	case "reopened":
		in.Kind, in.At = alert.InputGitHubReopened, time.Time{}
	case "deleted":
		in.Kind = alert.InputGitHubDeleted
	case "transferred":
		in.Kind, in.Repo, in.Issue = alert.InputGitHubTransferred, is.NewRepo, is.NewNumber
		in.RepoRouted = is.NewRepo != "" && routed != nil && routed(is.NewRepo)
	case "edited":
		if !is.MarkerRemoved {
			return in, false
		}
		in.Kind = alert.InputGitHubMarkerRemoved
	case "labeled":
		in.Kind = alert.InputGitHubLabeled
	case "unlabeled":
		in.Kind = alert.InputGitHubUnlabeled
	default:
		return in, false
	}
	if in.Kind != alert.InputGitHubClosed {
		in.At = time.Time{}
	}
	return in, true
}

// bootyBranchPrefix starts the branch booty builds an issue's fix on.
const bootyBranchPrefix = "booty/issue-"

// BootyBranch is the branch booty builds the fix of issue n on,
// booty/issue-N: the builder pushes to it, and a pull request from it is
// verified.
func BootyBranch(n int) string { return bootyBranchPrefix + strconv.Itoa(n) }

// bootyBranchIssue returns N of booty's branch booty/issue-N.
func bootyBranchIssue(ref string) (int, bool) {
	digits, ok := strings.CutPrefix(ref, bootyBranchPrefix)
	if !ok || digits == "" || len(digits) > 9 || strings.TrimLeft(digits, "0123456789") != "" || digits[0] == '0' {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	return n, err == nil
}

// applyPull queues the verification a pull_request event asks for: a pull
// request from booty's branch of the repository itself, of an issue of a
// problem, opened, reopened or pushed to. It returns the outcome and the
// problem's key.
func (g *GitHub) applyPull(ctx context.Context, tx *store.Tx, e *ghhook.Event) (GitHubOutcome, string, error) {
	pr := e.PullRequest
	switch e.Action {
	case "opened", "reopened", "synchronize":
	default:
		return GitHubIgnored, "", nil
	}
	n, ok := bootyBranchIssue(pr.HeadRef)
	if !ok || !strings.EqualFold(pr.HeadRepo, e.Repo) || pr.State != "open" || pr.HeadSHA == "" {
		return GitHubNotBootyBranch, "", nil
	}
	p, err := tx.ProblemByIssue(ctx, e.Repo, n)
	if errors.Is(err, store.ErrNotFound) && g.sameRepo("", e.Repo) {
		p, err = tx.ProblemByIssue(ctx, "", n)
	}
	if errors.Is(err, store.ErrNotFound) {
		return GitHubNotBooty, "", nil
	}
	if err != nil {
		return "", "", err
	}
	if _, err := g.verify(ctx, tx, p, PullHead{Number: pr.Number, Branch: pr.HeadRef, SHA: pr.HeadSHA}); err != nil {
		return "", "", fmt.Errorf("queue verification: %w", err)
	}
	return GitHubVerifyQueued, p.Key, nil
}
