package wechat

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/clock"
)

// Fund-flow bill (§9.6): /pay/downloadfundflow, client certificate, HMAC-SHA256 only.
// The columns, totals and the refund row shape follow the SDK fixtures the spec quotes;
// which movements the Basic account shows for a payment (the amount in, then the fee
// out) is [inferred]. The Operation and Fees accounts have no movements here.

var fundFlowColumns = []string{"记账时间", "微信支付业务单号", "资金流水单号", "业务名称", "业务类型",
	"收支类型", "收支金额（元）", "账户结余（元）", "资金变更提交申请人", "备注", "业务凭证号"}

var fundFlowTotals = []string{"资金流水总笔数", "收入笔数", "收入金额", "支出笔数", "支出金额"}

// movement is one change of the merchant's Basic account balance, in fen.
type movement struct {
	at      time.Time
	bizNo   string // 微信支付业务单号
	name    string // 业务名称 = 业务类型
	amount  int64  // > 0 income, < 0 expense
	remark  string
	voucher string // 业务凭证号
	seq     int
}

// movements lists the Basic-account movements of a merchant up to (excluding) until,
// in time order: payments in, their fees (rounded half up to fen) out, refunds and
// reversals of paid barcode orders out.
func (s *Server) movements(realm, mchID string, until time.Time) []movement {
	m := s.st.merchants[mchID]
	var mv []movement
	add := func(x movement) {
		if !x.at.IsZero() && x.at.Before(until) && x.amount != 0 {
			mv = append(mv, x)
		}
	}
	for o := range s.st.eachOrder {
		if o.realm != realm || o.mchID != mchID || o.paidAt().IsZero() {
			continue
		}
		add(movement{at: o.paidAt(), bizNo: o.txnID(), name: "交易", amount: o.totalFee.Minor(), voucher: o.txnID(), seq: 3 * int(o.seq)})
		fee, _ := feeFen(o.totalFee, m.feePPM)
		add(movement{at: o.paidAt(), bizNo: o.txnID(), name: "扣除交易手续费", amount: -fee.Minor(), voucher: o.txnID(), seq: 3*int(o.seq) + 1})
		for _, r := range o.refunds() {
			if r.status == RefundClose {
				continue
			}
			add(movement{at: r.createdAt, bizNo: r.refundID, name: "退款", amount: -r.fee.Minor(), remark: r.desc,
				voucher: "REF" + o.txnID(), seq: 3 * r.seq})
		}
		if o.revokeID() != "" {
			add(movement{at: o.revokedAt(), bizNo: o.revokeID(), name: "退款", amount: -o.totalFee.Minor(),
				voucher: "REF" + o.txnID(), seq: 3*int(o.seq) + 2})
		}
	}
	sort.SliceStable(mv, func(i, j int) bool {
		if !mv[i].at.Equal(mv[j].at) {
			return mv[i].at.Before(mv[j].at)
		}
		return mv[i].seq < mv[j].seq
	})
	return mv
}

// downloadFundFlow serves /pay/downloadfundflow (§9.6).
func (s *Server) downloadFundFlow(rc *reqCtx) reply {
	if rc.signType != sign.WeChatHMACSHA256 {
		return billFail("invalid sign_type", billCodeParam)
	}
	day, err := clock.ParseCompactDate(rc.v("bill_date"))
	if err != nil || len(rc.v("bill_date")) != 8 {
		return billFail("invalid bill_date", billCodeParam)
	}
	acct := rc.v("account_type")
	switch acct {
	case "Basic", "Operation", "Fees":
	default:
		return billFail("invalid account_type", billCodeParam)
	}
	tar := rc.v("tar_type")
	if tar != "" && tar != "GZIP" {
		return billFail("invalid tar_type: Only GZIP supported", billCodeParam)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clk.Now()
	today := clock.DateOf(now, clock.Beijing())
	if day.After(today) || day.Before(today.AddDays(-billWindowDays)) {
		return billFail("invalid bill_date", billCodeParam)
	}
	end := day.AddDays(1).Start(clock.Beijing())
	if now.Before(end.Add(s.billReadyAfter())) {
		return billFail(msgBillCreating, billCodeCreating)
	}
	if acct != "Basic" {
		return billFail(msgNoBill, billCodeNoBill)
	}
	all := s.movements(rc.realm, rc.m.MchID, end)
	start := day.Start(clock.Beijing())
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	w.WriteString(strings.Join(fundFlowColumns, ","))
	w.WriteByte('\n')
	var balance, nIn, nOut, sumIn, sumOut int64
	rows := 0
	for i, x := range all {
		balance += x.amount
		if x.at.Before(start) {
			continue
		}
		kind, amt := "收入", x.amount
		if amt < 0 {
			kind, amt = "支出", -amt
			nOut++
			sumOut += amt
		} else {
			nIn++
			sumIn += amt
		}
		flowNo := rc.m.MchID + compactDate(x.at) + fmt.Sprintf("%010d", i+1)
		writeTicked(w, []string{dashedTime(x.at), x.bizNo, flowNo, x.name, x.name, kind, yuan(amt), yuan(balance),
			"system", x.remark, x.voucher})
		rows++
	}
	if rows == 0 {
		return billFail(msgNoBill, billCodeNoBill)
	}
	w.WriteString(strings.Join(fundFlowTotals, ","))
	w.WriteByte('\n')
	// The SDK fixture writes the counts with one decimal ("20.0,17.0,...").
	count := func(n int64) string { return strconv.FormatInt(n, 10) + ".0" }
	writeTicked(w, []string{count(nIn + nOut), count(nIn), yuan(sumIn), count(nOut), yuan(sumOut)})
	if err := w.Flush(); err != nil {
		return billFail("system error", billCodeSystem)
	}
	if tar != "GZIP" {
		return reply{http.StatusOK, "text/plain; charset=utf-8", b.Bytes()}
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(b.Bytes()); err != nil || zw.Close() != nil {
		return billFail("system error", billCodeSystem)
	}
	return reply{http.StatusOK, "application/octet-stream", gz.Bytes()}
}
