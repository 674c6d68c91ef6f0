package worker

import (
	"context"
	"errors"

	"github.com/riverqueue/river/riverdriver"
)

// This file is the one place where booty touches River's tables with its
// own SQL, for what River's API cannot do. TestRiverSchema fails if River's
// schema moves under it.

// raiseMaxAttemptsSQL gives a job n attempts more than it has used: River's
// JobRetry alone would give a job that used up its attempts just one more.
const raiseMaxAttemptsSQL = `UPDATE river_job SET max_attempts = attempt + $1 WHERE id = $2`

func raiseMaxAttempts(ctx context.Context, exec riverdriver.Executor, id int64, n int) error {
	return exec.Exec(ctx, raiseMaxAttemptsSQL, n, id)
}

// isUniqueViolation reports whether err is the database refusing a row
// for River's unique index (SQLite's SQLITE_CONSTRAINT_UNIQUE, PostgreSQL's
// 23505).
func isUniqueViolation(err error) bool {
	var sqlite interface{ Code() int }
	if errors.As(err, &sqlite) && sqlite.Code() == 2067 {
		return true
	}
	var pg interface{ SQLState() string }
	return errors.As(err, &pg) && pg.SQLState() == "23505"
}
