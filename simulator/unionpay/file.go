package unionpay

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/simulator"
)

// ZMRecordLen is the length of a ZM record without CRLF (unionpay.md §9.1, 2015 layout).
const ZMRecordLen = 607

// zmeWidths are the ZME field widths (unionpay.md §9.1); fields are separated by one
// space, 339 characters in all.
var zmeWidths = []int{3, 11, 11, 6, 10, 19, 12, 4, 2, 2, 6, 10, 4, 12, 13, 13, 15, 15, 1, 12, 2, 135}

// line is a fixed-width record being written.
type line []byte

func newLine(n int) line { return line(bytes.Repeat([]byte{' '}, n)) }

// put writes s left-aligned at off, cut to width (ASCII only: anything else becomes '?',
// so the record keeps its width whatever the merchant sent).
func (l line) put(off, width int, s string) {
	for i := 0; i < width && i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e {
			c = '?'
		}
		l[off+i] = c
	}
}

// num writes n zero-padded to width.
func (l line) num(off, width int, n int64) {
	s := strconv.FormatInt(n, 10)
	if len(s) < width {
		s = strings.Repeat("0", width-len(s)) + s
	}
	l.put(off, width, s)
}

// signed writes the X+n12 form: 'D' debit to the merchant, 'C' credit, ' ' for zero.
func (l line) signed(off int, n int64, credit bool) {
	switch {
	case n == 0:
		l[off] = ' '
	case credit:
		l[off] = 'C'
	default:
		l[off] = 'D'
	}
	if n < 0 {
		n = -n
	}
	l.num(off+1, 12, n)
}

// tradeCode is field 1 [conflict, unionpay.md §9.1]: S22 consume and S30 refund as one
// client maps them; S31 for undos is the simulator's own choice. Parsers classify by
// txnType, not by this.
func tradeCode(kind string) string {
	switch kind {
	case recRefund:
		return "S30"
	case recReversal:
		return "S31"
	}
	return "S22"
}

// zmLine renders one record in the 2015 ZM layout (unionpay.md §9.1, 0-based offsets).
func zmLine(r simulator.StatementRecord) []byte {
	f := r.Fields
	l := newLine(ZMRecordLen)
	l.put(0, 3, tradeCode(r.Kind))
	l.put(4, 11, "48020000")
	l.put(16, 11, "00010000")
	l.put(28, 6, f[fTraceNo])
	l.put(35, 10, f[fTraceTime])
	l.put(46, 19, f[fCard])
	amt := r.Amount.Minor()
	l.num(66, 12, abs(amt))
	l.put(79, 4, "5999")
	l.put(84, 2, f[fChannelType])
	queryID, orderID := f[fQueryID], f[fOrderID]
	if f[fOrigOrder] == "" && r.OutTradeNo != "" {
		// A record without an original is named by the record itself (a statement fault's
		// extra record copies another record's fields under its own number).
		queryID, orderID = r.ChannelTxnID, r.OutTradeNo
	}
	l.put(87, 21, queryID)
	l.put(109, 2, "00")
	l.put(112, 32, orderID)
	l.put(145, 2, f[fPayCardType])
	l.put(148, 6, f[fOrigTrace])
	l.put(155, 10, f[fOrigTime])
	fee := r.Fee.Minor()
	payment := r.Kind == recPayment
	// Fee: charged (D) on payments, returned (C) on refunds and reversals.
	l.signed(166, fee, fee < 0)
	net := abs(amt) - fee
	if !payment {
		net = abs(amt) + fee // fee is negative: the merchant gives back the amount less the returned fee
	}
	l.signed(180, net, payment)
	l.put(194, 4, "0002")
	l.put(215, 2, f[fTxnType])
	l.put(218, 2, f[fTxnSubType])
	l.put(221, 6, f[fBizType])
	l.put(228, 2, "01")
	l.put(271, 21, f[fOrigQryID])
	l.put(293, 15, r.Merchant)
	l.signed(360, 0, false)
	l.signed(374, net, payment)
	l.put(397, 32, f[fReqReserved])
	l.signed(430, 0, false)
	l.signed(444, 0, false)
	l[458] = ' '
	l.num(459, 11, 0)
	l.put(476, 32, f[fOrigOrder])
	return append(l, '\r', '\n')
}

