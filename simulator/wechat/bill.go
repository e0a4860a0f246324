package wechat

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/simulator"
)

// Bill types accepted by /pay/downloadbill (§9.1).
const (
	BillAll            = "ALL"
	BillSuccess        = "SUCCESS"
	BillRefund         = "REFUND"
	BillRechargeRefund = "RECHARGE_REFUND"
)

// defaultBillReady is when WeChat starts generating the bill of day D: 09:00 on D+1
// (§9.2).
const defaultBillReady = 9 * time.Hour

// billReadyAfter is the configured availability of a bill after the midnight ending its
// day.
func (s *Server) billReadyAfter() time.Duration {
	switch {
	case s.cfg.BillReadyAtMidnight:
		return 0
	case s.cfg.BillReadyAfter > 0:
		return s.cfg.BillReadyAfter
	}
	return defaultBillReady
}

// StatementSpec: WeChat's accounting day is the natural Beijing day (§9.2); a day's
// bill is available from the configured time of the next day (09:00 by default).
func (s *Server) StatementSpec() simulator.StatementSpec {
	return simulator.StatementSpec{Cutoff: clock.NaturalDay, ReadyAfter: s.billReadyAfter()}
}

// Record field names the renderer reads from StatementRecord.Fields.
const (
	fAppID       = "appid"
	fDeviceInfo  = "device_info"
	fOpenID      = "openid"
	fTradeType   = "trade_type"
	fBankType    = "bank_type"
	fBody        = "body"
	fAttach      = "attach"
	fFeePPM      = "fee_rate_ppm"
	fPaidTime    = "paid_time"
	fRefundTime  = "refund_time"
	fRefundDone  = "refund_success_time"
	fRefundState = "refund_status"
	fRefundType  = "refund_type"
)

// StatementRecords derives the bill records of q.Day from what happened (§9.2):
// payments whose success time (time_end) falls on the Beijing day — so an order created
// at 23:59:59 and paid at 00:00:01 is in the next day's bill — and refunds (and
// reversals of paid barcode orders) initiated that day. q.Type is the bill_type ("" =
// ALL). Records are ordered by channel time, then creation.
func (s *Server) StatementRecords(ctx context.Context, q simulator.StatementQuery) ([]simulator.StatementRecord, error) {
	return s.billRecords("", q)
}

type seqRecord struct {
	rec simulator.StatementRecord
	seq int
}

func (s *Server) billRecords(realm string, q simulator.StatementQuery) ([]simulator.StatementRecord, error) {
	typ := q.Type
	if typ == "" {
		typ = BillAll
	}
	switch typ {
	case BillAll, BillSuccess, BillRefund, BillRechargeRefund:
	default:
		return nil, fmt.Errorf("wechat bill: type %q: %w", q.Type, simulator.ErrInvalid)
	}
	day := q.Day
	generated := day.AddDays(1).Start(clock.Beijing()).Add(s.billReadyAfter())
	on := func(t time.Time) bool { return !t.IsZero() && clock.DateOf(t, clock.Beijing()) == day }
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []seqRecord
	for o := range s.st.eachOrder {
		if o.realm != realm || (q.Merchant != "" && o.mchID != q.Merchant) {
			continue
		}
		m := s.st.merchants[o.mchID]
		if m == nil {
			continue
		}
		base := func(kind, status string, amt money.Amount, at time.Time) simulator.StatementRecord {
			fee, _ := feeFen(amt, m.feePPM)
			return simulator.StatementRecord{
				Merchant: o.mchID, Kind: kind, OutTradeNo: o.outTradeNo, ChannelTxnID: o.txnID(),
				Amount: amt, Fee: fee, FeeExact: formatUnits5(feeUnits(amt.Minor(), m.feePPM)), Time: at, Status: status, SettleDate: day,
				Fields: map[string]string{
					fAppID: o.appID, fDeviceInfo: o.deviceInfo(), fOpenID: o.openID(),
					fTradeType: o.tradeType, fBankType: o.bankType(), fBody: o.body, fAttach: o.attach(),
					fFeePPM: strconv.FormatInt(m.feePPM, 10), fPaidTime: dashedTime(o.paidAt()),
				},
			}
		}
		if (typ == BillAll || typ == BillSuccess) && on(o.paidAt()) {
			out = append(out, seqRecord{base("payment", "SUCCESS", o.totalFee, o.paidAt()), int(o.seq)})
		}
		if typ == BillSuccess {
			continue
		}
		for _, r := range o.refunds() {
			if !on(r.createdAt) || (typ == BillRechargeRefund) != (r.account == accountRecharge) {
				continue
			}
			rec := base("refund", "REFUND", r.fee, r.createdAt)
			rec.OutRefundNo, rec.ChannelRefundID = r.outRefundNo, r.refundID
			// §9.2: the refund status is as of bill generation and not updated later.
			st := string(RefundProcessing)
			if r.status != RefundProcessing && !r.successAt.After(generated) {
				st = string(r.status)
			}
			rec.Fields[fRefundState], rec.Fields[fRefundType] = st, "ORIGINAL"
			rec.Fields[fRefundTime] = dashedTime(r.createdAt)
			if st == string(RefundSuccess) {
				rec.Fields[fRefundDone] = dashedTime(r.successAt)
			}
			out = append(out, seqRecord{rec, r.seq})
		}
		// §9.2: a paid barcode order that was reversed appears with its original order
		// number; shown as a REVOKED refund row of the whole amount [inferred].
		if o.revokeID() != "" && on(o.revokedAt()) && typ != BillRechargeRefund {
			rec := base("reversal", "REVOKED", o.totalFee, o.revokedAt())
			rec.OutRefundNo, rec.ChannelRefundID = o.outTradeNo, o.revokeID()
			rec.Fields[fRefundState], rec.Fields[fRefundType] = string(RefundSuccess), "ORIGINAL"
			rec.Fields[fRefundTime] = dashedTime(o.revokedAt())
			rec.Fields[fRefundDone] = dashedTime(o.revokedAt())
			out = append(out, seqRecord{rec, int(o.seq)})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].rec.Time.Equal(out[j].rec.Time) {
			return out[i].rec.Time.Before(out[j].rec.Time)
		}
		return out[i].seq < out[j].seq
	})
	recs := make([]simulator.StatementRecord, len(out))
	for i := range out {
		recs[i] = out[i].rec
	}
	return recs, nil
}

