package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river/rivermigrate"
)

//go:embed migrations
var migrations embed.FS

// migrationLock is the PostgreSQL advisory lock replicas take to migrate
// one at a time ("booty" in ASCII).
const migrationLock = 0x626f6f7479

// Migration is one of booty's schema versions.
type Migration struct {
	Version   int
	Name      string
	AppliedAt time.Time // zero while pending
	// Unknown marks a migration the database has and this build does
	// not: a newer booty applied it.
	Unknown bool
}

// SchemaStatus is where a database's schema stands.
type SchemaStatus struct {
	// Booty lists booty's migrations this build knows, oldest first, and
	// any the database has that it does not (a newer booty's).
	Booty []Migration
	// River is the version of River's schema in the database, and
	// RiverLatest the one this build's River wants.
	River, RiverLatest int
}

// Pending reports whether any migration, booty's or River's, is still to
// be applied.
func (st SchemaStatus) Pending() bool {
	for _, m := range st.Booty {
		if m.AppliedAt.IsZero() {
			return true
		}
	}
	return st.River < st.RiverLatest
}

// Newer reports whether the database has schema versions, booty's or
// River's, that this build does not know: a newer booty migrated it.
func (st SchemaStatus) Newer() bool {
	for _, m := range st.Booty {
		if m.Unknown {
			return true
		}
	}
	return st.River > st.RiverLatest
}

// Migrate brings the schema, River's and booty's, up to date. Open does
// this already unless told to keep the schema.
func (s *Store) Migrate(ctx context.Context) error { return s.migrate(ctx) }

func (s *Store) migrate(ctx context.Context) error {
	if s.pg != nil {
		// Replicas that start together migrate one after the other; the
		// later ones find nothing left to do.
		c, err := s.pg.pool.Acquire(ctx)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		defer c.Release()
		if _, err := c.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
			return fmt.Errorf("migrate: lock: %w", err)
		}
		defer func() {
			// A failed unlock leaves the lock with a connection that is
			// then closed, which drops it.
			if _, err := c.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock); err != nil {
				c.Conn().Close(ctx)
			}
		}()
	}
	if err := s.migrateRiver(ctx); err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	if _, err := s.db.exec(ctx, `CREATE TABLE IF NOT EXISTS booty_migrations (
		version BIGINT PRIMARY KEY, applied_at_ms BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	known, err := s.knownMigrations()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, m := range known {
		if err := s.applyMigration(ctx, m); err != nil {
			return fmt.Errorf("migrate %s: %w", m.Name, err)
		}
	}
	return nil
}

func (s *Store) migrateRiver(ctx context.Context) error {
	if s.pg != nil {
		m, err := rivermigrate.New(s.pg.driver, nil)
		if err != nil {
			return err
		}
		_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		return err
	}
	m, err := rivermigrate.New(s.lite.driver, nil)
	if err != nil {
		return err
	}
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}

// riverVersions returns the River schema version in the database and the
// latest this build knows.
func (s *Store) riverVersions(ctx context.Context) (current, latest int, err error) {
	var existing, all []rivermigrate.Migration
	if s.pg != nil {
		m, err := rivermigrate.New(s.pg.driver, nil)
		if err != nil {
			return 0, 0, err
		}
		existing, err = m.ExistingVersions(ctx)
		if err != nil {
			return 0, 0, err
		}
		all = m.AllVersions()
	} else {
		m, err := rivermigrate.New(s.lite.driver, nil)
		if err != nil {
			return 0, 0, err
		}
		existing, err = m.ExistingVersions(ctx)
		if err != nil {
			return 0, 0, err
		}
		all = m.AllVersions()
	}
	for _, v := range existing {
		current = max(current, v.Version)
	}
	for _, v := range all {
		latest = max(latest, v.Version)
	}
	return current, latest, nil
}

// knownMigrations lists this build's migrations for the store's backend,
// oldest first.
func (s *Store) knownMigrations() ([]Migration, error) {
	dir := "migrations/" + string(s.backend)
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return nil, err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	var ms []Migration
	for _, e := range entries {
		version, err := strconv.Atoi(strings.SplitN(e.Name(), "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("bad migration name %s", e.Name())
		}
		ms = append(ms, Migration{Version: version, Name: e.Name()})
	}
	return ms, nil
}

// applyMigration runs one migration in its own transaction, once.
func (s *Store) applyMigration(ctx context.Context, m Migration) error {
	script, err := fs.ReadFile(migrations, "migrations/"+string(s.backend)+"/"+m.Name)
	if err != nil {
		return err
	}
	return s.rawTx(ctx, func(tx conn) error {
		var n int
		if err := tx.queryRow(ctx, `SELECT count(*) FROM booty_migrations WHERE version = $1`, m.Version).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if _, err := tx.exec(ctx, string(script)); err != nil {
			return err
		}
		_, err := tx.exec(ctx, `INSERT INTO booty_migrations (version, applied_at_ms) VALUES ($1, $2)`,
			m.Version, time.Now().UnixMilli())
		return err
	})
}

// rawTx runs fn in a transaction of its own, outside the group commit: for
// migrations, which run before the writer starts, and for bulk work.
func (s *Store) rawTx(ctx context.Context, fn func(tx conn) error) error {
	if s.pg != nil {
		return pgxBeginFunc(ctx, s, fn)
	}
	return s.liteTx(ctx, nil, fn)
}

// liteTx runs fn in a transaction of the SQLite file outside the writer,
// with opts, and commits it when fn returns nil.
func (s *Store) liteTx(ctx context.Context, opts *sql.TxOptions, fn func(tx conn) error) error {
	tx, err := s.lite.db.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(sqlConn{tx}); err != nil {
		return err
	}
	return tx.Commit()
}

// Schema reports where the database's schema stands against this build.
func (s *Store) Schema(ctx context.Context) (SchemaStatus, error) {
	var st SchemaStatus
	var err error
	if st.River, st.RiverLatest, err = s.riverVersions(ctx); err != nil {
		return SchemaStatus{}, fmt.Errorf("schema: river: %w", err)
	}
	known, err := s.knownMigrations()
	if err != nil {
		return SchemaStatus{}, fmt.Errorf("schema: %w", err)
	}
	applied := map[int]time.Time{}
	rs, err := s.db.query(ctx, `SELECT version, applied_at_ms FROM booty_migrations ORDER BY version`)
	if err != nil && !isNoTable(err) {
		return SchemaStatus{}, fmt.Errorf("schema: %w", err)
	}
	if err == nil {
		defer rs.Close()
		for rs.Next() {
			var v, at int64
			if err := rs.Scan(&v, &at); err != nil {
				return SchemaStatus{}, fmt.Errorf("schema: %w", err)
			}
			applied[int(v)] = fromMillis(at)
		}
		if err := rs.Err(); err != nil {
			return SchemaStatus{}, fmt.Errorf("schema: %w", err)
		}
	}
	for _, m := range known {
		m.AppliedAt = applied[m.Version]
		delete(applied, m.Version)
		st.Booty = append(st.Booty, m)
	}
	for v, at := range applied {
		st.Booty = append(st.Booty, Migration{Version: v, Name: "(unknown to this booty)", AppliedAt: at, Unknown: true})
	}
	sort.Slice(st.Booty, func(i, j int) bool { return st.Booty[i].Version < st.Booty[j].Version })
	return st, nil
}

// isNoTable reports whether err says a table does not exist (a database
// booty never migrated).
func isNoTable(err error) bool {
	if errors.Is(err, sql.ErrNoRows) {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "no such table") || strings.Contains(msg, "does not exist")
}
