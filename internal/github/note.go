package github

import (
	"context"
	"fmt"
	"strings"

	gh "github.com/google/go-github/v92/github"

	"booty/internal/alert"
)

// NoteBody renders a lifecycle comment: what Sentry said of the problem,
// or what booty did about it. Release, resolution and assignee come from
// webhooks: each is a code span, so that none pings a person or references
// an issue. action says what booty did with the issue ("" for nothing),
// e.g. "booty reopened the issue".
func (r *Renderer) NoteBody(c alert.Comment, action string) string {
	var b strings.Builder
	release := code(c.Release, maxShortRunes)
	switch c.Kind {
	case alert.CommentResolved:
		b.WriteString("**Resolved in Sentry**")
		if res := resolutionWords(c.Resolution); res != "" {
			b.WriteString(" " + res)
		}
		b.WriteString(".")
	case alert.CommentArchived:
		b.WriteString("**Archived in Sentry.**")
	case alert.CommentRegression:
		b.WriteString("**Regression:** Sentry says this problem came back")
		if release != "" {
			b.WriteString(" in " + release)
		}
		b.WriteString(".")
	case alert.CommentEscalating:
		b.WriteString("**Escalating:** Sentry says this problem is happening much more than it did.")
	case alert.CommentUnresolved:
		b.WriteString("**Unresolved in Sentry** by a person.")
	case alert.CommentAssigned:
		who := code(c.Assignee, maxNameRunes)
		if who == "" {
			who = "someone"
		}
		b.WriteString("**Assigned in Sentry** to " + who + ".")
	case alert.CommentPreFixTail:
		b.WriteString("**Still seen** on " + orUnknown(release) + ", a release that predates the fix; booty leaves the issue closed.")
	case alert.CommentFlapping:
		b.WriteString("**Flapping:** this issue was closed and reopened more than 3 times in an hour; booty stops changing it until it has been quiet for an hour.")
	case alert.CommentSettled:
		b.WriteString("**Settled:** the issue was quiet for an hour; booty left it as it was last asked to be.")
	default:
		b.WriteString("**Sentry changed this problem.**")
	}
	if action != "" {
		b.WriteString(" " + action + ".")
	}
	b.WriteString("\n\nAdded by booty from a Sentry issue webhook.")
	return b.String()
}

// RegressionNote is the line that opens the issue of a regression filed
// anew: the problem came back after its issue, old, was closed (long ago,
// or OBSV_ON_REGRESSION=new_issue). release is untrusted, in a code span.
func RegressionNote(old int, release string) string {
	in := ""
	if r := code(release, maxShortRunes); r != "" {
		in = " in " + r
	}
	return fmt.Sprintf("**Regression of #%d:** this problem came back%s after that issue was closed.\n\n", old, in)
}

// resolutionWords says how Sentry resolved a problem (sentry.IssueChange's
// Resolution) in words.
func resolutionWords(res string) string {
	switch res {
	case "":
		return ""
	case "in_next_release":
		return "in the next release"
	case "in_release":
		return "in a release"
	case "in_upcoming_release":
		return "in the upcoming release"
	case "in_commit":
		return "by a commit"
	case "now":
		return "now"
	}
	return "(" + code(res, maxNameRunes) + ")"
}

// Close closes issue number with GitHub's state_reason reason
// ("completed" or "not_planned").
func (c *Client) Close(ctx context.Context, number int, reason string) error {
	closed := "closed"
	if _, _, err := c.gh.Issues.Update(ctx, c.owner, c.repo, number, gh.UpdateIssueRequest{State: &closed, StateReason: &reason}); err != nil {
		return fmt.Errorf("close issue %d: %w", number, c.gone(ctx, err))
	}
	return nil
}

// Close logs the close.
func (d *DryRun) Close(_ context.Context, number int, reason string) error {
	d.log.Info("dry run: would close issue", "number", number, "reason", reason)
	return nil
}

// AddLabel puts label on issue number (GitHub creates a label it does not
// know).
func (c *Client) AddLabel(ctx context.Context, number int, label string) error {
	if _, _, err := c.gh.Issues.AddLabelsToIssue(ctx, c.owner, c.repo, number, []string{label}); err != nil {
		return fmt.Errorf("label issue %d: %w", number, c.gone(ctx, err))
	}
	return nil
}

// AddLabel logs the label.
func (d *DryRun) AddLabel(_ context.Context, number int, label string) error {
	d.log.Info("dry run: would label issue", "number", number, "label", label)
	return nil
}

// BuildFailed is the comment on an issue whose build ended without a pull
// request: why, and the tail of the builder's output, which is untrusted
// (it may echo the issue), in a fenced block.
func (r *Renderer) BuildFailed(why, output string) string {
	var b strings.Builder
	b.WriteString("**No pull request:** " + cleanText(why, maxValueRunes, keepHead) + ".\n")
	if strings.TrimSpace(output) != "" {
		var lines []string
		for l := range strings.Lines(output) {
			lines = append(lines, sanitizeCodeLine(strings.TrimRight(l, "\n"), maxCodeLineRunes))
		}
		b.WriteString("\nThe end of the builder's output:\n\n" + codeBlock(lines, "text", ""))
	}
	b.WriteString("\nAdded by booty's builder.")
	return b.String()
}