// feeFen is the fee of amt at ppm rounded half up to fen, for the engine's normalised
// view; the bill itself shows the exact fee with five decimals (feeText).
func feeFen(amt money.Amount, ppm int64) (money.Amount, error) {
	n := amt.Minor() * ppm
	return money.New((n+500000)/1000000, amt.Currency()), nil
}

// feeUnits is the fee of amt (fen) at ppm in units of 10^-5 yuan, rounded half away
// from zero: fen × ppm / 10^6 fen = fen × ppm / 10^3 units. Exact integer arithmetic;
// amounts are bounded by maxFen so the product cannot overflow.
func feeUnits(fen, ppm int64) int64 {
	n := fen * ppm
	if n < 0 {
		return -((-n + 500) / 1000)
	}
	return (n + 500) / 1000
}

// formatUnits5 formats units of 10^-5 yuan as "0.00006" / "-0.00600".
func formatUnits5(u int64) string {
	sign := ""
	if u < 0 {
		sign, u = "-", -u
	}
	return fmt.Sprintf("%s%d.%05d", sign, u/100000, u%100000)
}

// yuan formats an amount in fen as yuan with two decimals (core/money, exact).
func yuan(fen int64) string { return money.Fen(fen).Decimal() }

// billColumns returns the header of a bill type in the current (27-column family) or
// legacy (24-column family) format (§9.4). SUCCESS drops the refund columns; REFUND
// adds 退款申请时间,退款成功时间 before the refund ids.
func billColumns(typ string, legacy bool) []string {
	sub, settle, coupon, couponRefund := "特约商户号", "应结订单金额", "代金券金额", "充值券退款金额"
	if legacy {
		sub, settle, coupon, couponRefund = "子商户号", "总金额", "代金券或立减优惠金额", "代金券或立减优惠退款金额"
	}
	cols := []string{"交易时间", "公众账号ID", "商户号", sub, "设备号", "微信订单号", "商户订单号", "用户标识",
		"交易类型", "交易状态", "付款银行", "货币种类", settle, coupon}
	switch typ {
	case BillSuccess:
	case BillRefund, BillRechargeRefund:
		cols = append(cols, "退款申请时间", "退款成功时间", "微信退款单号", "商户退款单号", "退款金额", couponRefund, "退款类型", "退款状态")
	default:
		cols = append(cols, "微信退款单号", "商户退款单号", "退款金额", couponRefund, "退款类型", "退款状态")
	}
	cols = append(cols, "商品名称", "商户数据包", "手续费", "费率")
	if !legacy {
		if typ == BillSuccess {
			cols = append(cols, "订单金额", "费率备注")
		} else {
			cols = append(cols, "订单金额", "申请退款金额", "费率备注")
		}
	}
	return cols
}

// totalsColumns is the header of the totals section (§9.4).
func totalsColumns(legacy bool) []string {
	if legacy {
		return []string{"总交易单数", "总交易额", "总退款金额", "总代金券或立减优惠退款金额", "手续费总金额"}
	}
	return []string{"总交易单数", "应结订单总金额", "退款总金额", "充值券退款总金额", "手续费总金额", "订单总金额", "申请退款总金额"}
}

