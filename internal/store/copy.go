package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river/rivertype"
)

// ErrNotEmpty is returned by Copy for a target that holds data already.
var ErrNotEmpty = errors.New("not empty")

// CopyStats counts what Copy copied.
type CopyStats struct {
	Problems   int
	Events     int // counted events, booty's dedup memory
	Deliveries int
	Digests    int // storm digests
	Runs       int // builder and verifier runs
	Jobs       int // River jobs that had not finished
	Parked     int // of Jobs, the parked ones
}

// copyBatch is how many rows Copy reads at a time.
const copyBatch = 1000

// Copy copies the store from into the store to, typically an SQLite file
// into PostgreSQL when a team moves to replicas: the problems, the counted
// events, the deliveries, the builder's and verifier's runs, and River's
// jobs that have not finished. It calls progress, when set, with the rows
// copied so far and the rows to copy, at the start and after each batch.
//
// Digest and run ids are copied as they are (problems name their digest,
// commit statuses link to a run's page), and the target's ids move past
// them. So are job ids, and River's id counter on the target is moved past
// the highest id the source ever handed out: delivery records, logs and an
// operator's notes keep naming the same jobs, and no new job takes the id
// of one left behind. Jobs keep their state, attempts, errors, schedule
// and unique key, but for running ones, which become available with their
// attempt spent (nothing runs them on the target, and the next attempt
// looks for what the lost one did, as after a crash). Completed jobs are
// not copied.
//
// Both stores must be at this build's schema (Open migrates; an Operate
// store opened with KeepSchema may not be). Neither may be served
// meanwhile: on SQLite Copy takes the serve lock of each (LockServe, held
// until Close) and refuses while a booty holds it; on PostgreSQL it
// refuses while River has a leader there, a started client. The source is
// read in one snapshot, in batches, and never written. The target must
// hold no problems, events, deliveries, digests, runs or jobs, and gets
// everything in one transaction: on any failure it is left as empty as it
// was.
func Copy(ctx context.Context, from, to *Store, progress func(done, total int)) (CopyStats, error) {
	return copyStore(ctx, from, to, copyBatch, progress)
}

func copyStore(ctx context.Context, from, to *Store, batch int, progress func(done, total int)) (CopyStats, error) {
	if progress == nil {
		progress = func(int, int) {}
	}
	if same, err := sameStore(from, to); err != nil || same {
		if err == nil {
			err = errors.New("the source and the target are the same store")
		}
		return CopyStats{}, fmt.Errorf("copy %s: %w", from.location, err)
	}
	for _, s := range []struct {
		st   *Store
		role string
	}{{from, "source"}, {to, "target"}} {
		if err := s.st.readyToCopy(ctx); err != nil {
			return CopyStats{}, fmt.Errorf("copy: the %s %s: %w", s.role, s.st.location, err)
		}
	}
	var stats CopyStats
	err := from.readTx(ctx, func(src conn) error {
		return to.rawTx(ctx, func(dst conn) error {
			c := &copier{ctx: ctx, from: from, to: to, src: src, dst: dst, batch: batch, progress: progress}
			var err error
			stats, err = c.run()
			return err
		})
	})
	if err != nil {
		return CopyStats{}, fmt.Errorf("copy %s to %s: %w", from.location, to.location, err)
	}
	return stats, nil
}

// sameStore reports whether a and b are one database.
func sameStore(a, b *Store) (bool, error) {
	if a.backend != b.backend {
		return false, nil
	}
	if a.lite == nil {
		return a.location == b.location, nil
	}
	fa, err := os.Stat(a.lite.path)
	if err != nil {
		return false, err
	}
	fb, err := os.Stat(b.lite.path)
	if err != nil {
		return false, err
	}
	return os.SameFile(fa, fb), nil
}

// readyToCopy checks that s is at this build's schema and that no booty
// serves it, and on SQLite keeps it so (LockServe).
func (s *Store) readyToCopy(ctx context.Context) error {
	st, err := s.Schema(ctx)
	if err != nil {
		return err
	}
	switch {
	case st.Newer():
		return errors.New("a newer booty migrated it; copy it with that booty")
	case st.Pending():
		return errors.New("its schema is not up to date; run booty migrate on it first")
	}
	if err := s.LockServe(); err != nil {
		return fmt.Errorf("%w; stop it first", err)
	}
	leader, until, err := s.riverLeader(ctx)
	if err != nil {
		return err
	}
	if leader != "" {
		return fmt.Errorf("%w: River's leader %s, a serving booty, holds office until %s; stop every booty on it first",
			ErrInUse, leader, until.Format("15:04:05 MST"))
	}
	return nil
}

// readTx runs fn in one read-only transaction: a snapshot of the store,
// however long fn reads.
func (s *Store) readTx(ctx context.Context, fn func(q conn) error) error {
	if s.pg != nil {
		return pgx.BeginTxFunc(ctx, s.pg.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly},
			func(tx pgx.Tx) error { return fn(pgConn{tx}) })
	}
	return s.liteTx(ctx, &sql.TxOptions{ReadOnly: true}, fn)
}

