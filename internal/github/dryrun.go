package github

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// DryRun stands in for Client when BOOTY_DRY_RUN is set: every write is
// logged as what booty would have sent ("would create", "would comment"),
// and nothing reaches GitHub.
//
// The issues it "creates" get negative numbers (-1, -2, …), which GitHub
// never gives out, so a dry-run issue recorded in the store can never be
// taken for a real one; the worker files a real issue for such a problem
// once the dry run is turned off. The issues are always open.
type DryRun struct {
	log  *slog.Logger
	text io.Writer
	mu   sync.Mutex
	next int
}

// NewDryRun returns a DryRun that logs to log. With a non-nil text (the
// writer of a text log handler, which would print a body as one escaped
// line), the title and body follow each record there as an indented block
// a person can read; otherwise they are fields of the record, as a JSON
// log wants them.
func NewDryRun(log *slog.Logger, text io.Writer) *DryRun { return &DryRun{log: log, text: text} }

// CreateIssue logs the issue it would create.
func (d *DryRun) CreateIssue(ctx context.Context, title, body string, labels []string) (Issue, error) {
	return d.CreateAssignedIssue(ctx, title, body, labels, nil)
}

// CreateAssignedIssue logs the issue it would create, and whom it would
// assign.
func (d *DryRun) CreateAssignedIssue(_ context.Context, title, body string, labels, assignees []string) (Issue, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.next--
	n := d.next
	attrs := []any{"number", n, "labels", labels}
	if len(assignees) > 0 {
		attrs = append(attrs, "assignees", assignees)
	}
	d.write("dry run: would create issue", attrs, "title", title, "body", body)
	return Issue{Number: n}, nil
}

// Comment logs the comment it would write.
func (d *DryRun) Comment(_ context.Context, number int, body string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.write("dry run: would comment", []any{"number", number}, "body", body)
	return nil
}

// write logs msg with attrs and the named texts (name, text pairs).
func (d *DryRun) write(msg string, attrs []any, texts ...string) {
	if d.text == nil {
		for i := 0; i+1 < len(texts); i += 2 {
			attrs = append(attrs, texts[i], texts[i+1])
		}
		d.log.Info(msg, attrs...)
		return
	}
	d.log.Info(msg, attrs...)
	var b strings.Builder
	for i := 0; i+1 < len(texts); i += 2 {
		fmt.Fprintf(&b, "  %s:\n", texts[i])
		for line := range strings.Lines(texts[i+1]) {
			b.WriteString("    | " + strings.TrimRight(line, "\r\n") + "\n")
		}
	}
	_, _ = io.WriteString(d.text, b.String())
}

// FindIssues finds nothing: a dry run files nothing to find.
func (d *DryRun) FindIssues(context.Context, string, time.Time) ([]Issue, error) { return nil, nil }

// FindRecentIssues finds nothing either.
func (d *DryRun) FindRecentIssues(context.Context, string, time.Time) ([]Issue, error) {
	return nil, nil
}

// OwnIssues finds nothing.
func (d *DryRun) OwnIssues(context.Context, time.Time) ([]Issue, error) { return nil, nil }

// Issue reports issue number as open.
func (d *DryRun) Issue(_ context.Context, number int) (Issue, error) {
	return Issue{Number: number}, nil
}

// HasComment finds nothing.
func (d *DryRun) HasComment(context.Context, int, string, time.Time) (bool, error) { return false, nil }

// Reopen logs the reopen.
func (d *DryRun) Reopen(_ context.Context, number int) error {
	d.log.Info("dry run: would reopen issue", "number", number)
	return nil
}

// EditIssue logs the edit.
func (d *DryRun) EditIssue(_ context.Context, number int, title, body string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.write("dry run: would edit issue", []any{"number", number}, "title", title, "body", body)
	return nil
}

// EditBody logs the edit.
func (d *DryRun) EditBody(_ context.Context, number int, body string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.write("dry run: would edit issue body", []any{"number", number}, "body", body)
	return nil
}

// CloseDuplicate logs the close.
func (d *DryRun) CloseDuplicate(_ context.Context, number, of int) error {
	d.log.Info("dry run: would close duplicate issue", "number", number, "of", of)
	return nil
}

// EnsureLabel logs the label.
func (d *DryRun) EnsureLabel(_ context.Context, name string) error {
	d.log.Info("dry run: would ensure label", "label", name)
	return nil
}
