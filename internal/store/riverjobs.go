package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
)

// This file is the one place booty reads or edits River's tables directly,
// where River's API has no call for what booty needs. TestRiverSchema fails
// when a River upgrade moves the columns used here.

// ParkedStates are the River states booty calls "parked": a job that stopped
// for good (cancelled by booty as permanent, or discarded after its last
// attempt) and waits for an operator to retry or drop it.
func ParkedStates() []rivertype.JobState {
	return []rivertype.JobState{rivertype.JobStateCancelled, rivertype.JobStateDiscarded}
}

// IsParked reports whether a job in state is parked.
func IsParked(state rivertype.JobState) bool {
	for _, p := range ParkedStates() {
		if state == p {
			return true
		}
	}
	return false
}

// parkedSQL is ParkedStates as an SQL list: ('cancelled', 'discarded').
func parkedSQL() string {
	q := make([]string, 0, 2)
	for _, p := range ParkedStates() {
		q = append(q, "'"+string(p)+"'")
	}
	return "(" + strings.Join(q, ", ") + ")"
}

// ParkedJobs counts the parked jobs.
func (s *Store) ParkedJobs(ctx context.Context) (int, error) {
	var n int
	err := s.db.queryRow(ctx, `SELECT count(*) FROM river_job WHERE state IN `+parkedSQL()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count parked jobs: %w", err)
	}
	return n, nil
}

// RequeueOrphans makes jobs that were running when booty last stopped
// available again, and returns how many there were. It is for SQLite only:
// the serve lock makes booty the only process serving the file, so at
// startup every running job is an orphan of a crash. On PostgreSQL another
// replica may be running them; River's rescuer takes over a dead replica's
// jobs there. The next attempt looks up the issue marker first, so a create
// cut off mid-call is not repeated.
func (s *Store) RequeueOrphans(ctx context.Context) (int64, error) {
	if s.lite == nil || s.lite.lock == nil {
		return 0, fmt.Errorf("requeue orphaned jobs: only a serving SQLite store may requeue")
	}
	n, err := s.db.exec(ctx, `UPDATE river_job SET state = 'available' WHERE state = 'running'`)
	if err != nil {
		return 0, fmt.Errorf("requeue orphaned jobs: %w", err)
	}
	return n, nil
}

// GrantAttempts lets job id run attempts more times after its current
// attempt, through exec (a River client's driver executor, or a
// transaction). River's JobRetry gives a job that used up its attempts just
// one more; the attempt count itself stays, since it is what makes a create
// look for its marker first.
func GrantAttempts(ctx context.Context, exec riverdriver.Executor, id int64, attempts int) error {
	if err := exec.Exec(ctx, `UPDATE river_job SET max_attempts = attempt + $1 WHERE id = $2`, attempts, id); err != nil {
		return fmt.Errorf("grant job %d %d attempts: %w", id, attempts, err)
	}
	return nil
}

var riverStates = map[string]string{
	"available": "available",
	"scheduled": "scheduled",
	"running":   "running",
	"retryable": "retrying",
	"cancelled": "parked",
	"discarded": "parked",
	"completed": "completed",
	"pending":   "pending",
}

