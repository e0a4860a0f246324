package clearing_test

import (
	"context"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/clearing"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/store/storetest"
)

func TestProbeRead(t *testing.T) {
	if testing.Short() || envInt("PROBE", 0) == 0 {
		t.Skip()
	}
	n := envInt("PROBE", 0)
	f := newFixture(t, storetest.SQLiteDSN(t))
	seedDay(t, f.db, day, 10000, n)
	from, to, _ := clearing.DayWindow(day, clock.NaturalDay)
	ctx := context.Background()
	for _, q := range []string{
		`SELECT count(*) FROM payments WHERE channel = ? AND paid_at >= ? AND paid_at < ?`,
		`SELECT count(*) FROM payments NOT INDEXED WHERE channel = ? AND paid_at >= ? AND paid_at < ?`,
		`SELECT sum(amount) FROM payments WHERE channel = ? AND paid_at >= ? AND paid_at < ?`,
		`SELECT sum(amount) FROM payments NOT INDEXED WHERE channel = ? AND paid_at >= ? AND paid_at < ?`,
	} {
		t0 := time.Now()
		var c any
		if err := f.db.SQL().QueryRowContext(ctx, q, "wechat", from.UnixMicro(), to.UnixMicro()).Scan(&c); err != nil {
			t.Fatal(err)
		}
		t.Logf("%v %s: %v", c, q, time.Since(t0))
	}
	t0 := time.Now()
	k := 0
	_ = f.db.ClearingItems(ctx, "wechat", from, to, func(*clearing.Item) error { k++; return nil })
	t.Logf("ClearingItems %d: %v", k, time.Since(t0))
	for _, q := range []string{`EXPLAIN QUERY PLAN SELECT r.id, r.merchant_id, p.account, r.amount, r.currency, r.completed_at, p.amount,
		(SELECT COALESCE(SUM(r2.amount), 0) FROM refunds r2 WHERE r2.payment_id = r.payment_id AND r2.state = 'succeeded'
			AND (r2.completed_at < r.completed_at OR (r2.completed_at = r.completed_at AND r2.id < r.id)))
		FROM refunds r CROSS JOIN payments p
		WHERE p.id = r.payment_id AND p.channel = ? AND r.state = 'succeeded' AND r.completed_at >= ? AND r.completed_at < ?`,
		`EXPLAIN QUERY PLAN SELECT id, merchant_id, account, amount, currency, paid_at FROM payments
		WHERE channel = ? AND paid_at >= ? AND paid_at < ? AND state IN ('succeeded', 'partially_refunded', 'refunded')`} {
		rows, err := f.db.SQL().QueryContext(ctx, q, "wechat", from.UnixMicro(), to.UnixMicro())
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var a, b, c int
			var d string
			_ = rows.Scan(&a, &b, &c, &d)
			t.Log(d)
		}
		rows.Close()
	}
	for _, q := range []string{`SELECT id, merchant_id, account, amount, currency, paid_at FROM payments
		WHERE channel = ? AND paid_at >= ? AND paid_at < ? AND state IN ('succeeded', 'partially_refunded', 'refunded')`,
		`SELECT r.id, r.merchant_id, p.account, r.amount, r.currency, r.completed_at, p.amount,
		(SELECT COALESCE(SUM(r2.amount), 0) FROM refunds r2 WHERE r2.payment_id = r.payment_id AND r2.state = 'succeeded'
			AND (r2.completed_at < r.completed_at OR (r2.completed_at = r.completed_at AND r2.id < r.id)))
		FROM refunds r CROSS JOIN payments p
		WHERE p.id = r.payment_id AND p.channel = ? AND r.state = 'succeeded' AND r.completed_at >= ? AND r.completed_at < ?`} {
		t0 := time.Now()
		rows, err := f.db.SQL().QueryContext(ctx, q, "wechat", from.UnixMicro(), to.UnixMicro())
		if err != nil {
			t.Fatal(err)
		}
		k := 0
		for rows.Next() {
			k++
		}
		rows.Close()
		t.Logf("%d rows in %v", k, time.Since(t0))
	}
	t0 = time.Now()
	rows, _ := f.db.SQL().QueryContext(ctx, `SELECT id, merchant_id, account, amount, currency, paid_at FROM payments NOT INDEXED WHERE channel = ? AND paid_at >= ? AND paid_at < ?`, "wechat", from.UnixMicro(), to.UnixMicro())
	k = 0
	for rows.Next() {
		var a, b, c, e string
		var d, g int64
		_ = rows.Scan(&a, &b, &c, &d, &e, &g)
		k++
	}
	rows.Close()
	t.Logf("scan not indexed %d: %v", k, time.Since(t0))
}
