package builder

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Author is who booty commits as.
type Author struct{ Name, Email string }

// Commit commits everything staged in dir (Read stages the change) as
// author, with message, and returns the commit's SHA. The author is given
// on the command line (-c), so no identity is written to the checkout.
func Commit(ctx context.Context, dir string, author Author, message string) (string, error) {
	if _, err := git(ctx, dir, "-c", "user.name="+author.Name, "-c", "user.email="+author.Email,
		"-c", "commit.gpgsign=false", "commit", "--quiet", "--no-verify", "-m", message); err != nil {
		return "", err
	}
	out, err := git(ctx, dir, "rev-parse", "HEAD")
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// Push pushes branch from dir to remote (a URL without credentials) with
// token, which reaches git through its environment as an http.extraHeader:
// never in the URL, on a command line a process list shows, or in
// .git/config. It never force-pushes.
func Push(ctx context.Context, dir, remote, branch, token string) error {
	u, err := url.Parse(remote)
	if err != nil || u.User != nil {
		return fmt.Errorf("push URL must carry no credentials")
	}
	if _, err := gitEnv(ctx, dir, authEnv(token), "push", "--quiet", "--no-verify", remote, "HEAD:refs/heads/"+branch); err != nil {
		return fmt.Errorf("push %s: %w", branch, scrub(err, token))
	}
	return nil
}

// AttemptTrailer is the commit trailer that numbers booty's build attempts:
// the verifier reads it to know whether a failed head is booty's to build
// again.
const AttemptTrailer = "Booty-Attempt"

// Attempt returns the build attempt HEAD of dir was committed by, from its
// AttemptTrailer; false when HEAD has none (a person's commit).
func Attempt(ctx context.Context, dir string) (int, bool, error) {
	out, err := git(ctx, dir, "log", "-1", "--format=%(trailers:key="+AttemptTrailer+",valueonly,separator=%x2C)")
	if err != nil {
		return 0, false, err
	}
	v, _, _ := strings.Cut(strings.TrimSpace(string(out)), ",")
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 {
		return 0, false, nil
	}
	return n, true, nil
}

// CommitMessage is the message of build attempt attempt for issue n titled
// title: it closes the issue when merged, and carries the attempt.
func CommitMessage(title string, n, attempt int) string {
	return fmt.Sprintf("Fix %s\n\nFixes #%d\n\n%s: %d", title, n, AttemptTrailer, attempt)
}
