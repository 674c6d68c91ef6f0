package main

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"booty/internal/proctest"
	"booty/internal/worker"
)

// replicas runs many on two booty processes sharing one PostgreSQL
// database and one stand-in, the deliveries spread round-robin over them:
// one issue per problem whichever replica takes a delivery or runs a job,
// and hardly a GitHub write more.
func (b *bench) replicas(ctx context.Context, store string) ([]verdict, error) {
	fmt.Fprintf(b.out, "\n== replicas [%s]: %d problems × %d deliveries spread round-robin over two booty on one database\n",
		store, b.o.problems, b.o.events)
	r, err := b.twoReplicas(ctx, store, "replicas", false)
	if err != nil {
		return nil, err
	}
	maxWrites := b.o.problems + (b.o.problems*5+99)/100 // as in many
	return []verdict{
		check(r.res.answered2xx() == r.res.total, "every delivery to two replicas answered 2xx", "%s", r.res.answers()),
		check(r.issues == b.o.problems && r.dups == 0,
			fmt.Sprintf("%d problems over two replicas file exactly %d issues", b.o.problems, b.o.problems),
			"%d issues, %d duplicates", r.issues, r.dups),
		check(r.writes <= maxWrites, fmt.Sprintf("at most %d GitHub writes for %d problems over two replicas", maxWrites, b.o.problems),
			"%d writes", r.writes),
		check(r.missing == 0 && r.unanswered == 0, "every delivery two replicas answered 2xx is in booty's records",
			"%d answered 2xx, %d of them missing from the store, %d never answered", r.answered, r.missing, r.unanswered),
	}, nil
}

// replicasKill is replicas with one replica killed (SIGKILL) half-way
// through the deliveries; the rest go to the survivor, and so do the
// deliveries the kill cut off, sent again as a retrying sender would. The
// jobs the killed replica was running stay running in the database until
// River's rescuer, on the survivor, hands them over (worker.RescueAfter
// and up to 45 s more).
func (b *bench) replicasKill(ctx context.Context, store string) ([]verdict, error) {
	fmt.Fprintf(b.out, "\n== replicas-kill [%s]: %d problems × %d deliveries over two booty on one database, "+
		"one killed with SIGKILL half-way, the rest to the survivor\n", store, b.o.problems, b.o.events)
	r, err := b.twoReplicas(ctx, store, "replicas-kill", true)
	if err != nil {
		return nil, err
	}
	rescued := fmt.Sprintf("%d of the %d jobs it was running completed by the survivor, the last %.1f s after the kill",
		r.rescued, r.orphans, r.rescuedAfter.Seconds())
	if r.orphans == 0 {
		rescued = "no job was running on it at the kill, so nothing to hand over"
	}
	return []verdict{
		check(r.issues == b.o.problems && r.dups == 0,
			fmt.Sprintf("with one of two replicas killed, still exactly %d issues", b.o.problems),
			"%d issues, %d duplicates, %d GitHub writes (%d issues filed before the kill)", r.issues, r.dups, r.writes, r.issuesAtKill),
		check(r.missing == 0 && r.unanswered == 0, "every delivery either replica answered 2xx is in booty's records",
			"%d answered 2xx, %d of them missing from the store, %d never answered", r.answered, r.missing, r.unanswered),
		check(r.rescued == r.orphans, "the killed replica's jobs finished by the survivor",
			"%s; no job pending %.1f s after the kill (rescue after %v)", rescued, r.sinceKill.Seconds(), worker.RescueAfter),
	}, nil
}

// replicaRun is what a two-replica run measured.
type replicaRun struct {
	res          result // the deliveries' first sending
	answeredBy   [2]int // 2xx answers of the first sending, by replica
	issues, dups int
	writes       int
	// Deliveries answered 2xx in the end, those of them not in the store,
	// and those never answered.
	answered, missing, unanswered int
	resent                        int           // cut off by the kill and sent again to the survivor
	wait                          time.Duration // from the last answer until no job was pending
	// The kill: issues filed by then, the killed replica's running jobs,
	// how many of those the survivor completed and when the last of them
	// was, and the time from the kill until no job was pending.
	issuesAtKill     int
	orphans, rescued int
	rescuedAfter     time.Duration
	sinceKill        time.Duration
}

