package alipay

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// Column names of the trade bill's detail file (alipay.md §11). Header cells are
// matched by name after trimming, with ASCII parentheses normalised to full-width, so
// a reordered or extended header still parses.
const (
	colTradeNo    = "支付宝交易号"
	colOutTradeNo = "商户订单号"
	colBizType    = "业务类型"
	colCreated    = "创建时间"
	colFinished   = "完成时间"
	colAmount     = "订单金额（元）"
	colFee        = "服务费（元）"
	colRefundNo   = "退款批次号/请求号"

	bizPayment = "交易"
	bizRefund  = "退款"

	totalsPayments = "#交易合计"
	totalsRefunds  = "#退款合计"
)

// maxBillLine bounds one line of the detail file; real lines are a few hundred bytes.
const maxBillLine = 64 << 10

// billReader streams the records of a UTF-8 detail file. It holds one line at a time:
// memory does not grow with the number of rows.
type billReader struct {
	r      *bufio.Reader
	date   clock.Date
	filter channel.StatementType
	closer func() error

	line   int
	header bool
	cols   [8]int // indexes of the columns above, -1 when absent
	fields [][]byte
	long   []byte // accumulates a line longer than the bufio buffer
	totals channel.StatementTotals
	feeSum money.Amount // Σ rec.Fee over the records returned
	sawTot bool
	done   bool
	err    error
	closed bool
}

// newBillReader reads GBK text from r (alipay.md §11: the files are GBK).
func newBillReader(r io.Reader, date clock.Date, filter channel.StatementType, closer func() error) *billReader {
	dec := transform.NewReader(r, simplifiedchinese.GBK.NewDecoder())
	return newUTF8BillReader(dec, date, filter, closer)
}

func newUTF8BillReader(r io.Reader, date clock.Date, filter channel.StatementType, closer func() error) *billReader {
	b := &billReader{r: bufio.NewReaderSize(r, 64<<10), date: date, filter: filter, closer: closer, fields: make([][]byte, 0, 32),
		totals: channel.StatementTotals{PaymentAmount: money.Fen(0), RefundAmount: money.Fen(0), FeeAmount: money.Fen(0)}, feeSum: money.Fen(0)}
	for i := range b.cols {
		b.cols[i] = -1
	}
	return b
}

const (
	ciTradeNo = iota
	ciOutTradeNo
	ciBizType
	ciCreated
	ciFinished
	ciAmount
	ciFee
	ciRefundNo
)

var colNames = [8]string{colTradeNo, colOutTradeNo, colBizType, colCreated, colFinished, colAmount, colFee, colRefundNo}

