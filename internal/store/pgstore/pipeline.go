package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// pipeTx is a transaction that holds back inserts whose only answer is
// success or an error (later) and sends them with the next statement that
// needs an answer, or before the commit, in one round trip. An order
// create is a counter update, four inserts and an outbox query: pipelined,
// the tenant's counter row stays locked for two round trips instead of
// five, and creates of one tenant, which wait for that lock, go faster.
//
// Every way in to the transaction (ours and River's, which gets the
// pipeTx as its pgx.Tx) sends what is held back first, so statements run
// in the order they were written. An error of a held-back insert comes
// back, wrapped as its method would have wrapped it, from the call that
// sent it; the transaction then fails as it would have.
type pipeTx struct {
	pgx.Tx
	held []heldExec
	// err is the first failure of a batch: the held-back inserts in it
	// may not have run, so the transaction must not commit, even if the
	// caller let the error go.
	err error
}

type heldExec struct {
	sql  string
	args []any
	wrap func(error) error
}

// execLater runs an insert on q now, or holds it back when q is a
// pipelined transaction. wrap gives the error the method returns.
func (q *queries) execLater(ctx context.Context, wrap func(error) error, sql string, args ...any) error {
	if p, ok := q.db.(*pipeTx); ok {
		p.held = append(p.held, heldExec{sql: sql, args: args, wrap: wrap})
		return nil
	}
	if _, err := q.db.Exec(ctx, sql, args...); err != nil {
		return wrap(err)
	}
	return nil
}

// send queues what is held back on b, and returns how many.
func (p *pipeTx) send(b *pgx.Batch) int {
	n := len(p.held)
	for _, h := range p.held {
		b.Queue(h.sql, h.args...)
	}
	return n
}

// results reads the answers of the n held-back statements at the head of
// br, returning the first error as its method would. An error of the batch
// as a whole (one that pgx met before sending anything: an argument it
// cannot encode, a connection still busy) is nobody's in particular.
func (p *pipeTx) results(br pgx.BatchResults, n int) error {
	held := p.held[:n]
	p.held = p.held[n:]
	for _, h := range held {
		if _, err := br.Exec(); err != nil {
			if errors.As(err, new(pgx.ErrPreprocessingBatch)) {
				return p.fail(fmt.Errorf("pipelined statements: %w", err))
			}
			return p.fail(h.wrap(err))
		}
	}
	return nil
}

// fail records the transaction's first batch failure and returns err.
func (p *pipeTx) fail(err error) error {
	if p.err == nil {
		p.err = err
	}
	return err
}

// flush sends what is held back, if anything. After a failed batch it
// answers that failure again.
func (p *pipeTx) flush(ctx context.Context) error {
	if p.err != nil {
		return p.err
	}
	if len(p.held) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	n := p.send(b)
	br := p.Tx.SendBatch(ctx, b)
	err := p.results(br, n)
	if err = errors.Join(err, closeBatch(br, err)); err != nil {
		return p.fail(err)
	}
	return nil
}

// closeBatch closes br; its error only matters when none came before.
func closeBatch(br pgx.BatchResults, before error) error {
	err := br.Close()
	if before != nil {
		return nil
	}
	return err
}

func (p *pipeTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if err := p.flush(ctx); err != nil {
		return pgconn.CommandTag{}, err
	}
	return p.Tx.Exec(ctx, sql, args...)
}

// Query sends what is held back and the query together.
func (p *pipeTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if p.err != nil {
		return nil, p.err
	}
	if len(p.held) == 0 {
		return p.Tx.Query(ctx, sql, args...)
	}
	b := &pgx.Batch{}
	n := p.send(b)
	b.Queue(sql, args...)
	br := p.Tx.SendBatch(ctx, b)
	if err := p.results(br, n); err != nil {
		_ = br.Close()
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		_ = br.Close()
		if errors.As(err, new(pgx.ErrPreprocessingBatch)) {
			return nil, p.fail(fmt.Errorf("pipelined statements: %w", err))
		}
		return nil, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

func (p *pipeTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	rows, err := p.Query(ctx, sql, args...)
	if err != nil {
		return errRow{err}
	}
	return (pgx.Row)(rowOf{rows})
}

func (p *pipeTx) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error) {
	if err := p.flush(ctx); err != nil {
		return 0, err
	}
	return p.Tx.CopyFrom(ctx, table, columns, src)
}

func (p *pipeTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if err := p.flush(ctx); err != nil {
		return errBatch{err}
	}
	return p.Tx.SendBatch(ctx, b)
}

func (p *pipeTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	if err := p.flush(ctx); err != nil {
		return nil, err
	}
	return p.Tx.Prepare(ctx, name, sql)
}

func (p *pipeTx) Begin(ctx context.Context) (pgx.Tx, error) {
	if err := p.flush(ctx); err != nil {
		return nil, err
	}
	return p.Tx.Begin(ctx)
}

func (p *pipeTx) Commit(ctx context.Context) error {
	if err := p.flush(ctx); err != nil {
		return err
	}
	return p.Tx.Commit(ctx)
}

// batchRows are a query's rows at the end of a batch: closing them closes
// the batch.
type batchRows struct {
	pgx.Rows
	br     pgx.BatchResults
	closed bool
	err    error
}

func (r *batchRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.Close()
	return false
}

func (r *batchRows) Close() {
	if r.closed {
		return
	}
	r.closed = true
	r.Rows.Close()
	r.err = closeBatch(r.br, r.Rows.Err())
}

func (r *batchRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.err
}

// rowOf is the first row of rows, as pgx.Conn.QueryRow gives it.
type rowOf struct{ rows pgx.Rows }

func (r rowOf) Scan(dest ...any) error {
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// errBatch answers every read with err.
type errBatch struct{ err error }

func (b errBatch) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, b.err }
func (b errBatch) Query() (pgx.Rows, error)         { return nil, b.err }
func (b errBatch) QueryRow() pgx.Row                { return errRow{b.err} }
func (b errBatch) Close() error                     { return b.err }
func (b errBatch) Tx() pgx.Tx                       { return nil }

var _ pgx.Tx = (*pipeTx)(nil)

// wrapErr returns the wrap function of a method's error.
func wrapErr(method, kind string) func(error) error {
	return func(err error) error { return fmt.Errorf("%s: %w", method, interpretError(err, kind)) }
}
