package unionpay

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/zlib"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

// DownloadStatement fetches the reconciliation file of clearing day req.Date (the 23:00
// to 23:00 day, Info().DayCutoff) by file transfer 76/01 and streams its ZM records
// (payments, captures, refunds, undos) and then its ZME records (RecordDispute). Amounts
// are the txnAmt; SettleAmount is settleAmt; Fee is the merchant fee (positive charged,
// negative returned; the file prints fen, so FeeUnits and FeeScale stay zero); CardMasked
// as the file prints it; SettlementDate the requested clearing day. Totals: the amounts and
// FeeAmount are the sums of the rows; Count, PaymentCount, RefundCount and StatedFeeAmount
// are what the RD summary report states, where it can be read (else the rows' counts).
// A file not generated yet (respCode 98), and any failed download, is KindUnavailable and
// retryable. req.Type filters payments or refunds.
func (c *Client) DownloadStatement(ctx context.Context, req *channel.StatementRequest) (channel.StatementReader, error) {
	const op = "statement"
	if req == nil || !req.Date.Valid() {
		return nil, invalid(op, "Date", "is not a valid date")
	}
	if err := c.before(ctx, op); err != nil {
		return nil, err
	}
	files, err := c.files(ctx, req.Date)
	if err != nil {
		ferr := c.fail(op, resendSafe, err)
		var e *channel.Error
		if errors.As(ferr, &e) && e.Kind != channel.KindInvalidRequest && e.Kind != channel.KindSignature {
			// A failed download changed nothing: retry later.
			e.Kind, e.Retryable = channel.KindUnavailable, true
		}
		return nil, ferr
	}
	return &statementReader{day: req.Date, typ: req.Type, zm: newZMReader(bytes.NewReader(files.zm)), zme: files.zme,
		rd:     parseRD(files.rd),
		totals: channel.StatementTotals{PaymentAmount: money.Fen(0), RefundAmount: money.Fen(0), FeeAmount: money.Fen(0)}}, nil
}

// reconFiles are the entries of one day's ZIP.
type reconFiles struct {
	name        string
	zm, zme, rd []byte
}

// files downloads the ZIP of day and returns its ZM, ZME and RD entries (unionpay.md §9).
func (c *Client) files(ctx context.Context, day clock.Date) (*reconFiles, error) {
	w := c.w
	v, err := w.call(ctx, "", "file", opSync, sign.Params{
		{Key: "txnType", Value: "76"}, {Key: "txnSubType", Value: "01"}, {Key: "bizType", Value: "000000"},
		{Key: "channelType", Value: "07"}, {Key: "txnTime", Value: timeTxn(w.cfg.clock.Now())},
		{Key: "fileType", Value: "00"}, {Key: "settleDate", Value: day.Compact()[4:]},
	})
	if err != nil {
		return nil, err
	}
	raw, err := base64.StdEncoding.DecodeString(v.get("fileContent"))
	if err != nil {
		return nil, fmt.Errorf("unionpay file: fileContent is not base64: %w", errFormat)
	}
	zr, err := zlib.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("unionpay file: fileContent is not zlib: %w", errFormat)
	}
	z, err := io.ReadAll(io.LimitReader(zr, maxFileAnswer))
	if err != nil {
		return nil, fmt.Errorf("unionpay file: inflating: %v: %w", err, errFormat)
	}
	ar, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		return nil, fmt.Errorf("unionpay file: not a ZIP: %w", errFormat)
	}
	out := &reconFiles{name: v.get("fileName")}
	found := false
	for _, f := range ar.File {
		var dst *[]byte
		switch {
		case strings.HasPrefix(f.Name, "INN") && len(f.Name) > 14 && f.Name[11:14] == "ZM_":
			dst, found = &out.zm, true
		case strings.HasPrefix(f.Name, "INN") && len(f.Name) > 15 && f.Name[11:15] == "ZME_":
			dst = &out.zme
		case strings.HasPrefix(f.Name, "RD"):
			dst = &out.rd
		default:
			continue
		}
		r, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("unionpay file: %s: %v: %w", f.Name, err, errFormat)
		}
		b, err := io.ReadAll(io.LimitReader(r, maxFileAnswer))
		r.Close()
		if err != nil {
			return nil, fmt.Errorf("unionpay file: %s: %v: %w", f.Name, err, errFormat)
		}
		*dst = b
	}
	if !found {
		return nil, fmt.Errorf("unionpay file: no ZM entry in %s: %w", out.name, errFormat)
	}
	return out, nil
}

