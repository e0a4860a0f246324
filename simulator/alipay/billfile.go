package alipay

import (
	"archive/zip"
	"bytes"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/simulator"
)

// detailHeader is the 25-column header of 业务明细 (§11).
const detailHeader = "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注"

// summaryHeader is the header of 业务明细(汇总) [field: as parsers of real files quote it].
const summaryHeader = "门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）,支付宝优惠（元）,商家优惠（元）,卡消费金额（元）,服务费（元）,分润（元）,实收净额（元）"

const (
	detailStart  = "#-----------------------------------------业务明细列表----------------------------------------"
	detailEnd    = "#-----------------------------------------业务明细列表结束------------------------------------"
	summaryStart = "#-----------------------------------------业务汇总列表----------------------------------------"
	summaryEnd   = "#-----------------------------------------业务汇总列表结束------------------------------------"
)

type renderedBill struct {
	zipName string
	zip     []byte
}

// cnTime formats the header times: 2019年09月16日 00:00:00.
func cnTime(t time.Time) string { return t.In(clock.Beijing()).Format("2006年01月02日 15:04:05") }

// text is a text cell: the value and the trailing TAB real bills put on ids and names
// so spreadsheets keep them as text (§11).
func text(s string) string { return s + "\t" }

func neg(a money.Amount) money.Amount { n, _ := a.Neg(); return n }

// renderBill builds the zip of §11: <pid>0156_<yyyyMMdd>.csv.zip holding the detail and
// the summary file, GBK-encoded, CRLF lines, GBK entry names without the UTF-8 flag. The
// export time is when the bill became available (deterministic).
func (s *Server) renderBill(q simulator.StatementQuery, pid string, recs []simulator.StatementRecord) renderedBill {
	user := pid + "0156"
	base := user + "_" + q.Day.Compact()
	start := q.Day.Start(clock.Beijing())
	exported := start.AddDate(0, 0, 1).Add(s.cfg.BillReadyAfter)
	head := []string{
		"#账号：[" + user + "]",
		"#起始日期：[" + cnTime(start) + "]   终止日期：[" + cnTime(start.AddDate(0, 0, 1)) + "]",
	}
	var d strings.Builder
	line := func(b *strings.Builder, s string) { b.WriteString(s); b.WriteString("\r\n") }
	line(&d, "#支付宝业务明细查询")
	for _, h := range head {
		line(&d, h)
	}
	line(&d, detailStart)
	line(&d, detailHeader)
	type storeSum struct {
		id                string
		pays, refunds     int
		amount, recv, fee money.Amount
	}
	zero := money.Fen(0)
	total := storeSum{amount: zero, recv: zero, fee: zero}
	var stores []*storeSum
	byStore := map[string]*storeSum{}
	payCount, refundCount := 0, 0
	payRecv, refundRecv := zero, zero
	for _, r := range recs {
		f := r.Fields
		kind, amt, reqNo := "交易", r.Amount, ""
		fee := neg(r.Fee) // the bill shows a charged fee as negative (§11 col. 23)
		if r.Kind == "refund" {
			kind, amt, reqNo = "退款", neg(r.Amount), f[fRequestNo]
			if reqNo == "" {
				reqNo = r.OutRefundNo
			}
			refundCount++
			refundRecv, _ = refundRecv.Add(amt)
		} else {
			payCount++
			payRecv, _ = payRecv.Add(amt)
		}
		completed := f[fCompletion]
		if completed == "" {
			completed = wireTime(r.Time)
		}
		created := f[fCreated]
		if created == "" {
			created = completed
		}
		remark := f[fBody]
		if remark == "" {
			remark = f[fSubject]
		}
		cells := []string{
			text(r.ChannelTxnID), text(r.OutTradeNo), text(kind), f[fSubject], created, completed,
			text(f[fStore]), text(""), text(f[fOperator]), text(f[fTerminal]), text(f[fBuyer]),
			amt.Decimal(), amt.Decimal(), "0.00", "0.00", "0.00", "0.00", "0.00", "", "0.00\t", "0.00",
			text(reqNo), fee.Decimal(), "0.00", remark,
		}
		line(&d, strings.Join(cells, ","))
		st := byStore[f[fStore]]
		if st == nil {
			st = &storeSum{id: f[fStore], amount: zero, recv: zero, fee: zero}
			byStore[st.id] = st
			stores = append(stores, st)
		}
		for _, x := range []*storeSum{st, &total} {
			if r.Kind == "refund" {
				x.refunds++
			} else {
				x.pays++
			}
			x.amount, _ = x.amount.Add(amt)
			x.recv, _ = x.recv.Add(amt)
			x.fee, _ = x.fee.Add(fee)
		}
	}
	line(&d, detailEnd)
	line(&d, "#交易合计："+strconv.Itoa(payCount)+"笔，商家实收共"+payRecv.Decimal()+"元，商家优惠共0.00元")
	line(&d, "#退款合计："+strconv.Itoa(refundCount)+"笔，商家实收退款共"+refundRecv.Decimal()+"元，商家优惠退款共0.00元")
	line(&d, "#导出时间：["+cnTime(exported)+"]")

	var sm strings.Builder
	line(&sm, "#支付宝业务汇总查询")
	for _, h := range head {
		line(&sm, h)
	}
	line(&sm, summaryStart)
	line(&sm, summaryHeader)
	row := func(id, name string, x *storeSum) {
		net, _ := x.recv.Add(x.fee)
		line(&sm, strings.Join([]string{id, name, strconv.Itoa(x.pays), strconv.Itoa(x.refunds), x.amount.Decimal(),
			x.recv.Decimal(), "0.00", "0.00", "0.00", x.fee.Decimal(), "0.00", net.Decimal()}, ","))
	}
	for _, st := range stores {
		if st.id != "" {
			row(text(st.id), text(""), st)
		}
	}
	row("合计", "", &total)
	line(&sm, summaryEnd)
	line(&sm, "#导出时间：["+cnTime(exported)+"]")

	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	put := func(name, content string) {
		h := &zip.FileHeader{Name: gbk(name), Method: zip.Deflate, NonUTF8: true, Modified: exported.In(clock.Beijing())}
		w, err := zw.CreateHeader(h)
		if err == nil {
			_, _ = w.Write([]byte(gbk(content)))
		}
	}
	put(base+"_业务明细.csv", d.String())
	put(base+"_业务明细(汇总).csv", sm.String())
	_ = zw.Close()
	return renderedBill{zipName: base + ".csv.zip", zip: zb.Bytes()}
}

// gbk encodes s in GBK (§11); characters GBK lacks become its replacement byte.
func gbk(s string) string {
	out, err := encoding.ReplaceUnsupported(simplifiedchinese.GBK.NewEncoder()).String(s)
	if err != nil {
		return s
	}
	return out
}
