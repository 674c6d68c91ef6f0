package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
)

// pgStore is the PostgreSQL half of a Store: a pool shared by booty's SQL
// and River.
type pgStore struct {
	pool   *pgxpool.Pool
	driver riverdriver.Driver[pgx.Tx]
	// problems coalesces each problem's transactions (TransactProblem).
	problems problemQueues
}

// defaultPoolSize is the pool's size unless the URL sets pool_max_conns.
// pgxpool's own default, max(4, CPUs), is too small for booty: River keeps
// one connection for LISTEN and its producer, elector and workers take
// more, and every delivery waits for a connection of its own.
const defaultPoolSize = 16

// maxTxAttempts bounds how often Transact runs fn again after meeting a
// concurrent transaction. Each retry follows a commit by the other side, so
// a handful is plenty for any number of replicas.
const maxTxAttempts = 10

func (s *Store) openPostgres(ctx context.Context, dsn string, opts Options) error {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx quotes the whole string, password included, in some errors.
		return fmt.Errorf("open store: bad postgres URL: %s", redactDSNError(err, dsn))
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = defaultPoolSize
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("open store: %s", redactDSNError(err, dsn))
	}
	s.pg = &pgStore{pool: pool, driver: riverpgxv5.New(pool)}
	s.db = pgConn{pool}
	s.location = fmt.Sprintf("postgres://%s:%d/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)
	if err := s.Ping(ctx); err != nil {
		pool.Close()
		return fmt.Errorf("open store %s: %w", s.location, err)
	}
	if !opts.KeepSchema {
		if err := s.migrate(ctx); err != nil {
			pool.Close()
			return err
		}
	}
	return nil
}

// redactDSNError returns err's text without the password of dsn.
func redactDSNError(err error, dsn string) string {
	msg := err.Error()
	if cfg, perr := pgconn.ParseConfig(dsn); perr == nil && cfg.Password != "" {
		msg = strings.ReplaceAll(msg, cfg.Password, "xxxxx")
	}
	return msg
}

func (s *Store) pgTransact(ctx context.Context, fn func(tx *Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := pgx.BeginTxFunc(ctx, s.pg.pool, pgx.TxOptions{}, func(pgTx pgx.Tx) error {
			return fn(&Tx{conn: pgConn{pgTx}, backend: Postgres, pg: pgTx})
		})
		if err == nil {
			s.writes.set(nil)
			if s.onCommit != nil {
				s.onCommit(1)
			}
			return nil
		}
		if attempt < maxTxAttempts && ctx.Err() == nil && isConcurrencyErr(err) {
			continue
		}
		if isPGUnavailable(err) {
			s.writes.set(err)
		}
		return err
	}
}

// errConcurrent is a transaction's own report that a concurrent one got
// there first: the row it was to insert exists now.
var errConcurrent = errors.New("concurrent write")

// isConcurrencyErr reports whether a transaction failed only because a
// concurrent one touched the same rows, so that running it again decides
// on what that one committed.
func isConcurrencyErr(err error) bool {
	if errors.Is(err, errConcurrent) {
		return true
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case "40001", // serialization_failure
		"40P01", // deadlock_detected
		"23505": // unique_violation: two inserts of one new row
		return true
	}
	return false
}

// isPGUnavailable reports whether err is PostgreSQL failing to store or to
// answer at all, as opposed to one transaction's own mistake.
func isPGUnavailable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code[:2] {
		case "53", // insufficient resources: disk full, out of memory
			"58", // system error: I/O
			"08", // connection exception
			"57", // operator intervention: shutdown, cannot connect now
			"XX": // internal error
			return true
		}
		return false
	}
	var ne net.Error
	var ce *pgconn.ConnectError
	return errors.As(err, &ne) || errors.As(err, &ce) || pgconn.SafeToRetry(err)
}

func pgxBeginFunc(ctx context.Context, s *Store, fn func(tx conn) error) error {
	return pgx.BeginFunc(ctx, s.pg.pool, func(tx pgx.Tx) error { return fn(pgConn{tx}) })
}
