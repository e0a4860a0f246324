package clearing_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tongdao/tongdao/core/clearing"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
)

// TestAgeing_ReceivablePastItsChannelLimitRaisesTheAlert: with a 48h limit for WeChat, the
// day's receivable is fine the next morning, overdue three days later (the ledger's ageing
// check fails and the alert's gauge is 1), and fine again once the channel's money arrived.
func TestAgeing_ReceivablePastItsChannelLimitRaisesTheAlert(t *testing.T) {
	f := newFixture(t, "")
	f.pay("p1", "M1", "wx1", 10000, bj(day, 10, 0, 0))
	f.drain() // posted at day+1 10:00
	if err := clearing.ApplyAgeLimits(f.ctx, f.l, f.db, map[string]time.Duration{"wechat": 48 * time.Hour, "unionpay": 72 * time.Hour}, money.CNY); err != nil {
		t.Fatal(err)
	}
	col := &clearing.AgeingCollector{Store: f.db, Clock: f.clk, Channels: []string{"wechat", "unionpay"}, Every: time.Nanosecond, Wait: true}
	reg := prometheus.NewRegistry()
	reg.MustRegister(col)
	gauge := func() string {
		t.Helper()
		var b strings.Builder
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() != "tongdao_clearing_receivable_overdue" {
				continue
			}
			for _, m := range mf.GetMetric() {
				b.WriteString(m.GetLabel()[0].GetValue() + "=" + strings.TrimSuffix(m.GetGauge().String(), " ") + ";")
			}
		}
		return b.String()
	}
	od, err := clearing.OverdueReceivables(f.ctx, f.db, f.clk, clock.Date{})
	if err != nil || len(od) != 0 {
		t.Fatalf("next morning: %+v %v", od, err)
	}
	if g := gauge(); !strings.Contains(g, "wechat=value:0") {
		t.Errorf("gauge %s", g)
	}
	_ = f.clk.Set(bj(day.AddDays(4), 10, 0, 0))
	od, err = clearing.OverdueReceivables(f.ctx, f.db, f.clk, clock.Date{})
	if err != nil || len(od) != 1 || od[0].Channel != "wechat" || !strings.Contains(od[0].Detail, "99.40") {
		t.Fatalf("three days later: %+v %v", od, err)
	}
	if g := gauge(); !strings.Contains(g, "wechat=value:1") || !strings.Contains(g, "unionpay=value:0") {
		t.Errorf("gauge %s", g)
	}
	rep, err := f.l.Verify(f.ctx, ledger.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Check(ledger.CheckAgeing); c.Failures != 1 || !c.Names("account "+strconv.FormatInt(int64(od[0].Account), 10)) {
		t.Errorf("ledger verify ageing: %+v", c)
	}
	if _, err := f.s.FundsArrived(f.ctx, clearing.Arrival{Channel: "wechat", Day: day, Amount: money.Fen(9940), Ref: "B1"}); err != nil {
		t.Fatal(err)
	}
	if od, _ := clearing.OverdueReceivables(f.ctx, f.db, f.clk, clock.Date{}); len(od) != 0 {
		t.Errorf("after the funds arrived: %+v", od)
	}
	_ = f.clk.Set(f.clk.Now().Add(time.Second)) // the collector reuses a result younger than Every
	if g := gauge(); !strings.Contains(g, "wechat=value:0") {
		t.Errorf("gauge %s", g)
	}
	if err := clearing.ApplyAgeLimits(f.ctx, f.l, f.db, map[string]time.Duration{"wechat": time.Millisecond}, money.CNY); err == nil {
		t.Error("a limit of 1ms was accepted")
	}
}
