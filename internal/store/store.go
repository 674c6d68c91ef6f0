// Package store keeps booty's durable state: problems, deliveries, and
// River's job tables, in one database so that a decision and the job that
// carries it out commit together. SQLite is the embedded default.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"booty/internal/alert"
	"booty/internal/config"
)

//go:embed migrations
var migrations embed.FS

// ErrNotFound is returned when a row does not exist.
var ErrNotFound = errors.New("not found")

// Store is booty's database.
type Store struct {
	db     *sql.DB
	driver riverdriver.Driver[*sql.Tx]

	ops        chan *writeOp
	quit       chan struct{}
	writerDone chan struct{}
	closeOnce  sync.Once
}

// Open opens the database named by a BOOTY_DATABASE_URL value and brings its
// schema, booty's and River's, up to date.
func Open(ctx context.Context, databaseURL string) (*Store, error) {
	kind, dsn, err := config.ParseDatabaseURL(databaseURL)
	if err != nil {
		return nil, err
	}
	if kind != "sqlite" {
		return nil, fmt.Errorf("open store: %s is not supported yet; use sqlite:PATH", kind)
	}
	return openSQLite(ctx, dsn)
}

func openSQLite(ctx context.Context, path string) (*Store, error) {
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
	}
	// WAL lets readers run beside the writer. synchronous=FULL makes every
	// commit durable against power loss as well as crashes: an answered
	// alert must survive anything. _txlock=immediate takes the write lock
	// at BEGIN, so a transaction never fails half-way on a busy database.
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)" +
		"&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	// SQLite allows one writer; River's SQLite driver asks for one
	// connection so its own parallel work never meets SQLITE_BUSY.
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	s := &Store{db: db, driver: riversqlite.New(db),
		ops: make(chan *writeOp, maxBatch), quit: make(chan struct{}), writerDone: make(chan struct{})}
	if err := s.migrate(ctx, "sqlite"); err != nil {
		db.Close()
		return nil, err
	}
	go s.writer()
	return s, nil
}

// Close stops the writer and closes the database. Writes queued then fail
// with ErrClosed.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.quit)
		<-s.writerDone
	})
	return s.db.Close()
}

// DB returns the database handle, for River.
func (s *Store) DB() *sql.DB { return s.db }

// Driver returns the River driver over this store's database.
func (s *Store) Driver() riverdriver.Driver[*sql.Tx] { return s.driver }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping store: %w", err)
	}
	return nil
}

func (s *Store) migrate(ctx context.Context, dialect string) error {
	migrator, err := rivermigrate.New(s.driver, nil)
	if err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}

	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS booty_migrations (
		version BIGINT PRIMARY KEY, applied_at_ms BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	dir := "migrations/" + dialect
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		version, err := strconv.Atoi(strings.SplitN(e.Name(), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migrate: bad migration name %s", e.Name())
		}
		script, err := fs.ReadFile(migrations, dir+"/"+e.Name())
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if err := s.applyMigration(ctx, version, string(script)); err != nil {
			return fmt.Errorf("migrate %s: %w", e.Name(), err)
		}
	}
	return nil
}

// applyMigration runs one migration in its own transaction, once.
func (s *Store) applyMigration(ctx context.Context, version int, script string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM booty_migrations WHERE version = $1`, version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, script); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO booty_migrations (version, applied_at_ms) VALUES ($1, $2)`,
		version, time.Now().UnixMilli()); err != nil {
		return err
	}
	return tx.Commit()
}

// Delivery is what booty records of one verified webhook.
type Delivery struct {
	ReceivedAt time.Time
	RequestID  string
	Resource   string
	Action     string
	ProblemKey string
	EventID    string
}

// DecideFunc returns the decision for an alert and the problem's next state,
// given its stored state.
type DecideFunc func(prev alert.Problem) (alert.Decision, alert.Problem)

// EnqueueFunc adds, inside tx, the job that applies an accepted decision.
type EnqueueFunc func(ctx context.Context, tx *sql.Tx, a *alert.Alert, d alert.Decision) (jobID int64, err error)

// Accept decides what to do with an alert and makes it durable: the
// problem's new state, the delivery record and, when GitHub must change,
// the job commit in one transaction. When Accept returns nil, the alert
// survives a crash.
func (s *Store) Accept(ctx context.Context, d Delivery, a *alert.Alert, decide DecideFunc, enqueue EnqueueFunc) (alert.Decision, error) {
	var dec alert.Decision
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		prev, err := problemTx(ctx, tx, d.ProblemKey)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		var next alert.Problem
		dec, next = decide(prev)
		if next != prev {
			if err := putProblemTx(ctx, tx, next); err != nil {
				return err
			}
		}
		var jobID sql.NullInt64
		if dec.Accepted() {
			id, err := enqueue(ctx, tx, a, dec)
			if err != nil {
				return fmt.Errorf("enqueue: %w", err)
			}
			jobID = sql.NullInt64{Int64: id, Valid: true}
		}
		return insertDeliveryTx(ctx, tx, d, dec.String(), jobID)
	})
	if err != nil {
		return alert.Decision{}, fmt.Errorf("accept %s: %w", d.ProblemKey, err)
	}
	return dec, nil
}

// RecordIgnored records a delivery that was filtered before any problem
// state was read.
func (s *Store) RecordIgnored(ctx context.Context, d Delivery, reason alert.Reason) error {
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return insertDeliveryTx(ctx, tx, d, string(reason), sql.NullInt64{})
	})
	if err != nil {
		return fmt.Errorf("record delivery: %w", err)
	}
	return nil
}