// copier is one Copy: a read transaction on the source, a write
// transaction on the target.
type copier struct {
	ctx         context.Context
	from, to    *Store
	src, dst    conn
	batch       int
	progress    func(done, total int)
	done, total int
}

// bootyTable is one of booty's tables as Copy moves it: read in the order
// of its primary key, a batch at a time.
type bootyTable struct {
	name string
	key  []string // the primary key
	// columns are what the target gets; booty_deliveries' id is left for
	// the target to assign, in the same order.
	columns []string
}

var (
	problemsTable = bootyTable{"booty_problems", []string{"key"}, append(splitColumns(problemColumns), "lifecycle")}
	eventsTable   = bootyTable{"booty_problem_events", []string{"problem_key", "event_id"},
		[]string{"problem_key", "event_id", "counted_at_ms"}}
	deliveriesTable = bootyTable{"booty_deliveries", []string{"id"},
		[]string{"received_at_ms", "request_id", "resource", "action", "problem_key", "event_id", "decision", "job_id", "route"}}
	// Digests keep their ids, which problems name; budgets their scopes.
	digestsTable = bootyTable{"booty_digests", []string{"id"}, splitColumns(`id, route, repo, opened_ms, last_fold_ms,
		issue_number, version, shown_version, shown_ms, is_current`)}
	issueBudgetsTable     = bootyTable{"booty_issue_budgets", []string{"scope"}, []string{"scope", "tat_ns"}}
	githubDeliveriesTable = bootyTable{"booty_github_deliveries", []string{"delivery_id"},
		[]string{"delivery_id", "received_at_ms", "event", "action", "problem_key", "issue_number", "outcome"}}
	transitionsTable = bootyTable{"booty_transitions", []string{"id"},
		[]string{"problem_key", "at_ms", "from_state", "to_state", "input", "cause"}}
	// Runs keep their ids, which the verifier's commit statuses link to.
	runsTable = bootyTable{"booty_runs", []string{"id"}, splitColumns(`id, kind, job_id, problem_key, repo,
		issue_number, pull_number, attempt, sha, outcome, detail, log, started_ms, finished_ms`)}
)

// splitColumns splits a list of columns, "a, b,\n\tc", into its names.
func splitColumns(list string) []string {
	var cols []string
	for _, c := range strings.Split(list, ",") {
		cols = append(cols, strings.TrimSpace(c))
	}
	return cols
}

func (c *copier) run() (CopyStats, error) {
	var held []string
	for _, t := range []struct {
		one, many, query string
	}{
		{"problem", "problems", `SELECT count(*) FROM booty_problems`},
		{"counted event", "counted events", `SELECT count(*) FROM booty_problem_events`},
		{"delivery", "deliveries", `SELECT count(*) FROM booty_deliveries`},
		{"storm digest", "storm digests", `SELECT count(*) FROM booty_digests`},
		{"run", "runs", `SELECT count(*) FROM booty_runs`},
		{"job", "jobs", `SELECT count(*) FROM river_job`},
	} {
		var n int64
		if err := c.dst.queryRow(c.ctx, t.query).Scan(&n); err != nil {
			return CopyStats{}, fmt.Errorf("count the target's %s: %w", t.many, err)
		}
		switch {
		case n == 1:
			held = append(held, "1 "+t.one)
		case n > 1:
			held = append(held, strconv.FormatInt(n, 10)+" "+t.many)
		}
	}
	if len(held) > 0 {
		return CopyStats{}, fmt.Errorf("the target %w: it holds %s; copy into a new store", ErrNotEmpty, strings.Join(held, ", "))
	}

	var problems, events, deliveries, digests, budgets, hooks, transitions, runs, jobs, parked int64
	if err := c.src.queryRow(c.ctx, `SELECT (SELECT count(*) FROM booty_problems),
		(SELECT count(*) FROM booty_problem_events), (SELECT count(*) FROM booty_deliveries),
		(SELECT count(*) FROM booty_digests), (SELECT count(*) FROM booty_issue_budgets),
		(SELECT count(*) FROM booty_github_deliveries), (SELECT count(*) FROM booty_transitions),
		(SELECT count(*) FROM booty_runs)`).
		Scan(&problems, &events, &deliveries, &digests, &budgets, &hooks, &transitions, &runs); err != nil {
		return CopyStats{}, fmt.Errorf("count the source: %w", err)
	}
	jobs, parked, err := countRiverJobs(c.ctx, c.src)
	if err != nil {
		return CopyStats{}, err
	}
	c.total = int(problems + events + deliveries + digests + budgets + hooks + transitions + runs + jobs)
	c.progress(0, c.total)

	var st CopyStats
	if st.Problems, err = c.table(problemsTable); err != nil {
		return CopyStats{}, err
	}
	if st.Events, err = c.table(eventsTable); err != nil {
		return CopyStats{}, err
	}
	if st.Deliveries, err = c.table(deliveriesTable); err != nil {
		return CopyStats{}, err
	}
	if st.Digests, err = c.table(digestsTable); err != nil {
		return CopyStats{}, err
	}
	if err := c.skipIDs("booty_digests", st.Digests); err != nil {
		return CopyStats{}, err
	}
	if st.Runs, err = c.table(runsTable); err != nil {
		return CopyStats{}, err
	}
	if err := c.skipIDs("booty_runs", st.Runs); err != nil {
		return CopyStats{}, err
	}
	for _, t := range []bootyTable{issueBudgetsTable, githubDeliveriesTable, transitionsTable} {
		if _, err = c.table(t); err != nil {
			return CopyStats{}, err
		}
	}
	if st.Jobs, st.Parked, err = c.jobs(); err != nil {
		return CopyStats{}, err
	}
	if st.Jobs != int(jobs) || st.Parked != int(parked) {
		return CopyStats{}, fmt.Errorf("copied %d jobs (%d parked) of %d (%d parked)", st.Jobs, st.Parked, jobs, parked)
	}
	return st, nil
}