// statementReader streams ZM records, then ZME records.
type statementReader struct {
	day     clock.Date
	typ     channel.StatementType
	zm      *zmReader
	zme     []byte
	zmeSc   *bufio.Scanner
	zmeLine int
	done    bool
	failed  error
	totals  channel.StatementTotals
	rd      *rdSummary // the RD report's figures; nil when absent or unreadable
}

func (s *statementReader) Close() error { s.done = true; return nil }

func (s *statementReader) Totals() *channel.StatementTotals {
	if !s.done || s.failed != nil {
		return nil
	}
	t := s.totals
	if s.rd != nil && (s.typ == "" || s.typ == channel.StatementAll) {
		// What the file claims, for cross-checking: the counts of the summary report and its
		// fee total, exact. FeeAmount stays the sum of the rows.
		t.Count, t.PaymentCount, t.RefundCount, t.StatedFeeAmount = s.rd.count, s.rd.payments, s.rd.refunds, s.rd.fee
	}
	return &t
}

// rdSummary is what the RD report (中国银联全渠道商户交易汇总表, GBK text) states.
type rdSummary struct {
	count, payments, refunds int64
	fee                      decimal.Decimal
}

// rdKinds are the transaction-type rows of the RD report.
var rdKinds = map[string]bool{"消费": true, "退货": true, "撤销": true, "差错": true}

// parseRD reads the rows "type count amount fee" of the RD report. The layout is meant
// for people (unionpay.md §9), so anything unexpected makes it nil: totals then come
// from the rows alone.
func parseRD(b []byte) *rdSummary {
	if len(b) == 0 {
		return nil
	}
	text, err := simplifiedchinese.GBK.NewDecoder().Bytes(b)
	if err != nil {
		return nil
	}
	r := &rdSummary{}
	rows := 0
	for _, line := range strings.Split(string(text), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || !rdKinds[f[0]] {
			continue
		}
		n, err1 := strconv.ParseInt(f[1], 10, 64)
		fee, err2 := decimal.NewFromString(f[3])
		if err1 != nil || err2 != nil || n < 0 {
			return nil
		}
		rows++
		r.count += n
		r.fee = r.fee.Add(fee)
		switch f[0] {
		case "消费":
			r.payments = n
		case "退货":
			r.refunds = n
		}
	}
	if rows == 0 {
		return nil
	}
	return r
}

func (s *statementReader) bad(line int, err error) error {
	s.failed = err
	return &channel.Error{Channel: Name, Op: "statement", Kind: channel.KindInvalidRequest,
		Message: fmt.Sprintf("line %d: %v", line, err), Err: err}
}