const insertDeliverySQL = `INSERT INTO booty_deliveries
	(received_at_ms, request_id, resource, action, problem_key, event_id, decision, job_id)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`

func deliveryArgs(d Delivery, decision string, jobID sql.NullInt64) []any {
	return []any{d.ReceivedAt.UnixMilli(), d.RequestID, d.Resource, d.Action, d.ProblemKey, d.EventID, decision, jobID}
}

func insertDeliveryTx(ctx context.Context, tx *sql.Tx, d Delivery, decision string, jobID sql.NullInt64) error {
	if _, err := tx.ExecContext(ctx, insertDeliverySQL, deliveryArgs(d, decision, jobID)...); err != nil {
		return fmt.Errorf("record delivery: %w", err)
	}
	return nil
}

const problemColumns = `key, first_seen_ms, last_seen_ms, event_count, last_event_id,
	issue_number, issue_closed, cooldown_until_ms`

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func problemTx(ctx context.Context, q querier, key string) (alert.Problem, error) {
	var (
		p                     alert.Problem
		first, last, cooldown int64
		closed                int
	)
	err := q.QueryRowContext(ctx, `SELECT `+problemColumns+` FROM booty_problems WHERE key = $1`, key).
		Scan(&p.Key, &first, &last, &p.Count, &p.LastEventID, &p.IssueNumber, &closed, &cooldown)
	if errors.Is(err, sql.ErrNoRows) {
		return alert.Problem{}, ErrNotFound
	}
	if err != nil {
		return alert.Problem{}, fmt.Errorf("read problem: %w", err)
	}
	p.FirstSeen = fromMillis(first)
	p.LastSeen = fromMillis(last)
	p.CooldownUntil = fromMillis(cooldown)
	p.IssueClosed = closed != 0
	return p, nil
}

func putProblemTx(ctx context.Context, tx *sql.Tx, p alert.Problem) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO booty_problems (`+problemColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (key) DO UPDATE SET
			first_seen_ms = excluded.first_seen_ms,
			last_seen_ms = excluded.last_seen_ms,
			event_count = excluded.event_count,
			last_event_id = excluded.last_event_id,
			issue_number = excluded.issue_number,
			issue_closed = excluded.issue_closed,
			cooldown_until_ms = excluded.cooldown_until_ms`,
		p.Key, toMillis(p.FirstSeen), toMillis(p.LastSeen), p.Count, p.LastEventID,
		p.IssueNumber, boolInt(p.IssueClosed), toMillis(p.CooldownUntil))
	if err != nil {
		return fmt.Errorf("write problem: %w", err)
	}
	return nil
}

// Problem returns the stored state of the problem with key.
func (s *Store) Problem(ctx context.Context, key string) (alert.Problem, error) {
	return problemTx(ctx, s.db, key)
}

// SetIssue records the GitHub issue of a problem and whether it is closed.
func (s *Store) SetIssue(ctx context.Context, key string, number int, closed bool) error {
	res, err := s.db.ExecContext(ctx, `UPDATE booty_problems SET issue_number = $1, issue_closed = $2 WHERE key = $3`,
		number, boolInt(closed), key)
	if err != nil {
		return fmt.Errorf("set issue of %s: %w", key, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("set issue of %s: %w", key, ErrNotFound)
	}
	return nil
}

// Stats are counts for /health and the operator.
type Stats struct {
	Problems       int64
	Deliveries     int64
	LastDeliveryAt time.Time
}

// Stats counts problems and deliveries. It reads whole tables; startup
// uses LastDeliveryAt.
func (s *Store) Stats(ctx context.Context) (Stats, error) {
	var st Stats
	err := s.db.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM booty_problems),
		(SELECT count(*) FROM booty_deliveries)`).Scan(&st.Problems, &st.Deliveries)
	if err != nil {
		return Stats{}, fmt.Errorf("stats: %w", err)
	}
	st.LastDeliveryAt, err = s.LastDeliveryAt(ctx)
	return st, err
}

// LastDeliveryAt returns when the newest recorded delivery arrived (zero
// when none): one step down the received-time index.
func (s *Store) LastDeliveryAt(ctx context.Context) (time.Time, error) {
	var last sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT max(received_at_ms) FROM booty_deliveries`).Scan(&last); err != nil {
		return time.Time{}, fmt.Errorf("last delivery: %w", err)
	}
	if !last.Valid {
		return time.Time{}, nil
	}
	return fromMillis(last.Int64), nil
}

// ParkedJobs counts jobs that stopped for good and wait for an operator
// (River's cancelled and discarded states).
func (s *Store) ParkedJobs(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM river_job WHERE state IN ('cancelled', 'discarded')`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count parked jobs: %w", err)
	}
	return n, nil
}

// PruneDeliveries deletes delivery records received before t.
func (s *Store) PruneDeliveries(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM booty_deliveries WHERE received_at_ms < $1`, before.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("prune deliveries: %w", err)
	}
	return res.RowsAffected()
}

func toMillis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// RequeueOrphans makes jobs that were running when booty last stopped
// available again, and returns how many there were. Only one booty process
// runs on an SQLite file, so at startup every running job is an orphan of
// a crash; River's own rescuer would wait an hour. The next attempt looks
// up the issue marker first, so a create cut off mid-call is not repeated.
func (s *Store) RequeueOrphans(ctx context.Context) (int64, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE river_job SET state = 'available' WHERE state = 'running'`)
	if err != nil {
		return 0, fmt.Errorf("requeue orphaned jobs: %w", err)
	}
	return res.RowsAffected()
}