// JobsByState counts the jobs in River's table by booty's state names. A
// state River adds later is counted under its own name.
func (s *Store) JobsByState(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.query(ctx, `SELECT state, count(*) FROM river_job GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("count jobs by state: %w", err)
	}
	defer rows.Close()
	counts := make(map[string]int)
	for rows.Next() {
		var (
			state string
			n     int
		)
		if err := rows.Scan(&state, &n); err != nil {
			return nil, fmt.Errorf("count jobs by state: %w", err)
		}
		if name, ok := riverStates[state]; ok {
			state = name
		}
		counts[state] += n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count jobs by state: %w", err)
	}
	return counts, nil
}

// riverJob is one row of River's job table as Copy moves it between
// stores, whichever their backends: times in UTC, and the JSON columns as
// JSON text (PostgreSQL keeps attempted_by, errors and tags as arrays,
// SQLite as JSONB blobs).
type riverJob struct {
	ID                             int64
	State                          string
	Attempt, MaxAttempts, Priority int64
	AttemptedAt, FinalizedAt       *time.Time
	CreatedAt, ScheduledAt         time.Time
	Args, Metadata, Tags           string
	// AttemptedBy and Errors are JSON arrays, nil where River wrote none.
	AttemptedBy, Errors *string
	Kind, Queue         string
	UniqueKey           []byte
	// UniqueStates is River's bitmask of the states a unique job is
	// unique among: BIT(8) on PostgreSQL, an integer on SQLite, the same
	// number on both (bit 0, the rightmost, is available).
	UniqueStates *int64
}

// riverJobColumns is every column of River's job table, in the order
// readRiverJobs selects them and insertRiverJob writes them. Copy moves
// them all; TestRiverJobColumns fails when River adds or changes one.
var riverJobColumns = []string{"id", "state", "attempt", "max_attempts", "priority",
	"attempted_at", "finalized_at", "created_at", "scheduled_at",
	"args", "metadata", "tags", "attempted_by", "errors",
	"kind", "queue", "unique_key", "unique_states"}

// sqliteTime is how River's SQLite driver writes times (riversqlite's
// timeString): any other text stores fine and then compares wrongly.
const sqliteTime = "2006-01-02 15:04:05.000"

// jobsToCopy is the condition on the jobs Copy moves: every one that has
// not finished. Completed jobs stay behind (River deletes them after a day
// anyway).
const jobsToCopy = `state <> 'completed'`

// countRiverJobs counts the jobs Copy moves, and of them the parked ones.
func countRiverJobs(ctx context.Context, q conn) (jobs, parked int64, err error) {
	err = q.queryRow(ctx, `SELECT count(*), count(CASE WHEN state IN `+parkedSQL()+` THEN 1 END)
		FROM river_job WHERE `+jobsToCopy).Scan(&jobs, &parked)
	if err != nil {
		return 0, 0, fmt.Errorf("count jobs: %w", err)
	}
	return jobs, parked, nil
}

// readRiverJobs returns up to limit of the jobs Copy moves with ids above
// after, in id order.
func readRiverJobs(ctx context.Context, q conn, backend Backend, after int64, limit int) ([]riverJob, error) {
	var query string
	if backend == Postgres {
		query = `SELECT id, state::text, attempt, max_attempts, priority,
			attempted_at, finalized_at, created_at, scheduled_at,
			args::text, metadata::text, to_jsonb(tags)::text, to_jsonb(attempted_by)::text, to_jsonb(errors)::text,
			kind, queue, unique_key, unique_states::integer`
	} else {
		// strftime writes every time SQLite understands in River's
		// format; json turns the JSONB blobs into text.
		query = `SELECT id, state, attempt, max_attempts, priority,
			strftime('%Y-%m-%d %H:%M:%f', attempted_at), strftime('%Y-%m-%d %H:%M:%f', finalized_at),
			strftime('%Y-%m-%d %H:%M:%f', created_at), strftime('%Y-%m-%d %H:%M:%f', scheduled_at),
			json(args), json(metadata), json(tags), json(attempted_by), json(errors),
			kind, queue, unique_key, unique_states`
	}
	rs, err := q.query(ctx, query+` FROM river_job WHERE `+jobsToCopy+` AND id > $1 ORDER BY id LIMIT $2`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("read jobs: %w", err)
	}
	defer rs.Close()
	var jobs []riverJob
	for rs.Next() {
		var j riverJob
		if backend == Postgres {
			err = rs.Scan(&j.ID, &j.State, &j.Attempt, &j.MaxAttempts, &j.Priority,
				&j.AttemptedAt, &j.FinalizedAt, &j.CreatedAt, &j.ScheduledAt,
				&j.Args, &j.Metadata, &j.Tags, &j.AttemptedBy, &j.Errors,
				&j.Kind, &j.Queue, &j.UniqueKey, &j.UniqueStates)
			j.utc()
		} else {
			err = scanSQLiteJob(rs, &j)
		}
		if err != nil {
			return nil, fmt.Errorf("read jobs: %w", err)
		}
		jobs = append(jobs, j)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("read jobs: %w", err)
	}
	return jobs, nil
}

func (j *riverJob) utc() {
	j.CreatedAt, j.ScheduledAt = j.CreatedAt.UTC(), j.ScheduledAt.UTC()
	for _, t := range []*time.Time{j.AttemptedAt, j.FinalizedAt} {
		if t != nil {
			*t = t.UTC()
		}
	}
}

func scanSQLiteJob(rs rows, j *riverJob) error {
	var attemptedAt, finalizedAt *string
	var createdAt, scheduledAt string
	if err := rs.Scan(&j.ID, &j.State, &j.Attempt, &j.MaxAttempts, &j.Priority,
		&attemptedAt, &finalizedAt, &createdAt, &scheduledAt,
		&j.Args, &j.Metadata, &j.Tags, &j.AttemptedBy, &j.Errors,
		&j.Kind, &j.Queue, &j.UniqueKey, &j.UniqueStates); err != nil {
		return err
	}
	var err error
	if j.CreatedAt, err = time.Parse(sqliteTime, createdAt); err != nil {
		return fmt.Errorf("job %d: created_at: %w", j.ID, err)
	}
	if j.ScheduledAt, err = time.Parse(sqliteTime, scheduledAt); err != nil {
		return fmt.Errorf("job %d: scheduled_at: %w", j.ID, err)
	}
	if j.AttemptedAt, err = parseSQLiteTime(attemptedAt); err != nil {
		return fmt.Errorf("job %d: attempted_at: %w", j.ID, err)
	}
	if j.FinalizedAt, err = parseSQLiteTime(finalizedAt); err != nil {
		return fmt.Errorf("job %d: finalized_at: %w", j.ID, err)
	}
	return nil
}

func parseSQLiteTime(s *string) (*time.Time, error) {
	if s == nil {
		return nil, nil
	}
	t, err := time.Parse(sqliteTime, *s)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

func formatSQLiteTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.UTC().Round(time.Millisecond).Format(sqliteTime)
	return &s
}

// insertRiverJob writes j, id included, into River's job table as River
// would have on q's backend.
func insertRiverJob(ctx context.Context, q conn, backend Backend, j riverJob) error {
	cols := strings.Join(riverJobColumns, ", ")
	var uniqueKey any
	if j.UniqueKey != nil {
		uniqueKey = j.UniqueKey
	}
	var err error
	if backend == Postgres {
		// The JSON arrays become PostgreSQL arrays of their elements;
		// the parameters are typed text so that pgx sends them as they
		// are.
		_, err = q.exec(ctx, `INSERT INTO river_job (`+cols+`) VALUES (
			$1, $2::text::river_job_state, $3, $4, $5,
			$6, $7, $8, $9,
			$10::text::jsonb, $11::text::jsonb,
			ARRAY(SELECT jsonb_array_elements_text($12::text::jsonb)),
			CASE WHEN $13::text IS NULL THEN NULL ELSE ARRAY(SELECT jsonb_array_elements_text($13::text::jsonb)) END,
			CASE WHEN $14::text IS NULL THEN NULL ELSE ARRAY(SELECT jsonb_array_elements($14::text::jsonb)) END,
			$15, $16, $17, $18::integer::bit(8))`,
			j.ID, j.State, j.Attempt, j.MaxAttempts, j.Priority,
			j.AttemptedAt, j.FinalizedAt, j.CreatedAt, j.ScheduledAt,
			j.Args, j.Metadata, j.Tags, j.AttemptedBy, j.Errors,
			j.Kind, j.Queue, uniqueKey, j.UniqueStates)
	} else {
		_, err = q.exec(ctx, `INSERT INTO river_job (`+cols+`) VALUES (
			$1, $2, $3, $4, $5,
			$6, $7, $8, $9,
			jsonb($10), jsonb($11), jsonb($12), jsonb($13), jsonb($14),
			$15, $16, $17, $18)`,
			j.ID, j.State, j.Attempt, j.MaxAttempts, j.Priority,
			formatSQLiteTime(j.AttemptedAt), formatSQLiteTime(j.FinalizedAt),
			*formatSQLiteTime(&j.CreatedAt), *formatSQLiteTime(&j.ScheduledAt),
			j.Args, j.Metadata, j.Tags, j.AttemptedBy, j.Errors,
			j.Kind, j.Queue, uniqueKey, j.UniqueStates)
	}
	if err != nil {
		return fmt.Errorf("write job %d: %w", j.ID, err)
	}
	return nil
}

// lastRiverJobID returns the highest job id the store ever handed out,
// deleted and finished jobs included.
func lastRiverJobID(ctx context.Context, q conn, backend Backend) (int64, error) {
	query := `SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'river_job'), 0),
		coalesce((SELECT max(id) FROM river_job), 0))`
	if backend == Postgres {
		query = `SELECT greatest(coalesce(pg_sequence_last_value(pg_get_serial_sequence('river_job', 'id')::regclass), 0),
			coalesce((SELECT max(id) FROM river_job), 0))`
	}
	var id int64
	if err := q.queryRow(ctx, query).Scan(&id); err != nil {
		return 0, fmt.Errorf("read the last job id: %w", err)
	}
	return id, nil
}

// skipRiverJobIDs makes River hand out ids above last from now on, so that
// no new job takes the id a delivery record names.
func skipRiverJobIDs(ctx context.Context, q conn, backend Backend, last int64) error {
	if last <= 0 {
		return nil
	}
	var err error
	if backend == Postgres {
		var next int64
		err = q.queryRow(ctx, `SELECT setval(pg_get_serial_sequence('river_job', 'id'),
			greatest($1, (SELECT coalesce(max(id), 0) FROM river_job)))`, last).Scan(&next)
	} else {
		// river_job is AUTOINCREMENT (River's migration 008): SQLite
		// hands out ids above the one sqlite_sequence holds.
		if _, err = q.exec(ctx, `UPDATE sqlite_sequence SET seq = $1 WHERE name = 'river_job' AND seq < $1`, last); err == nil {
			_, err = q.exec(ctx, `INSERT INTO sqlite_sequence (name, seq) SELECT 'river_job', $1
				WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'river_job')`, last)
		}
	}
	if err != nil {
		return fmt.Errorf("move job ids past %d: %w", last, err)
	}
	return nil
}

// riverLeader returns the River client leading on a PostgreSQL store, a
// serving booty, and until when its term runs; "" when none leads. Every
// started River client takes part in the election, so a serving replica
// shows here within seconds of its start, and a stopped one resigns.
// SQLite has the serve lock instead, and this returns "".
func (s *Store) riverLeader(ctx context.Context) (leader string, until time.Time, err error) {
	if s.pg == nil {
		return "", time.Time{}, nil
	}
	err = s.db.queryRow(ctx, `SELECT leader_id, expires_at FROM river_leader WHERE expires_at > now()`).Scan(&leader, &until)
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, nil
	}
	if err != nil {
		return "", time.Time{}, fmt.Errorf("read river's leader: %w", err)
	}
	return leader, until.UTC(), nil
}

// ProblemJob is one of a problem's GitHub jobs, as the operator sees it.
type ProblemJob struct {
	ID    int64
	Kind  string
	State rivertype.JobState
	// Action is the job's alert.Action ("" when its args name none).
	Action               string
	Attempt, MaxAttempts int
	CreatedAt            time.Time
	// FinalizedAt is when the job finished or parked; zero while it has
	// not.
	FinalizedAt time.Time
	// LastError is the error of its last failed attempt ("" when none
	// failed).
	LastError string
}

// ProblemJobs returns the jobs in River's table whose args name the
// problem with key, oldest first: what booty still has of the GitHub
// writes it decided for it (River deletes completed jobs after a day).
func (s *Store) ProblemJobs(ctx context.Context, key string) ([]ProblemJob, error) {
	// The columns as text on both backends: SQLite keeps args and errors
	// as JSONB blobs and times in River's own format.
	query := `SELECT id, kind, state, attempt, max_attempts,
		strftime('%Y-%m-%d %H:%M:%f', created_at), strftime('%Y-%m-%d %H:%M:%f', finalized_at),
		coalesce(json_extract(json(args), '$.action'), ''), json(errors)
		FROM river_job WHERE json_extract(json(args), '$.problem_key') = $1 ORDER BY id`
	if s.backend == Postgres {
		query = `SELECT id, kind, state::text, attempt, max_attempts,
		to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS'),
		to_char(finalized_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS'),
		coalesce(args->>'action', ''), to_jsonb(errors)::text
		FROM river_job WHERE args->>'problem_key' = $1 ORDER BY id`
	}
	rs, err := s.db.query(ctx, query, key)
	if err != nil {
		return nil, fmt.Errorf("read jobs of %s: %w", key, err)
	}
	defer rs.Close()
	var out []ProblemJob
	for rs.Next() {
		var (
			j               ProblemJob
			state, created  string
			finalized, errs *string
		)
		if err := rs.Scan(&j.ID, &j.Kind, &state, &j.Attempt, &j.MaxAttempts, &created, &finalized, &j.Action, &errs); err != nil {
			return nil, fmt.Errorf("read jobs of %s: %w", key, err)
		}
		j.State = rivertype.JobState(state)
		if j.CreatedAt, err = time.Parse(sqliteTime, created); err != nil {
			return nil, fmt.Errorf("read jobs of %s: job %d: created_at: %w", key, j.ID, err)
		}
		if f, err := parseSQLiteTime(finalized); err != nil {
			return nil, fmt.Errorf("read jobs of %s: job %d: finalized_at: %w", key, j.ID, err)
		} else if f != nil {
			j.FinalizedAt = *f
		}
		j.LastError = lastAttemptError(errs)
		out = append(out, j)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("read jobs of %s: %w", key, err)
	}
	return out, nil
}

// lastAttemptError returns the message of the last of River's attempt
// errors, a JSON array; "" when there is none or it cannot be read.
func lastAttemptError(errs *string) string {
	if errs == nil {
		return ""
	}
	var list []struct {
		Error string `json:"error"`
	}
	if json.Unmarshal([]byte(*errs), &list) != nil || len(list) == 0 {
		return ""
	}
	return list[len(list)-1].Error
}
