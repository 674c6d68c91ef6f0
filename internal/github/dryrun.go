package github

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// DryRun stands in for Client when BOOTY_DRY_RUN is set: every write is
// logged with the full text booty would have sent, and nothing reaches
// GitHub. Issues it "creates" get numbers local to this process and are
// always open.
type DryRun struct {
	log  *slog.Logger
	mu   sync.Mutex
	next int
}

// NewDryRun returns a DryRun that logs to log.
func NewDryRun(log *slog.Logger) *DryRun { return &DryRun{log: log} }

// CreateIssue logs the issue.
func (d *DryRun) CreateIssue(_ context.Context, title, body string, labels []string) (Issue, error) {
	d.mu.Lock()
	d.next++
	n := d.next
	d.mu.Unlock()
	d.log.Info("dry run: would create issue", "number", n, "title", title, "labels", labels, "body", body)
	return Issue{Number: n}, nil
}

// FindIssue finds nothing: a dry run files nothing to find.
func (d *DryRun) FindIssue(context.Context, string, string, time.Time) (Issue, bool, error) {
	return Issue{}, false, nil
}

// Issue reports issue number as open.
func (d *DryRun) Issue(_ context.Context, number int) (Issue, error) {
	return Issue{Number: number}, nil
}

// Comment logs the comment.
func (d *DryRun) Comment(_ context.Context, number int, body string) error {
	d.log.Info("dry run: would comment", "number", number, "body", body)
	return nil
}

// HasComment finds nothing.
func (d *DryRun) HasComment(context.Context, int, string, time.Time) (bool, error) { return false, nil }

// Reopen logs the reopen.
func (d *DryRun) Reopen(_ context.Context, number int) error {
	d.log.Info("dry run: would reopen issue", "number", number)
	return nil
}

// EnsureLabel logs the label.
func (d *DryRun) EnsureLabel(_ context.Context, name string) error {
	d.log.Info("dry run: would ensure label", "label", name)
	return nil
}
