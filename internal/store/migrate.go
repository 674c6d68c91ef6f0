package store

import (
	"context"
	"embed"
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
