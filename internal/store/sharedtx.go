package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"booty/internal/alert"
)

// pgRunBatch runs each op of batch under its own savepoint in one
// transaction, recording each op's error in errs, and commits.
//
// A carried write (Tx.write) is answered one round trip after its op
// returned. When it fails, the transaction is rolled back to the savepoint
// of the op it belongs to, which is the newest one taken: the failure made
// PostgreSQL skip every statement after it. That op takes the error, or
// runs again when it met a concurrent transaction, and every op after it
// runs again.
func (s *Store) pgRunBatch(ctx context.Context, batch []*pgOp, errs []error) error {
	sh := &sharedTx{ctx: ctx, pool: s.pg.pool}
	defer sh.rollback()
	runs := make([]int, len(batch))
	for i := 0; ; {
		if i == len(batch) {
			if sh.conn == nil {
				// No op sent a statement: nothing to commit.
				return nil
			}
			if err := sh.commit(); err != nil || sh.failed == nil && sh.fatal == nil {
				return err
			}
		} else if errs[i] = batch[i].ctx.Err(); errs[i] == nil {
			runs[i]++
			errs[i] = sh.run(i, batch[i].fn)
		}
		if sh.fatal != nil {
			return sh.fatal
		}
		if f := sh.failed; f != nil {
			sh.failed = nil
			if _, err := sh.conn.Exec(ctx, rollbackToSavepoint); err != nil {
				return errors.Join(f.err, err)
			}
			errs[f.op] = f.err
			i = f.op + 1
			if isConcurrencyErr(f.err) && runs[f.op] < maxTxAttempts {
				i = f.op
			}
			continue
		}
		if i < len(batch) && (errs[i] == nil || !isConcurrencyErr(errs[i]) || runs[i] >= maxTxAttempts) {
			i++
		}
	}
}

const (
	takeSavepoint       = "SAVEPOINT delivery"
	rollbackToSavepoint = "ROLLBACK TO SAVEPOINT delivery"
)

// sharedTx is the transaction one problem's batch of decisions shares on
// PostgreSQL. Every round trip an op waits for is one the ops queued
// behind it wait for too, so it spends as few as it can:
//   - its BEGIN, each op's SAVEPOINT and the writes whose result no one
//     reads (Tx.write) travel with the next statement that needs an
//     answer, or with the COMMIT;
//   - the problem's row, once read and locked, is known: a later op's read
//     of it is answered from memory. The row lock keeps every other writer
//     out until the commit, so only the batch's own writes change it.
//
// Statements run on the batch's context, not their op's: a sender hanging
// up must not cancel a round trip that carries its neighbours' writes.
type sharedTx struct {
	ctx  context.Context
	pool *pgxpool.Pool
	// conn is nil until the first round trip begins the transaction on it,
	// and tx is the transaction, for River. The COMMIT is sent on conn,
	// with the last carried writes, so pgx never sees tx end: conn is
	// released for that, and the pool destroys it if the transaction is
	// still open then.
	conn *pgxpool.Conn
	tx   pgx.Tx
	// carry is what the next round trip sends first, in order.
	carry []carried
	// failed is a carried write that failed; the ops after its own stop
	// at their next statement.
	failed *carryFailure
	// fatal leaves the transaction unfit to commit.
	fatal error
	// known holds the problem's row as the transaction has left it.
	known knownRow
}

// carried is a statement waiting for the next round trip.
type carried struct {
	op int
	// what names the write for its error; "" is the op's savepoint.
	what  string
	query string
	args  []any
}

type carryFailure struct {
	op  int
	err error
}

// errCarryFailed stops an op whose round trip found an earlier op's write
// failing: the batch rolls back and runs it again.
var errCarryFailed = errors.New("an earlier write of the shared transaction failed")

// knownRow is a problem row this transaction has read and locked, and
// whether event is among its counted events.
type knownRow struct {
	ok      bool
	problem alert.Problem
	event   string
}

// run runs op number op, and undoes its writes when it fails.
func (sh *sharedTx) run(op int, fn func(tx *Tx) error) error {
	c := &opConn{sh: sh, op: op}
	err := fn(&Tx{conn: c, backend: Postgres, shared: c})
	if err == nil || sh.failed != nil || sh.fatal != nil {
		return err
	}
	sh.known = knownRow{}
	for n := len(sh.carry); n > 0 && sh.carry[n-1].op == op; n-- {
		sh.carry = sh.carry[:n-1]
	}
	switch {
	case sh.conn != nil && sh.conn.Conn().IsClosed():
		sh.fatal = err
	case c.state == savepointTaken:
		// Carried statements are sent before any of a later op, so the
		// op's savepoint is the newest: rolling back to it undoes only
		// the op.
		if _, rbErr := sh.conn.Exec(sh.ctx, rollbackToSavepoint); rbErr != nil {
			sh.fatal = errors.Join(err, rbErr)
		}
	}
	return err
}