// zmeLine renders an exception record: the first nine fields as in ZM; the simulator puts
// queryId and orderId into the last (reserved) field, since the meaning of the others
// was not found (unionpay.md §9.1).
func zmeLine(r simulator.StatementRecord) []byte {
	f := r.Fields
	vals := []string{tradeCode(r.Kind), "48020000", "00010000", f[fTraceNo], f[fTraceTime], f[fCard],
		fmt.Sprintf("%012d", abs(r.Amount.Minor())), "5999", f[fChannelType]}
	total := len(zmeWidths) - 1
	for _, w := range zmeWidths {
		total += w
	}
	l := newLine(total)
	off := 0
	for i, w := range zmeWidths {
		switch {
		case i < len(vals):
			l.put(off, w, vals[i])
		case i == len(zmeWidths)-1:
			l.put(off, w, f[fQueryID]+" "+f[fOrderID])
		}
		off += w + 1
	}
	return append(l, '\r', '\n')
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// fileNames returns the names inside the ZIP for merchant and clearing day d (§9): the
// "88" infix is copied from the sample file (its meaning is unconfirmed).
func fileNames(mer string, d clock.Date) (zipName, zm, zme, rd string) {
	yymmdd := d.Compact()[2:]
	return mer + "_" + d.Compact() + ".zip", "INN" + yymmdd + "88ZM_" + mer, "INN" + yymmdd + "88ZME_" + mer, "RD2010" + yymmdd + "01_" + mer
}

// RenderStatement writes the ZIP of the reconciliation file (ZM, ZME when there are
// exceptions, RD) for q.Merchant and q.Day.
func (s *Server) RenderStatement(ctx context.Context, q simulator.StatementQuery, recs []simulator.StatementRecord, w io.Writer) (string, error) {
	b, err := buildZip(q.Merchant, q.Day, recs)
	if err != nil {
		return "", err
	}
	_, err = w.Write(b)
	return "application/zip", err
}

func buildZip(mer string, d clock.Date, recs []simulator.StatementRecord) ([]byte, error) {
	_, zmName, zmeName, rdName := fileNames(mer, d)
	var zm, zme bytes.Buffer
	for _, r := range recs {
		if r.Kind == recException {
			zme.Write(zmeLine(r))
		} else {
			zm.Write(zmLine(r))
		}
	}
	rd, err := rdReport(mer, d, recs)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	files := []struct {
		name string
		data []byte
	}{{zmName, zm.Bytes()}, {rdName, rd}}
	if zme.Len() > 0 {
		files = append(files, struct {
			name string
			data []byte
		}{zmeName, zme.Bytes()})
	}
	for _, f := range files {
		// A fixed modification time keeps the bytes of a day's file the same run to run.
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: d.Start(clock.Beijing())})
		if err != nil {
			return nil, err
		}
		if _, err := fw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// rdReport is the GBK summary 中国银联全渠道商户交易汇总表: counts and amounts per kind,
// fees and the net settlement (a human-readable cross-check, unionpay.md §9).
func rdReport(mer string, d clock.Date, recs []simulator.StatementRecord) ([]byte, error) {
	type tot struct {
		n        int
		amt, fee money.Amount
	}
	kinds := []string{recPayment, recRefund, recReversal, recException}
	names := map[string]string{recPayment: "消费", recRefund: "退货", recReversal: "撤销", recException: "差错"}
	sums := map[string]*tot{}
	for _, k := range kinds {
		sums[k] = &tot{amt: money.Fen(0), fee: money.Fen(0)}
	}
	net := money.Fen(0)
	for _, r := range recs {
		t := sums[r.Kind]
		if t == nil {
			continue
		}
		t.n++
		var err error
		if t.amt, err = t.amt.Add(r.Amount); err != nil {
			return nil, err
		}
		if t.fee, err = t.fee.Add(r.Fee); err != nil {
			return nil, err
		}
		var delta money.Amount
		switch r.Kind {
		case recPayment:
			delta, err = r.Amount.Sub(r.Fee)
		case recRefund, recReversal:
			delta, err = r.Fee.Sub(r.Amount) // fee negative: -(amount - returned fee)
		default:
			continue
		}
		if err == nil {
			net, err = net.Add(delta)
		}
		if err != nil {
			return nil, err
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "中国银联全渠道商户交易汇总表\r\n商户代码: %s    清算日期: %s\r\n\r\n", mer, d.Compact())
	fmt.Fprintf(&b, "%-8s%10s%20s%16s\r\n", "交易类型", "笔数", "交易金额", "手续费")
	for _, k := range kinds {
		t := sums[k]
		fmt.Fprintf(&b, "%-8s%10d%20s%16s\r\n", names[k], t.n, t.amt.Decimal(), t.fee.Decimal())
	}
	fmt.Fprintf(&b, "\r\n清算净额: %s\r\n", net.Decimal())
	return simplifiedchinese.GBK.NewEncoder().Bytes([]byte(b.String()))
}

// fileTransfer serves txnType 76 (unionpay.md §9): the ZIP of settleDate, zlib-wrapped
// and base64 in fileContent; 98 before the file is available.
func (s *Server) fileTransfer(x *exchange) *simulator.Reply {
	if ft := x.r.str("fileType"); ft != "00" {
		return s.answer(x, "10", "报文格式错误: fileType "+ft+" (want 00)", nil)
	}
	day, err := fileDay(x.r.str("settleDate"), x.now)
	if err != nil {
		return s.answer(x, "10", "报文格式错误: "+err.Error(), nil)
	}
	q := simulator.StatementQuery{Merchant: x.m.MerID, Day: day}
	recs, err := s.eng.Statement(x.c.Context(), q)
	var nr *simulator.NotReadyError
	if errors.As(err, &nr) {
		return s.answer(x, "98", msgOf("98"), sign.Params{{Key: "fileType", Value: "00"}, {Key: "settleDate", Value: x.r.str("settleDate")}})
	}
	if err != nil {
		return s.answer(x, "99", msgOf("99"), nil)
	}
	z, err := buildZip(x.m.MerID, day, recs)
	if err != nil {
		return s.answer(x, "99", msgOf("99"), nil)
	}
	var zb bytes.Buffer
	zw := zlib.NewWriter(&zb)
	_, _ = zw.Write(z)
	_ = zw.Close()
	name, _, _, _ := fileNames(x.m.MerID, day)
	return s.answer(x, "00", msgOf("00"), sign.Params{
		{Key: "fileType", Value: "00"}, {Key: "settleDate", Value: x.r.str("settleDate")},
		{Key: "fileName", Value: name}, {Key: "fileContent", Value: base64.StdEncoding.EncodeToString(zb.Bytes())},
	})
}
