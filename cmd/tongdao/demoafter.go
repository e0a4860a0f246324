package main

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tongdao/tongdao/core/clearing"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/recon"
)

// afterDay is what follows the business day in the demo: once every channel's statement
// for the day is ready, each account's statement is reconciled with the orders
// (core/recon), the merchant's T+1 settlement batch is posted (core/clearing), and each
// channel's money arrives at the bank, clearing its receivable. day is the business day;
// fees are the accounts' rates, the same contracts the ledger poster charges.
func (d *gatewayDay) afterDay(ctx context.Context, day clock.Date, fees map[string]decimal.Decimal) error {
	accounts := d.gw.Accounts()
	ids := make([]string, 0, len(accounts))
	for id := range accounts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	cs, err := rateContracts(accounts, fees)
	if err != nil {
		return err
	}
	// Wait (on the virtual clock) until the last statement of the day is ready.
	ready := d.sim.Clock().Now()
	cuts := map[string]time.Duration{}
	for _, id := range ids {
		info := accounts[id].Info()
		cuts[accounts[id].Name()] = info.DayCutoff
		if at := info.StatementReadyAt(day); at.After(ready) {
			ready = at
		}
	}
	if by := ready.Sub(d.sim.Clock().Now()); by > 0 {
		d.advance(ctx, by)
	}
	fmt.Fprintf(d.out, "\n  after the day %s: reconciliation, settlement, funds\n", day)

	rn, err := recon.New(recon.Config{Store: d.db, Orders: d.db, Clock: d.sim.Clock(), Fee: recon.ContractFee(cs)})
	if err != nil {
		return err
	}
	nets := map[string]int64{} // by channel: what its statement says it owes for the day
	var reports []*recon.Report
	for _, id := range ids {
		rep, err := rn.Run(ctx, recon.Account{ID: id, Channel: accounts[id]}, day)
		if err != nil {
			return fmt.Errorf("recon %s: %w", id, err)
		}
		reports = append(reports, rep)
		var matched int64
		if t := rep.Classes[recon.Matched]; t != nil {
			matched = t.Count
		}
		d.step("recon %-9s statement %d records, core %d: %d matched, %d open, %d waiting; 余额调节表 %s",
			id, rep.ChannelRecords, rep.LocalRecords, matched, rep.Open, rep.Result.Waiting.Count, agrees(rep.Balanced()))
		d.check(rep.OK(), "recon of %s leaves no exception and its table agrees", id)
		nets[accounts[id].Name()] += rep.ChannelNet
	}
	d.reports = reports

	st, err := clearing.New(clearing.Config{Store: d.db, Ledger: d.work.ledger, Clock: d.sim.Clock(), Contracts: cs, Channels: cuts})
	if err != nil {
		return err
	}
	res, err := st.Run(ctx, day)
	if err != nil {
		return fmt.Errorf("settle: %w", err)
	}
	for _, b := range res.Created {
		d.step("settlement %s: %d payments %s, %d refunds %s, fees %s → net %s due to %s on %s (ledger entry %d)",
			b.ID, b.Payments, b.Gross, b.Refunds, b.Refunded, b.Fees, b.Net, b.MerchantID, b.PayOn, b.EntrySeq)
	}
	again, err := st.Run(ctx, day)
	if err != nil {
		return fmt.Errorf("settle again: %w", err)
	}
	d.check(len(again.Created) == 0, "settling the day again adds nothing (%d new batches)", len(again.Created))

	chans := make([]string, 0, len(nets))
	for ch := range nets {
		chans = append(chans, ch)
	}
	sort.Strings(chans)
	for _, ch := range chans {
		if nets[ch] <= 0 {
			continue
		}
		ar, err := st.FundsArrived(ctx, clearing.Arrival{Channel: ch, Day: day, Amount: money.New(nets[ch], money.CNY), Ref: "demo-" + ch + "-" + day.String()})
		if err != nil {
			return fmt.Errorf("funds from %s: %w", ch, err)
		}
		d.step("funds from %-8s %s arrive at the bank (due %s, difference %s)", ch, money.New(nets[ch], money.CNY), ar.Due, ar.Difference)
		d.check(ar.Difference.IsZero(), "%s paid what the day's orders say it owes", ch)
	}
	return nil
}

func agrees(ok bool) string {
	if ok {
		return "agrees"
	}
	return "DOES NOT AGREE"
}
