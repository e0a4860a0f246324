package unionpay

import (
	"context"
	"fmt"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/simulator"
)

// StatementSpec: UnionPay's clearing day turns at 23:00 Beijing (unionpay.md §10); the
// file of day D is available Config.FileReadyAfter (9 h) after 00:00 on D+1 (§9).
func (s *Server) StatementSpec() simulator.StatementSpec {
	return simulator.StatementSpec{Cutoff: clock.UnionPayCutoff, ReadyAfter: s.cfg.FileReadyAfter}
}

// Record kinds of the file: ZM lines are payments, refunds and reversals; ZME lines are
// exceptions.
const (
	recPayment   = "payment"
	recRefund    = "refund"
	recReversal  = "reversal"
	recException = "exception"
)

// Record field names the renderer reads from StatementRecord.Fields.
const (
	fTraceNo     = "traceNo"
	fTraceTime   = "traceTime"
	fCard        = "accNo" // masked 6+4
	fPayCardType = "payCardType"
	fTxnType     = "txnType"
	fTxnSubType  = "txnSubType"
	fBizType     = "bizType"
	fChannelType = "channelType"
	fOrigQryID   = "origQryId"
	fOrigTrace   = "origTraceNo"
	fOrigTime    = "origTraceTime"
	fOrigOrder   = "origOrderId"
	fReqReserved = "reqReserved"
	fQueryID     = "queryId"
	fOrderID     = "orderId"
)

// StatementRecords derives the file of clearing day q.Day from what happened: every
// consume, completion, refund, consume undo and completion undo that succeeded, placed by
// its clearing date (the 23:00 turn: 22:59:59 and 23:00:01 land in different files), and
// late debits (respCode 42) as exceptions. Fee is the merchant's rate, half up to fen:
// positive on payments, negative (returned) on refunds and reversals [inferred]. Pre-auths
// and their undos move no money and are not listed. q.Type is ignored (the file holds all).
func (s *Server) StatementRecords(ctx context.Context, q simulator.StatementQuery) ([]simulator.StatementRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []simulator.StatementRecord
	for _, t := range s.st.seq {
		if q.Merchant != "" && t.key.merID != q.Merchant || t.settle != q.Day {
			continue
		}
		m := s.st.merchants[t.key.merID]
		if m == nil {
			continue
		}
		var kind string
		switch {
		case t.state == "42":
			kind = recException
		case t.state != "00":
			continue
		case t.txnType == ttConsume || t.txnType == ttComplete:
			kind = recPayment
		case t.txnType == ttRefund:
			kind = recRefund
		case t.txnType == ttUndo || t.txnType == ttCompleteUndo:
			kind = recReversal
		default:
			continue
		}
		amt := money.Fen(t.amount)
		fee := m.fee(amt)
		if kind == recReversal {
			fee = m.fee(money.Fen(t.orig.amount))
		}
		if kind == recRefund || kind == recReversal {
			fee, _ = fee.Neg()
		}
		r := simulator.StatementRecord{
			Merchant: t.key.merID, Kind: kind, OutTradeNo: t.key.orderID, ChannelTxnID: t.queryID,
			Amount: amt, Fee: fee, Time: t.at, Status: t.state, SettleDate: t.settle,
			Fields: map[string]string{
				fTraceNo: t.traceNo, fTraceTime: t.trace, fCard: mask(t.card), fPayCardType: t.payCardType,
				fTxnType: t.txnType, fTxnSubType: t.txnSubType, fBizType: t.biz, fChannelType: t.channelType,
				fReqReserved: t.reqReserved, fQueryID: t.queryID, fOrderID: t.key.orderID,
			},
		}
		if t.orig != nil {
			r.OutTradeNo, r.OutRefundNo = t.orig.key.orderID, t.key.orderID
			r.ChannelTxnID, r.ChannelRefundID = t.orig.queryID, t.queryID
			r.Fields[fOrigQryID], r.Fields[fOrigTrace], r.Fields[fOrigTime], r.Fields[fOrigOrder] = t.orig.queryID, t.orig.traceNo, t.orig.trace, t.orig.key.orderID
		}
		out = append(out, r)
	}
	return out, nil
}

// fileDay resolves settleDate MMdd to the latest clearing date with that month and day
// not after today's clearing date (settleDate carries no year, unionpay.md §10).
func fileDay(mmdd string, now time.Time) (clock.Date, error) {
	if len(mmdd) != 4 || !digits(mmdd) {
		return clock.Date{}, fmt.Errorf("settleDate %q: want MMdd", mmdd)
	}
	today := settleDateOf(now)
	for y := today.Year; y >= today.Year-1; y-- {
		d, err := clock.ParseCompactDate(fmt.Sprintf("%04d%s", y, mmdd))
		if err != nil {
			continue
		}
		if !d.After(today) {
			return d, nil
		}
	}
	return clock.Date{}, fmt.Errorf("settleDate %q is not a date", mmdd)
}