// skipIDs moves the identity of the target's table past the ids copied
// into it, as they were: on PostgreSQL an identity does not notice them
// (SQLite's AUTOINCREMENT does).
func (c *copier) skipIDs(table string, copied int) error {
	if c.to.backend != Postgres || copied == 0 {
		return nil
	}
	if _, err := c.dst.exec(c.ctx, `SELECT setval(pg_get_serial_sequence('`+table+`', 'id'), (SELECT max(id) FROM `+table+`))`); err != nil {
		return fmt.Errorf("move the ids of %s on: %w", table, err)
	}
	return nil
}

// table copies t and returns how many rows it copied.
func (c *copier) table(t bootyTable) (int, error) {
	cols := append(append([]string{}, t.key...), t.columns...)
	keys := strings.Join(t.key, ", ")
	params := make([]string, len(t.columns))
	for i := range params {
		params[i] = "$" + strconv.Itoa(i+1)
	}
	insert := `INSERT INTO ` + t.name + ` (` + strings.Join(t.columns, ", ") + `) VALUES (` + strings.Join(params, ", ") + `)`
	var after []any // the key of the last row copied
	copied := 0
	for {
		query := `SELECT ` + strings.Join(cols, ", ") + ` FROM ` + t.name
		if after != nil {
			query += ` WHERE (` + keys + `) > (` + strings.Join(params[:len(t.key)], ", ") + `)`
		}
		query += ` ORDER BY ` + keys + ` LIMIT ` + strconv.Itoa(c.batch)
		page, err := readRows(c.ctx, c.src, query, len(cols), after...)
		if err != nil {
			return copied, fmt.Errorf("read %s: %w", t.name, err)
		}
		for _, r := range page {
			if _, err := c.dst.exec(c.ctx, insert, r[len(t.key):]...); err != nil {
				return copied, fmt.Errorf("write %s: %w", t.name, err)
			}
		}
		copied += len(page)
		c.done += len(page)
		c.progress(c.done, c.total)
		if len(page) < c.batch {
			return copied, nil
		}
		after = page[len(page)-1][:len(t.key)]
	}
}

// readRows returns the rows of query, n columns each, as the driver gives
// them: integers, text and NULLs, which either backend takes back as
// parameters.
func readRows(ctx context.Context, q conn, query string, n int, args ...any) ([][]any, error) {
	rs, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out [][]any
	for rs.Next() {
		vals := make([]any, n)
		dest := make([]any, n)
		for i := range vals {
			dest[i] = &vals[i]
		}
		if err := rs.Scan(dest...); err != nil {
			return nil, err
		}
		out = append(out, vals)
	}
	return out, rs.Err()
}

// jobs copies River's unfinished jobs, ids and all, and moves the target's
// ids past the source's.
func (c *copier) jobs() (copied, parked int, err error) {
	var after int64
	for {
		page, err := readRiverJobs(c.ctx, c.src, c.from.backend, after, c.batch)
		if err != nil {
			return copied, parked, err
		}
		for _, j := range page {
			if j.State == string(rivertype.JobStateRunning) {
				j.State = string(rivertype.JobStateAvailable)
			}
			if IsParked(rivertype.JobState(j.State)) {
				parked++
			}
			if err := insertRiverJob(c.ctx, c.dst, c.to.backend, j); err != nil {
				return copied, parked, err
			}
		}
		copied += len(page)
		c.done += len(page)
		c.progress(c.done, c.total)
		if len(page) < c.batch {
			break
		}
		after = page[len(page)-1].ID
	}
	last, err := lastRiverJobID(c.ctx, c.src, c.from.backend)
	if err != nil {
		return copied, parked, err
	}
	return copied, parked, skipRiverJobIDs(c.ctx, c.dst, c.to.backend, last)
}