// twoReplicas starts two booty on a new database of store and one
// stand-in, sends the deliveries of many spread over them, kills the first
// half-way when kill is set (the rest then go to the second), waits until
// no job is pending and counts.
func (b *bench) twoReplicas(ctx context.Context, store, name string, kill bool) (replicaRun, error) {
	var r replicaRun
	many, err := b.manyProblems()
	if err != nil {
		return r, err
	}
	dbURL, drop, err := b.database(ctx, store, name)
	if err != nil {
		return r, err
	}
	defer drop()
	gh, ghURL, stopGH, err := standIn(nil)
	if err != nil {
		return r, err
	}
	defer stopGH()
	var ps [2]*proctest.Process
	for i := range ps {
		p, err := b.startBooty(ctx, ghURL, dbURL, "")
		if err != nil {
			return r, fmt.Errorf("replica %d: %w", i+1, err)
		}
		defer func() { _ = p.Kill() }()
		ps[i] = p
	}
	victim, survivor := ps[0], ps[1]

	var (
		killed   atomic.Bool
		killOnce sync.Once
		killedAt time.Time
		orphans  []int64
		killErr  error
		sent     atomic.Int64
	)
	doKill := func() {
		_ = victim.Kill()
		killedAt = time.Now()
		killed.Store(true)
		r.issuesAtKill = len(gh.Issues())
		orphans, killErr = runningOn(ctx, dbURL, victim.PID())
	}
	to := make([]int, len(many)) // the replica each delivery was first sent to
	url := func(i int) string {
		if killed.Load() {
			to[i] = 1
			return survivor.URL
		}
		to[i] = spread(i, b.o.problems, len(ps))
		return ps[to[i]].URL
	}
	after := func() {}
	if kill {
		after = func() {
			if sent.Add(1) == int64(len(many)/2) {
				killOnce.Do(doKill)
			}
		}
	}
	statuses := make([]int, len(many))
	r.res = closedLoopStatus(ctx, b.client, url, many, b.o.concurrency, statuses, after, b.sends(name+" ["+store+"]", len(many)))
	if kill {
		killOnce.Do(doKill) // a run too small to reach half-way
		if killErr != nil {
			return r, killErr
		}
	}
	for i, s := range statuses {
		if s/100 == 2 {
			r.answeredBy[to[i]]++
		}
	}
	if kill {
		for i := range many {
			if statuses[i] == 0 {
				statuses[i] = send(ctx, b.client, survivor.URL, many[i])
				r.resent++
			}
		}
	}
	start := time.Now()
	if _, err := waitJobsDone(ctx, survivor, 10*time.Minute); err != nil {
		return r, err
	}
	r.wait = time.Since(start)
	if kill {
		r.sinceKill = time.Since(killedAt)
		r.orphans = len(orphans)
		var last time.Time
		if r.rescued, last, err = completedElsewhere(ctx, dbURL, orphans, victim.PID()); err != nil {
			return r, err
		}
		if r.rescued > 0 {
			r.rescuedAfter = last.Sub(killedAt)
		}
	}
	recorded, err := recordedRequests(ctx, dbURL)
	if err != nil {
		return r, err
	}
	for i, d := range many {
		switch {
		case statuses[i]/100 == 2:
			r.answered++
			if !recorded[d.id] {
				r.missing++
			}
		case statuses[i] == 0:
			r.unanswered++
		}
	}
	r.issues, r.dups, r.writes = len(gh.Issues()), duplicates(gh), gh.Writes()

	printResult(b.out, "two replicas (first sending)", r.res)
	fmt.Fprintf(b.out, "  answered 2xx by replica 1: %d, by replica 2: %d\n", r.answeredBy[0], r.answeredBy[1])
	if kill {
		fmt.Fprintf(b.out, "  replica 1 killed after %d deliveries: %d issues filed by then, %d of its jobs running; "+
			"%d deliveries cut off and sent again to replica 2\n", len(many)/2, r.issuesAtKill, r.orphans, r.resent)
		fmt.Fprintf(b.out, "  the survivor completed %d of them, the last %.1f s after the kill; every job done %.1f s after the last answer, %.1f s after the kill\n",
			r.rescued, r.rescuedAfter.Seconds(), r.wait.Seconds(), r.sinceKill.Seconds())
	} else {
		fmt.Fprintf(b.out, "  every job done %.1f s after the last answer\n", r.wait.Seconds())
	}
	return r, nil
}

// spread returns the replica, of n, that delivery i of problems
// interleaved problems goes to (as manyProblems lays them out: i = event ×
// problems + problem). Plain i mod n would send every delivery of a
// problem to the same replica whenever n divides problems, so the turn
// moves on by one at each event: each problem's deliveries take turns
// over the replicas, and so do neighbouring deliveries.
func spread(i, problems, n int) int { return (i%problems + i/problems) % n }

// replicaClause matches a River job last taken by the booty with the
// process id $2: River appends the client's id, booty's host-pid replica
// name, to attempted_by when it takes a job.
const replicaClause = `attempted_by[array_length(attempted_by, 1)] LIKE '%-' || $2`

// runningOn returns the ids of the issue jobs the booty with process id
// pid holds running in the database dbURL.
func runningOn(ctx context.Context, dbURL string, pid int) ([]int64, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, fmt.Errorf("read the killed replica's jobs: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, `SELECT id FROM river_job WHERE state = 'running' AND kind = $1 AND `+replicaClause,
		worker.IssueArgs{}.Kind(), strconv.Itoa(pid))
	if err != nil {
		return nil, fmt.Errorf("read the killed replica's jobs: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("read the killed replica's jobs: %w", err)
	}
	return ids, nil
}

// completedElsewhere counts the jobs of ids that are completed, last
// taken by a booty other than the one with process id pid, and returns
// when the last of them was completed (the database and the benchmark
// share the machine's clock).
func completedElsewhere(ctx context.Context, dbURL string, ids []int64, pid int) (n int, last time.Time, err error) {
	if len(ids) == 0 {
		return 0, time.Time{}, nil
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("read the rescued jobs: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var at *time.Time
	if err := conn.QueryRow(ctx, `SELECT count(*), max(finalized_at) FROM river_job
		WHERE id = ANY($1) AND state = 'completed' AND NOT (`+replicaClause+`)`,
		ids, strconv.Itoa(pid)).Scan(&n, &at); err != nil {
		return 0, time.Time{}, fmt.Errorf("read the rescued jobs: %w", err)
	}
	if at != nil {
		last = *at
	}
	return n, last, nil
}