// commit sends what is carried and the COMMIT. A carried write that fails
// leaves the transaction open (sh.failed), its COMMIT skipped.
func (sh *sharedTx) commit() error {
	b, sent := sh.batch(nil)
	b.Queue("COMMIT")
	br := sh.conn.SendBatch(sh.ctx, b)
	if !sh.readCarried(br, false, sent, false) {
		_ = br.Close()
		return nil
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err == nil && tag.String() != "COMMIT" {
		err = pgx.ErrTxCommitRollback
	}
	if err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// rollback ends the transaction unless it was committed, and gives its
// connection back.
func (sh *sharedTx) rollback() {
	if sh.conn == nil {
		return
	}
	if c := sh.conn.Conn(); !c.IsClosed() && c.PgConn().TxStatus() != 'I' {
		_, _ = sh.conn.Exec(sh.ctx, "ROLLBACK")
	}
	sh.conn.Release()
}

// batch returns a batch of the BEGIN when the transaction has none yet,
// and what is carried, then c's savepoint when c has not taken it; and
// the carried statements it took.
func (sh *sharedTx) batch(c *opConn) (*pgx.Batch, []carried) {
	b := &pgx.Batch{}
	if sh.tx == nil {
		b.BeginTx(pgx.TxOptions{})
	}
	sent := sh.carry
	sh.carry = nil
	for _, st := range sent {
		b.Queue(st.query, st.args...)
	}
	if c != nil && c.state == savepointPending {
		b.Queue(takeSavepoint)
	}
	return b, sent
}

// roundTrip sends sh.batch(c) and query (none when ""). It returns the
// batch's results at query's, or nil when query is "" or something before
// it failed (sh.failed or sh.fatal then says what).
func (sh *sharedTx) roundTrip(c *opConn, query string, args []any) pgx.BatchResults {
	begin := sh.tx == nil
	ownSavepoint := c != nil && c.state == savepointPending
	b, sent := sh.batch(c)
	if query != "" {
		b.Queue(query, args...)
	}
	var br pgx.BatchResults
	if begin {
		conn, err := sh.pool.Acquire(sh.ctx)
		if err != nil {
			sh.fatal = fmt.Errorf("begin: %w", err)
			// A closed transaction, never nil, for River's insert.
			sh.tx = pgx.FailedBatchResults(b, sh.fatal).Tx()
			return nil
		}
		sh.conn = conn
		br = conn.SendBatch(sh.ctx, b)
		sh.tx = br.Tx()
	} else {
		br = sh.conn.SendBatch(sh.ctx, b)
	}
	if !sh.readCarried(br, begin, sent, ownSavepoint) {
		_ = br.Close()
		return nil
	}
	if c != nil {
		c.state = savepointTaken
	}
	if query == "" {
		if err := br.Close(); err != nil {
			sh.fatal = err
		}
		return nil
	}
	return br
}

// readCarried reads the results of what roundTrip sent before its query,
// and reports whether all succeeded.
func (sh *sharedTx) readCarried(br pgx.BatchResults, begin bool, sent []carried, ownSavepoint bool) bool {
	if begin {
		if _, err := br.Exec(); err != nil {
			sh.fatal = fmt.Errorf("begin: %w", err)
			return false
		}
	}
	for _, st := range sent {
		_, err := br.Exec()
		switch {
		case err == nil:
			continue
		case st.what == "":
			sh.fatal = fmt.Errorf("savepoint: %w", err)
		default:
			sh.fail(br, st, err)
		}
		return false
	}
	if ownSavepoint {
		if _, err := br.Exec(); err != nil {
			sh.fatal = fmt.Errorf("savepoint: %w", err)
			return false
		}
	}
	return true
}

// fail records that st, a carried write, failed with err. Only a failure
// the server reported, which leaves the transaction aborted at st, can be
// rolled back to st's op; anything else fails the batch.
func (sh *sharedTx) fail(br pgx.BatchResults, st carried, err error) {
	_ = br.Close()
	err = fmt.Errorf("%s: %w", st.what, err)
	if c := sh.conn.Conn(); c.IsClosed() || c.PgConn().TxStatus() != 'E' {
		sh.fatal = err
		return
	}
	sh.failed = &carryFailure{op: st.op, err: err}
	sh.known = knownRow{}
}

// The states of an op's savepoint.
const (
	savepointPending = iota
	// savepointQueued: carried, to be taken with the next round trip.
	savepointQueued
	savepointTaken
)

// opConn is one op's connection to its shared transaction.
type opConn struct {
	sh    *sharedTx
	op    int
	state int
}

// stopped returns why the op can run no more statements, if it cannot.
func (c *opConn) stopped() error {
	switch {
	case c.sh.fatal != nil:
		return c.sh.fatal
	case c.sh.failed != nil:
		return errCarryFailed
	}
	return nil
}

// write carries query to the next round trip, after the op's savepoint.
func (c *opConn) write(what, query string, args []any) error {
	if err := c.stopped(); err != nil {
		return err
	}
	if c.state == savepointPending {
		c.sh.carry = append(c.sh.carry, carried{op: c.op, query: takeSavepoint})
		c.state = savepointQueued
	}
	c.sh.carry = append(c.sh.carry, carried{op: c.op, what: what, query: query, args: args})
	return nil
}

// send is roundTrip for a statement whose answer the op waits for. What
// the statement changes is not known, so the problem's row no longer is.
func (c *opConn) send(query string, args []any) (pgx.BatchResults, error) {
	if err := c.stopped(); err != nil {
		return nil, err
	}
	c.sh.known = knownRow{}
	br := c.sh.roundTrip(c, query, args)
	if br == nil {
		return nil, c.stopped()
	}
	return br, nil
}

func (c *opConn) exec(_ context.Context, query string, args ...any) (int64, error) {
	br, err := c.send(query, args)
	if err != nil {
		return 0, err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (c *opConn) queryRow(_ context.Context, query string, args ...any) row {
	br, err := c.send(query, args)
	if err != nil {
		return errRow{err}
	}
	return batchRow{br}
}

func (c *opConn) query(_ context.Context, query string, args ...any) (rows, error) {
	if _, err := c.handOut(); err != nil {
		return nil, err
	}
	return pgConn{c.sh.tx}.query(c.sh.ctx, query, args...)
}

// handOut makes the transaction ready for statements the op sends itself
// (River's insert): everything carried sent and the op's savepoint taken.
func (c *opConn) handOut() (pgx.Tx, error) {
	if err := c.stopped(); err != nil {
		return c.sh.tx, err
	}
	c.sh.known = knownRow{}
	if c.sh.tx == nil || len(c.sh.carry) > 0 || c.state != savepointTaken {
		c.sh.roundTrip(c, "", nil)
	}
	return c.sh.tx, c.stopped()
}

// knownProblem returns the problem with key as the transaction has left
// it, with EventCounted for eventID, when the transaction knows it.
func (c *opConn) knownProblem(key, eventID string) (alert.Problem, bool) {
	if c == nil || c.stopped() != nil {
		return alert.Problem{}, false
	}
	k := c.sh.known
	if !k.ok || k.problem.Key != key || k.event != eventID {
		return alert.Problem{}, false
	}
	return k.problem, true
}

// read records p, just read and locked, with EventCounted for eventID.
func (c *opConn) read(p alert.Problem, eventID string) {
	if c != nil {
		c.sh.known = knownRow{ok: true, problem: p, event: eventID}
	}
}

// saved records that SaveProblem carried the update from prev to next.
func (c *opConn) saved(prev, next alert.Problem) {
	if c == nil || !c.sh.known.ok || c.sh.known.problem.Key != next.Key {
		return
	}
	c.sh.known.problem = savedProblem(prev, next)
}

// counted records that CountEvent carried the event's insert.
func (c *opConn) counted(key, eventID string) {
	if c == nil {
		return
	}
	if k := &c.sh.known; k.ok && k.problem.Key == key && k.event == eventID {
		k.problem.EventCounted = true
	}
}

// batchRow is the row a batch's last query returns; scanning it ends the
// batch.
type batchRow struct{ br pgx.BatchResults }

func (r batchRow) Scan(dest ...any) error {
	err := pgRow{r.br.QueryRow()}.Scan(dest...)
	if cerr := r.br.Close(); err == nil {
		err = cerr
	}
	return err
}

// errRow is a row that could not be read.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
