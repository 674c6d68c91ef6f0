package store

import (
	"context"
	"database/sql"
)

// maxStmts bounds the statements the writer keeps prepared. booty's write
// SQL is a few dozen constant strings; the bound only keeps a query built
// at run time from growing the cache for ever.
const maxStmts = 128

// stmtCache keeps the SQL of the write transactions prepared on the SQLite
// connection. Preparing (parsing and planning) a statement cost more than
// running it: a delivery runs about six, and preparing them took a tenth of
// booty's CPU under load. It belongs to the writer goroutine, which alone
// uses it, so it takes no lock.
//
// A statement is prepared on the database the first time it runs, after
// the batch that ran it: while a batch is open the transaction holds the
// only connection. database/sql prepares it again on a new connection
// should the old one be replaced.
type stmtCache struct {
	db       *sql.DB
	prepared map[string]*sql.Stmt
	// The open batch: its transaction, the prepared statements bound to
	// it so far, and the queries it ran unprepared.
	tx     *sql.Tx
	bound  map[string]*sql.Stmt
	missed []string
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, prepared: make(map[string]*sql.Stmt), bound: make(map[string]*sql.Stmt)}
}

// begin starts using the cache for the batch in tx.
func (c *stmtCache) begin(tx *sql.Tx) {
	c.tx = tx
	clear(c.bound)
	c.missed = c.missed[:0]
}

// end closes the batch, once its transaction is committed or rolled back,
// and prepares the queries it missed.
func (c *stmtCache) end() {
	c.tx = nil
	clear(c.bound)
	for _, q := range c.missed {
		if _, ok := c.prepared[q]; ok || len(c.prepared) >= maxStmts {
			continue
		}
		// A failure costs nothing but the cache: the query runs
		// unprepared next time, and reports its error then.
		if st, err := c.db.PrepareContext(context.Background(), q); err == nil {
			c.prepared[q] = st
		}
	}
	c.missed = c.missed[:0]
}

// stmt returns query prepared and bound to the open batch's transaction,
// or nil when it is not prepared yet.
func (c *stmtCache) stmt(ctx context.Context, query string) *sql.Stmt {
	if st, ok := c.bound[query]; ok {
		return st
	}
	st, ok := c.prepared[query]
	if !ok {
		if len(c.missed) < maxStmts {
			c.missed = append(c.missed, query)
		}
		return nil
	}
	st = c.tx.StmtContext(ctx, st)
	c.bound[query] = st
	return st
}

// close closes every prepared statement.
func (c *stmtCache) close() {
	for q, st := range c.prepared {
		_ = st.Close()
		delete(c.prepared, q)
	}
}

// cachedConn runs a batch's SQL through the cache: prepared when the cache
// has the query, on the transaction itself otherwise.
type cachedConn struct {
	tx    *sql.Tx
	cache *stmtCache
}

func (c cachedConn) exec(ctx context.Context, query string, args ...any) (int64, error) {
	st := c.cache.stmt(ctx, query)
	if st == nil {
		return sqlConn{c.tx}.exec(ctx, query, args...)
	}
	res, err := st.ExecContext(ctx, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (c cachedConn) queryRow(ctx context.Context, query string, args ...any) row {
	st := c.cache.stmt(ctx, query)
	if st == nil {
		return c.tx.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (c cachedConn) query(ctx context.Context, query string, args ...any) (rows, error) {
	st := c.cache.stmt(ctx, query)
	if st == nil {
		return sqlConn{c.tx}.query(ctx, query, args...)
	}
	rs, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rs}, nil
}
