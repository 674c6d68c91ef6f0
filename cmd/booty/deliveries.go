package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"booty/internal/store"
	"booty/internal/web"
)

const deliveriesAbout = `Lists the audit trail: every webhook booty verified and recorded, Sentry's
alerts with the decision booty took (and the reason when it ignored one) and
GitHub's issues events with their outcome, oldest first. Records are kept for
BOOTY_DELIVERY_RETENTION (30 days unless set).

It only reads the store BOOTY_DATABASE_URL names, beside a running booty, on
either backend, and never creates a database. On a terminal it prints an
aligned table, else tab-separated lines; --json prints a JSON array.`

// defaultDeliveriesLimit is how many deliveries are shown unless --limit
// says.
const defaultDeliveriesLimit = 500

// deliveriesCommand lists the recorded deliveries.
func deliveriesCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := newFlags("deliveries", "[--since D|TIME] [--limit N] [--json]", deliveriesAbout)
	since := fs.String("since", "24h", "deliveries received since: a duration back from now (1h, 30m) or an RFC 3339 time")
	limit := fs.Int("limit", defaultDeliveriesLimit, "show at most this many, the newest; 0 shows all")
	asJSON := fs.Bool("json", false, "print a JSON array for scripts")
	if code, stop := parseFlags(fs, args, stdout, stderr); stop {
		return code
	}
	from, err := parseSince(*since, time.Now())
	if err != nil {
		return usageError(fs, stderr, err)
	}
	if *limit < 0 {
		return usageError(fs, stderr, fmt.Errorf("--limit %d: want 0 or more", *limit))
	}
	st, err := openOperatorStore(ctx, getenv, stderr)
	if err != nil {
		return 1
	}
	defer st.Close()
	ask := *limit
	if ask > 0 {
		ask++ // one more, to tell whether there are more
	}
	recs, err := st.Deliveries(ctx, from, ask)
	if err != nil {
		fmt.Fprintf(stderr, "booty: %v\n", err)
		return 1
	}
	if *limit > 0 && len(recs) > *limit {
		recs = recs[len(recs)-*limit:]
		fmt.Fprintf(stderr, "booty: showing the newest %d; --limit 0 shows all\n", *limit)
	}
	if *asJSON {
		out := make([]deliveryJSON, 0, len(recs))
		for _, r := range recs {
			out = append(out, newDeliveryJSON(r))
		}
		if err := writeJSON(stdout, out); err != nil {
			fmt.Fprintf(stderr, "booty: %v\n", err)
			return 1
		}
		return 0
	}
	printDeliveries(stdout, isTerminal(stdout), recs)
	return 0
}

// printDeliveries prints recs as a table, aligned for a terminal.
func printDeliveries(w io.Writer, aligned bool, recs []store.DeliveryRecord) {
	if len(recs) == 0 && aligned {
		fmt.Fprintln(w, "no deliveries")
		return
	}
	t := newTable(w, aligned, []string{"TIME", "SOURCE", "RESOURCE", "ACTION", "PROBLEM", "DECISION", "REASON", "ROUTE", "JOB", "ISSUE"},
		0, 0, 0, 0, 40, 0, 0, 20)
	for _, r := range recs {
		decision, reason := web.DecisionOf(r)
		t.row(formatInstant(r.ReceivedAt), r.Source, r.Resource, r.Action, r.ProblemKey, decision, reason, r.Route,
			nonZero(r.JobID), nonZero(int64(r.Issue)))
	}
	t.flush()
}

// nonZero is n in decimal, "" for 0.
func nonZero(n int64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}

// deliveryJSON is a delivery as --json prints it. Its field names are part
// of booty's interface for scripts: add, never rename.
type deliveryJSON struct {
	Time       *string `json:"time"`
	Source     string  `json:"source"`
	ID         string  `json:"id"`
	Resource   string  `json:"resource"`
	Action     string  `json:"action"`
	ProblemKey string  `json:"problem_key"`
	EventID    string  `json:"event_id"`
	Decision   string  `json:"decision"`
	Reason     string  `json:"reason"`
	Route      string  `json:"route"`
	JobID      int64   `json:"job_id"`
	Issue      int     `json:"issue"`
}

func newDeliveryJSON(r store.DeliveryRecord) deliveryJSON {
	decision, reason := web.DecisionOf(r)
	return deliveryJSON{Time: web.JSONTime(r.ReceivedAt), Source: r.Source, ID: r.ID, Resource: r.Resource, Action: r.Action,
		ProblemKey: r.ProblemKey, EventID: r.EventID, Decision: decision, Reason: reason, Route: r.Route,
		JobID: r.JobID, Issue: r.Issue}
}