func (s *statementReader) Next(rec *channel.StatementRecord) error {
	if s.failed != nil {
		return s.failed
	}
	if s.done {
		return io.EOF
	}
	for s.zm != nil {
		r, err := s.zm.next()
		if errors.Is(err, io.EOF) {
			s.zm = nil
			break
		}
		if err != nil {
			return s.bad(s.zm.line, err)
		}
		if err := s.fromZM(r, s.zm.line, rec); err != nil {
			return s.bad(s.zm.line, err)
		}
		if !s.wanted(rec.Type) {
			continue
		}
		s.count(rec)
		return nil
	}
	if s.zmeSc == nil {
		s.zmeSc = bufio.NewScanner(bytes.NewReader(s.zme))
	}
	for s.zmeSc.Scan() {
		s.zmeLine++
		line := strings.TrimRight(s.zmeSc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		if s.typ != "" && s.typ != channel.StatementAll {
			continue
		}
		if err := s.fromZME(line, s.zmeLine, rec); err != nil {
			return s.bad(s.zmeLine, err)
		}
		s.count(rec)
		return nil
	}
	s.done = true
	return io.EOF
}

func (s *statementReader) wanted(t channel.RecordType) bool {
	switch s.typ {
	case channel.StatementPayments:
		return t == channel.RecordPayment || t == channel.RecordCapture
	case channel.StatementRefunds:
		return t == channel.RecordRefund
	}
	return true
}

func (s *statementReader) count(rec *channel.StatementRecord) {
	t := &s.totals
	t.Count++
	switch rec.Type {
	case channel.RecordPayment, channel.RecordCapture:
		t.PaymentCount++
		t.PaymentAmount, _ = t.PaymentAmount.Add(rec.Amount)
	case channel.RecordRefund:
		t.RefundCount++
		t.RefundAmount, _ = t.RefundAmount.Add(rec.Amount)
	}
	if !rec.Fee.IsZero() {
		t.FeeAmount, _ = t.FeeAmount.Add(rec.Fee)
	}
}

// zmTypes classifies ZM records by txnType (field 20), never by the trade code.
var zmTypes = map[string]channel.RecordType{
	"01": channel.RecordPayment, "03": channel.RecordCapture, "02": channel.RecordPreAuth,
	"04": channel.RecordRefund, "31": channel.RecordReversal, "33": channel.RecordReversal,
}

func (s *statementReader) fromZM(r zmRecord, line int, rec *channel.StatementRecord) error {
	typ, ok := zmTypes[r.TxnType]
	if !ok {
		typ = channel.RecordOther
	}
	at, err := zmTime(r.TraceTime, s.day)
	if err != nil {
		return err
	}
	card := r.Card
	if !containsStar(card) {
		card = channel.MaskPAN(card)
	}
	*rec = channel.StatementRecord{
		Channel: Name, Type: typ, ChannelType: r.TxnType, ChannelTxnID: r.QueryID, OrderNo: r.OrderID,
		Amount: money.Fen(r.Amount), SettleAmount: money.Fen(abs64(r.Settle)), Fee: money.Fen(-r.Fee),
		CardMasked: card, Status: channel.StatusSucceeded, ChannelStatus: "00", ChannelTime: at,
		SettlementDate: s.day, Line: line,
	}
	switch typ {
	case channel.RecordRefund:
		rec.ChannelTxnID, rec.ChannelRefundID, rec.OrderNo, rec.RefundNo = r.OrigQryID, r.QueryID, r.OrigOrderID, r.OrderID
	case channel.RecordReversal:
		rec.ChannelTxnID, rec.OrderNo, rec.CancelNo = r.OrigQryID, r.OrigOrderID, r.OrderID
	}
	return nil
}

// zmeWidths are the ZME field widths (unionpay.md §9.1), fields separated by one space.
var zmeWidths = []int{3, 11, 11, 6, 10, 19, 12, 4, 2, 2, 6, 10, 4, 12, 13, 13, 15, 15, 1, 12, 2, 135}

// fromZME reads an error/dispute record: trace time, card and amount are the ZM fields;
// the meaning of the rest is unknown, so the reserved field's tokens are read as queryId
// and orderId where they look like them.
func (s *statementReader) fromZME(line string, n int, rec *channel.StatementRecord) error {
	fields := make([]string, 0, len(zmeWidths))
	off := 0
	for i, w := range zmeWidths {
		if off >= len(line) {
			break
		}
		end := min(off+w, len(line))
		if i == len(zmeWidths)-1 {
			end = len(line)
		}
		fields = append(fields, strings.TrimSpace(line[off:end]))
		off += w + 1
	}
	if len(fields) < 7 {
		return &zmError{n, "length", fmt.Sprintf("%d characters: too short for a ZME record", len(line))}
	}
	amt, err := zmNumber(fields[6], n, "txnAmt")
	if err != nil {
		return err
	}
	at, err := zmTime(fields[4], s.day)
	if err != nil {
		return err
	}
	card := fields[5]
	if !containsStar(card) {
		card = channel.MaskPAN(card)
	}
	*rec = channel.StatementRecord{Channel: Name, Type: channel.RecordDispute, ChannelType: "ZME", Amount: money.Fen(amt), Fee: money.Fen(0),
		CardMasked: card, Status: channel.StatusUnknown, ChannelStatus: fields[0], ChannelTime: at, SettlementDate: s.day, Line: n}
	if len(fields) == len(zmeWidths) {
		if parts := strings.Fields(fields[len(fields)-1]); len(parts) == 2 && len(parts[0]) == 21 && allDigits(parts[0]) {
			rec.ChannelTxnID, rec.OrderNo = parts[0], parts[1]
		}
	}
	return nil
}

func abs64(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}