// Next implements channel.StatementReader.
func (b *billReader) Next(rec *channel.StatementRecord) error {
	if b.err != nil {
		return b.err
	}
	for {
		line, err := b.readLine()
		if err == io.EOF {
			b.done = true
			if !b.header && b.line > 0 && !b.sawTot {
				b.err = b.fail("file ends before the header row")
				return b.err
			}
			b.err = io.EOF
			return io.EOF
		}
		if err != nil {
			b.err = &channel.Error{Channel: Name, Op: "statement", Kind: channel.KindUnavailable, Code: "BILL_READ", Message: "reading the bill failed; download it again", Retryable: true, Err: err}
			return b.err
		}
		if b.line == 1 {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf")) // BOM (alipay.md §13: not confirmed either way)
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if line[0] == '#' {
			if err := b.totalsLine(line); err != nil {
				b.err = err
				return err
			}
			continue
		}
		if err := b.split(line); err != nil {
			b.err = err
			return err
		}
		if !b.header {
			if err := b.readHeader(); err != nil {
				b.err = err
				return err
			}
			continue
		}
		ok, err := b.record(rec)
		if err != nil {
			b.err = err
			return err
		}
		if ok {
			return nil
		}
	}
}

// readLine returns the next line without its terminator. The slice is valid until the
// next call.
func (b *billReader) readLine() ([]byte, error) {
	line, err := b.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		b.long = append(b.long[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = b.r.ReadSlice('\n')
			b.long = append(b.long, line...)
			if len(b.long) > maxBillLine {
				return nil, fmt.Errorf("line %d longer than %d bytes", b.line+1, maxBillLine)
			}
		}
		line = b.long
	}
	if err == io.EOF && len(line) > 0 {
		err = nil
	}
	if err != nil {
		return nil, err
	}
	b.line++
	return line, nil
}

func (b *billReader) fail(format string, args ...any) error {
	return &channel.Error{Channel: Name, Op: "statement", Kind: channel.KindInvalidRequest, Code: "BAD_BILL",
		Message: fmt.Sprintf("bill line %d: %s", b.line, fmt.Sprintf(format, args...))}
}

// split cuts a line at commas into trimmed cells (text cells carry a trailing TAB,
// alipay.md §11). A cell starting with '"' runs to its closing quote, with "" as an
// escaped quote, so a subject containing a comma survives. In GBK and UTF-8 alike the
// ASCII delimiters never occur inside a multi-byte character.
func (b *billReader) split(line []byte) error {
	b.fields = b.fields[:0]
	for {
		var cell []byte
		rest := bytes.TrimLeft(line, " \t")
		if len(rest) > 0 && rest[0] == '"' {
			end := 1
			quoted := false
			for {
				i := bytes.IndexByte(rest[end:], '"')
				if i < 0 {
					return b.fail("unterminated quoted cell")
				}
				end += i + 1
				if end < len(rest) && rest[end] == '"' {
					end++
					quoted = true
					continue
				}
				break
			}
			cell = rest[1 : end-1]
			if quoted {
				cell = bytes.ReplaceAll(cell, []byte(`""`), []byte(`"`))
			}
			line = rest[end:]
			i := bytes.IndexByte(line, ',')
			if i < 0 {
				b.fields = append(b.fields, bytes.TrimSpace(cell))
				return nil
			}
			line = line[i+1:]
			b.fields = append(b.fields, bytes.TrimSpace(cell))
			continue
		}
		i := bytes.IndexByte(line, ',')
		if i < 0 {
			b.fields = append(b.fields, bytes.TrimSpace(line))
			return nil
		}
		b.fields = append(b.fields, bytes.TrimSpace(line[:i]))
		line = line[i+1:]
	}
}

func (b *billReader) readHeader() error {
	for i, f := range b.fields {
		name := string(bytes.ReplaceAll(bytes.ReplaceAll(f, []byte("("), []byte("（")), []byte(")"), []byte("）")))
		for ci, want := range colNames {
			if name == want && b.cols[ci] < 0 {
				b.cols[ci] = i
			}
		}
	}
	for _, ci := range []int{ciTradeNo, ciOutTradeNo, ciBizType, ciAmount} {
		if b.cols[ci] < 0 {
			return b.fail("header has no column %q", colNames[ci])
		}
	}
	if b.cols[ciFinished] < 0 && b.cols[ciCreated] < 0 {
		return b.fail("header has neither %q nor %q", colFinished, colCreated)
	}
	b.header = true
	return nil
}

func (b *billReader) cell(ci int) []byte {
	i := b.cols[ci]
	if i < 0 || i >= len(b.fields) {
		return nil
	}
	return b.fields[i]
}

// record converts the current row; ok is false when the row is filtered out.
func (b *billReader) record(rec *channel.StatementRecord) (bool, error) {
	if len(b.fields) <= b.cols[ciAmount] || len(b.fields) <= b.cols[ciBizType] {
		return false, b.fail("row has %d cells, the header more", len(b.fields))
	}
	biz := b.cell(ciBizType)
	var typ channel.RecordType
	var typeName string
	switch {
	case string(biz) == bizPayment:
		typ, typeName = channel.RecordPayment, bizPayment
	case string(biz) == bizRefund:
		typ, typeName = channel.RecordRefund, bizRefund
	default:
		typ, typeName = channel.RecordOther, string(biz)
	}
	switch b.filter {
	case channel.StatementPayments:
		if typ != channel.RecordPayment {
			return false, nil
		}
	case channel.StatementRefunds:
		if typ != channel.RecordRefund {
			return false, nil
		}
	}
	amt, err := parseBillAmount(b.cell(ciAmount))
	if err != nil {
		return false, b.fail("%s: %v", colAmount, err)
	}
	if amt.IsNegative() {
		if amt, err = amt.Neg(); err != nil {
			return false, b.fail("%s: %v", colAmount, err)
		}
	}
	var fee money.Amount
	if f := b.cell(ciFee); len(f) > 0 {
		raw, err := parseBillAmount(f)
		if err != nil {
			return false, b.fail("%s: %v", colFee, err)
		}
		// The bill prints the fee as the merchant's cash flow (negative = charged);
		// StatementRecord.Fee is positive when charged.
		if fee, err = raw.Neg(); err != nil {
			return false, b.fail("%s: %v", colFee, err)
		}
	} else {
		fee = money.Fen(0)
	}
	ts := b.cell(ciFinished)
	if len(ts) == 0 {
		ts = b.cell(ciCreated)
	}
	var at time.Time
	if len(ts) > 0 {
		if at, err = parseBillTime(ts); err != nil {
			return false, b.fail("%s: %v", colFinished, err)
		}
	}
	*rec = channel.StatementRecord{
		Channel:        Name,
		Type:           typ,
		ChannelType:    typeName,
		ChannelTxnID:   string(b.cell(ciTradeNo)),
		OrderNo:        string(b.cell(ciOutTradeNo)),
		Amount:         amt,
		Fee:            fee,
		Status:         channel.StatusSucceeded,
		ChannelStatus:  typeName,
		ChannelTime:    at,
		SettlementDate: b.date,
		Line:           b.line,
	}
	if typ == channel.RecordRefund {
		rec.RefundNo = string(b.cell(ciRefundNo))
	}
	if b.feeSum, err = b.feeSum.Add(fee); err != nil {
		return false, b.fail("%s: the fee total: %v", colFee, err)
	}
	return true, nil
}

func parseBillAmount(s []byte) (money.Amount, error) {
	if len(s) == 0 {
		return money.Fen(0), nil
	}
	return money.Parse(string(s), money.CNY)
}

// parseBillTime parses "yyyy-MM-dd HH:mm:ss" in Beijing time.
func parseBillTime(s []byte) (time.Time, error) {
	if len(s) != 19 {
		return time.Time{}, errors.New("time is not yyyy-MM-dd HH:mm:ss")
	}
	var buf [19]byte
	copy(buf[:], s)
	t, ok := parseClock(string(buf[:]))
	if !ok {
		return time.Time{}, errors.New("time is not yyyy-MM-dd HH:mm:ss")
	}
	return t, nil
}

// totalsLine reads "#交易合计：6笔，商家实收共0.06元，…" and "#退款合计：4笔，商家实收退款共-0.04元，…"
// (alipay.md §11); other comment lines are skipped.
func (b *billReader) totalsLine(line []byte) error {
	var refunds bool
	switch {
	case bytes.HasPrefix(line, []byte(totalsPayments)):
	case bytes.HasPrefix(line, []byte(totalsRefunds)):
		refunds = true
	default:
		return nil
	}
	count, amt, err := parseTotals(line)
	if err != nil {
		return b.fail("totals: %v", err)
	}
	if amt.IsNegative() {
		if amt, err = amt.Neg(); err != nil {
			return b.fail("totals: %v", err)
		}
	}
	b.sawTot = true
	if refunds {
		b.totals.RefundCount, b.totals.RefundAmount = count, amt
	} else {
		b.totals.PaymentCount, b.totals.PaymentAmount = count, amt
	}
	b.totals.Count = b.totals.PaymentCount + b.totals.RefundCount
	return nil
}

// parseTotals takes the number before the first "笔" and the amount between the first
// "共" and the "元" after it.
func parseTotals(line []byte) (int64, money.Amount, error) {
	i := bytes.Index(line, []byte("笔"))
	if i < 0 {
		return 0, money.Amount{}, errors.New("no count (笔)")
	}
	j := i
	for j > 0 && line[j-1] >= '0' && line[j-1] <= '9' {
		j--
	}
	count, err := strconv.ParseInt(string(line[j:i]), 10, 64)
	if err != nil {
		return 0, money.Amount{}, fmt.Errorf("count: %w", err)
	}
	rest := line[i:]
	k := bytes.Index(rest, []byte("共"))
	if k < 0 {
		return count, money.Fen(0), nil
	}
	rest = rest[k+len("共"):]
	e := bytes.Index(rest, []byte("元"))
	if e < 0 {
		return 0, money.Amount{}, errors.New("amount without 元")
	}
	amt, err := money.Parse(string(bytes.TrimSpace(rest[:e])), money.CNY)
	if err != nil {
		return 0, money.Amount{}, fmt.Errorf("amount: %w", err)
	}
	return count, amt, nil
}

// Totals implements channel.StatementReader: the file's own totals once Next returned
// io.EOF; nil before, or when the file had no totals lines. PaymentAmount and
// RefundAmount are the "商家实收" (merchant received) sums the file states. The file
// states no fee total, so FeeAmount is the sum of the Fee of every record Next returned
// (after the StatementType filter), the same rule as the WeChat reader: the records
// always add up to it.
func (b *billReader) Totals() *channel.StatementTotals {
	if !b.done || !b.sawTot {
		return nil
	}
	t := b.totals
	t.FeeAmount = b.feeSum
	return &t
}

// Close implements channel.StatementReader; safe to call more than once.
func (b *billReader) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	if b.err == nil {
		b.err = errors.New("alipay: statement reader closed")
	}
	if b.closer != nil {
		return b.closer()
	}
	return nil
}

// emptyStatement is the reader for a day without a bill (no transactions).
type emptyStatement struct{}

func (emptyStatement) Next(*channel.StatementRecord) error { return io.EOF }
func (emptyStatement) Totals() *channel.StatementTotals {
	return &channel.StatementTotals{PaymentAmount: money.Fen(0), RefundAmount: money.Fen(0), FeeAmount: money.Fen(0)}
}
func (emptyStatement) Close() error { return nil }
