package recon_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/recon"
)

// FuzzReconcile builds a statement and a local side from the fuzzer's bytes (each byte pair
// makes a record on one side or both, with changes) and checks what must always hold: every
// record is counted once, the balance table agrees, and nothing panics.
func FuzzReconcile(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
	f.Add([]byte{255, 254, 3, 3, 3, 3, 17, 40, 99, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		st := &sliceStatement{}
		var local sliceSource
		seen := map[string]bool{}
		for i := 0; i+1 < len(b) && i < 400; i += 2 {
			op, v := b[i], int64(b[i+1])
			no := "F" + strconv.Itoa(int(op)%64)
			if seen[no] {
				continue
			}
			seen[no] = true
			amt := 100 + v
			when := bj(int(v)%24, int(op)%60, 0)
			refund := op&0x80 != 0
			rec := pay(no, amt, v%3, when)
			l := lpay(no, amt, when)
			if refund {
				rec.Type, rec.RefundNo, rec.ChannelRefundID, rec.Fee = channel.RecordRefund, no, "T"+no, money.Fen(-(v % 2))
				l.Kind = recon.KindRefund
			}
			switch op % 6 {
			case 0:
				st.recs = append(st.recs, rec)
			case 1:
				local = append(local, l)
			case 2:
				rec.Amount = money.Fen(amt + 1)
				st.recs = append(st.recs, rec)
				local = append(local, l)
			case 3:
				l.TxnID = "OTHER"
				st.recs = append(st.recs, rec)
				local = append(local, l)
			case 4:
				rec.Status = channel.StatusFailed
				st.recs = append(st.recs, rec)
				local = append(local, l)
			default:
				st.recs = append(st.recs, rec)
				local = append(local, l)
			}
		}
		var items int64
		res, err := recon.Reconcile(context.Background(), recon.Input{Channel: "wechat", Account: "wx1", Day: day, Statement: st, Local: local,
			Window: time.Duration(len(b)) * time.Minute, Sink: func(context.Context, *recon.Item) error { items++; return nil }})
		if err != nil {
			t.Fatal(err)
		}
		var counted int64
		for _, c := range recon.Classes {
			counted += res.Classes[c].Count
		}
		if counted+res.Waiting.Count != items+res.Classes[recon.Matched].Count {
			t.Errorf("items %d, counted %d + waiting %d (matched %d)", items, counted, res.Waiting.Count, res.Classes[recon.Matched].Count)
		}
		if res.ChannelRecords != int64(len(st.recs)) || res.LocalRecords > int64(len(local)) {
			t.Errorf("records: statement %d of %d, local %d of %d", res.ChannelRecords, len(st.recs), res.LocalRecords, len(local))
		}
		if !res.Balanced() {
			c, ch := res.Adjusted()
			t.Errorf("table: core %d channel %d %+v", c, ch, res.Balance)
		}
	})
}
