package recon_test

import (
	"context"
	"fmt"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/recon"
)

// Reconcile matches a statement (any channel.StatementReader, as DownloadStatement returns)
// against the core's records (any recon.Source) and hands each difference to Sink.
func ExampleReconcile() {
	d := clock.Date{Year: 2026, Month: 11, Day: 20}
	noon := d.Start(clock.Beijing()).Add(12 * time.Hour)
	statement := &sliceStatement{recs: []channel.StatementRecord{
		{Type: channel.RecordPayment, OrderNo: "A1", Amount: money.Fen(1000), Status: channel.StatusSucceeded, ChannelTime: noon},
		{Type: channel.RecordPayment, OrderNo: "A2", Amount: money.Fen(2001), Status: channel.StatusSucceeded, ChannelTime: noon},
	}}
	local := sliceSource{
		{Kind: recon.KindPayment, No: "A1", Amount: money.Fen(1000), At: noon},
		{Kind: recon.KindPayment, No: "A2", Amount: money.Fen(2000), At: noon},
		{Kind: recon.KindPayment, No: "A3", Amount: money.Fen(500), At: noon},
	}
	res, err := recon.Reconcile(context.Background(), recon.Input{Channel: "wechat", Account: "wx-main", Day: d,
		Statement: statement, Local: local,
		Sink: func(_ context.Context, it *recon.Item) error {
			fmt.Printf("%s %s: core %d, statement %d\n", it.Class, it.No, it.LocalAmount, it.ChannelAmount)
			return nil
		}})
	if err != nil {
		panic(err)
	}
	fmt.Println("matched:", res.Classes[recon.Matched].Count, "open:", res.Open, "table agrees:", res.Balanced())
	// Output:
	// amount_differs A2: core 2000, statement 2001
	// local_only A3: core 500, statement 0
	// matched: 1 open: 2 table agrees: true
}