// RenderStatement writes recs as WeChat's trade bill text (§9.4): a header row, one row
// per record with every field prefixed by a backtick, the totals header and the totals
// row; LF line endings, no BOM. Amounts are yuan with two decimals computed exactly from
// fen; the fee has five decimals (negative on refund rows, which return the fee) and the
// rate is shown like 0.60%. q.Type selects the variant; the merchant's LegacyBill the
// 24-column family.
func (s *Server) RenderStatement(ctx context.Context, q simulator.StatementQuery, recs []simulator.StatementRecord, w io.Writer) (string, error) {
	typ := q.Type
	if typ == "" {
		typ = BillAll
	}
	legacy := false
	s.mu.Lock()
	mch := q.Merchant
	if mch == "" && len(recs) > 0 {
		mch = recs[0].Merchant
	}
	if m := s.st.merchants[mch]; m != nil {
		legacy = m.LegacyBill
	}
	s.mu.Unlock()
	b := bufio.NewWriterSize(w, 32<<10)
	b.WriteString(strings.Join(billColumns(typ, legacy), ","))
	b.WriteByte('\n')
	var count, settleSum, refundSum, orderSum, applySum, feeSum int64
	rates := map[int64]string{}
	row := make([]string, 0, 32)
	for _, r := range recs {
		f := r.Fields
		ppm, _ := strconv.ParseInt(f[fFeePPM], 10, 64)
		amt := r.Amount.Minor()
		refundRow := r.Kind != "payment"
		var settle, refundAmt, fee int64
		if refundRow {
			refundAmt, fee = amt, -feeUnits(amt, ppm)
		} else {
			settle, fee = amt, feeUnits(amt, ppm)
		}
		status := r.Status
		t := dashedTime(r.Time)
		if typ == BillRefund || typ == BillRechargeRefund {
			if pt := f[fPaidTime]; pt != "" {
				t = pt // in a refund bill 交易时间 is the payment time [inferred]
			}
		}
		row = append(row[:0], t, f[fAppID], r.Merchant, "0", f[fDeviceInfo], r.ChannelTxnID, r.OutTradeNo, f[fOpenID],
			f[fTradeType], status, f[fBankType], "CNY", yuan(settle), "0.00")
		switch {
		case typ == BillSuccess:
		case typ == BillRefund || typ == BillRechargeRefund:
			row = append(row, f[fRefundTime], f[fRefundDone], r.ChannelRefundID, r.OutRefundNo, yuan(refundAmt), "0.00", f[fRefundType], f[fRefundState])
		case refundRow:
			row = append(row, r.ChannelRefundID, r.OutRefundNo, yuan(refundAmt), "0.00", f[fRefundType], f[fRefundState])
		default:
			// Unused refund-id fields are 0 in payment rows (§9.4 sample).
			row = append(row, "0", "0", "0.00", "0.00", "", "")
		}
		rate, ok := rates[ppm]
		if !ok {
			rate = formatPercentPPM(ppm)
			rates[ppm] = rate
		}
		row = append(row, f[fBody], f[fAttach], formatUnits5(fee), rate)
		if !legacy {
			if typ == BillSuccess {
				row = append(row, yuan(settle), "")
			} else {
				row = append(row, yuan(settle), yuan(refundAmt), "")
			}
		}
		writeTicked(b, row)
		count++
		settleSum += settle
		refundSum += refundAmt
		orderSum += settle
		applySum += refundAmt
		feeSum += fee
	}
	b.WriteString(strings.Join(totalsColumns(legacy), ","))
	b.WriteByte('\n')
	totals := []string{strconv.FormatInt(count, 10), yuan(settleSum), yuan(refundSum), "0.00", formatUnits5(feeSum)}
	if !legacy {
		totals = append(totals, yuan(orderSum), yuan(applySum))
	}
	writeTicked(b, totals)
	return "text/plain; charset=utf-8", b.Flush()
}

// writeTicked writes one backtick-prefixed row (§9.4: so spreadsheets keep long numbers
// as text; an empty field is a lone backtick). Commas and line breaks inside a value
// would break the format, so they are replaced by spaces [inferred].
func writeTicked(b *bufio.Writer, row []string) {
	for i, v := range row {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('`')
		if strings.ContainsAny(v, ",\r\n") {
			for j := 0; j < len(v); j++ {
				if c := v[j]; c == ',' || c == '\r' || c == '\n' {
					b.WriteByte(' ')
				} else {
					b.WriteByte(c)
				}
			}
			continue
		}
		b.WriteString(v)
	}
	b.WriteByte('\n')
}
