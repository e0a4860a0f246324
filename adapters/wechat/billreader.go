package wechat

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

// billColumns holds the index of each column the reader uses (-1 = absent), found by
// header name, never by position (wechat-v2.md §9.4).
type billColumns struct {
	time, txn, order, state, currency, orderAmt, fee         int
	refundID, refundNo, refundAmt, refundStatus, refundApply int
}

// firstCol returns the index of the first of names present in the header.
func firstCol(idx map[string]int, names ...string) int {
	for _, n := range names {
		if i, ok := idx[n]; ok {
			return i
		}
	}
	return -1
}

// BillReader streams a WeChat v2 trade bill (§9.4) as channel.StatementRecords. It reads
// one line at a time (bufio.Scanner with a line limit), so memory stays flat whatever the
// number of rows. It accepts the 27-column and the legacy 24-column formats, ALL, SUCCESS
// and REFUND bills, LF or CRLF, a leading BOM, and backtick-prefixed values.
//
// Rows: 交易状态 SUCCESS → RecordPayment (Amount = 订单金额, legacy 总金额), REFUND →
// RecordRefund (Amount = 申请退款金额, legacy 退款金额; Status from 退款状态 by
// RefundStatus, Processing when empty; ChannelTime = 退款申请时间 when the bill has it),
// REVOKED → RecordReversal; other states → RecordOther. Status is Succeeded for
// payments and reversals. Fee is 手续费 rounded half away from zero to fen; FeeUnits and
// FeeScale keep the exact 5-decimal fee when that rounding lost digits. ChannelTime is
// Beijing time; SettlementDate is the bill's date. The totals rows fill Totals, except
// FeeAmount (see Totals).
type BillReader struct {
	sc      *bufio.Scanner
	date    clock.Date
	line    int
	cols    billColumns
	ncols   int
	started bool
	totals  *channel.StatementTotals
	feeSum  int64 // Σ rec.Fee.Minor() over the rows returned
	fields  [][]byte
	err     error
	closers []io.Closer
}

// NewBillReader returns a reader of the bill text in r (plain text; decompress first)
// for the bill of date. maxLine bounds one line in bytes (0 = DefaultMaxBillLineBytes).
func NewBillReader(r io.Reader, date clock.Date, maxLine int) *BillReader {
	if maxLine <= 0 {
		maxLine = DefaultMaxBillLineBytes
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, min(64<<10, maxLine)), maxLine)
	return &BillReader{sc: sc, date: date, fields: make([][]byte, 0, 32)}
}

// Totals returns the bill's totals row once Next has returned io.EOF (nil before, or when
// the bill has none). Count, PaymentAmount and RefundAmount are the row as printed.
// FeeAmount is not: WeChat prints 手续费总金额 with 5 decimals as the total of the exact
// row fees, and rounding that total differs from the sum of the rounded row fees (three
// rows of 0.00600 are 0.01 each, 0.03 together, but the printed 0.01800 rounds to 0.02).
// Recon posts the rows' Fee, so FeeAmount is the sum of the Fee of every record Next
// returned, and the records always add up to it. The printed figure, exact, is
// StatedFeeAmount.
func (b *BillReader) Totals() *channel.StatementTotals {
	if b.err != io.EOF {
		return nil
	}
	return b.totals
}

// Close closes the underlying stream; it is safe to call more than once.
func (b *BillReader) Close() error {
	var errs []error
	for _, c := range b.closers {
		errs = append(errs, c.Close())
	}
	b.closers = nil
	if b.err == nil {
		b.err = errors.New("wechat: bill reader closed")
	}
	return errors.Join(errs...)
}

// scan returns the next non-empty line without its CR and BOM.
func (b *BillReader) scan() ([]byte, bool) {
	for b.sc.Scan() {
		b.line++
		l := b.sc.Bytes()
		if b.line == 1 {
			l = bytes.TrimPrefix(l, []byte("\uFEFF"))
		}
		l = bytes.TrimRight(l, "\r")
		if len(bytes.TrimSpace(l)) != 0 {
			return l, true
		}
	}
	return nil, false
}

// Next fills rec with the next detail row; io.EOF after the last one.
func (b *BillReader) Next(rec *channel.StatementRecord) error {
	if b.err != nil {
		return b.err
	}
	b.err = b.next(rec)
	if b.err == nil {
		return nil
	}
	return b.err
}

func (b *BillReader) next(rec *channel.StatementRecord) error {
	if !b.started {
		l, ok := b.scan()
		if !ok {
			return b.endOfInput()
		}
		if err := b.readHeader(l); err != nil {
			return err
		}
		b.started = true
	}
	l, ok := b.scan()
	if !ok {
		return b.endOfInput()
	}
	if l[0] == '`' {
		return b.readRow(l, rec)
	}
	// Totals header, then the totals row, then nothing (§9.4).
	names := splitPlain(l)
	idx := make(map[string]int, len(names))
	for i, n := range names {
		idx[string(bytes.TrimSpace(n))] = i
	}
	count := firstCol(idx, "总交易单数")
	if count < 0 {
		return billLineError(b.line, "neither a detail row (starting with `) nor the totals header")
	}
	vals, ok := b.scan()
	if !ok {
		return billLineError(b.line, "totals header without a totals row")
	}
	tv := splitTicked(vals, nil)
	t, err := parseTotals(idx, tv)
	if err != nil {
		return billLineError(b.line, "totals: %v", err)
	}
	t.FeeAmount = money.Fen(b.feeSum)
	if extra, ok := b.scan(); ok {
		return billLineError(b.line, "unexpected line after the totals: %.40q", extra)
	}
	b.totals = t
	return b.endOfInput()
}

// endOfInput distinguishes a clean end from a read error or an over-long line.
func (b *BillReader) endOfInput() error {
	switch err := b.sc.Err(); {
	case err == nil:
		return io.EOF
	case errors.Is(err, bufio.ErrTooLong):
		return billLineError(b.line+1, "longer than the line limit: %v", err)
	default:
		return &channel.Error{Channel: channelName, Op: "statement", Kind: channel.KindUnavailable, Code: "READ",
			Message: "reading the bill failed after line " + strconv.Itoa(b.line) + "; download it again", Retryable: true, Err: err}
	}
}

func (b *BillReader) readHeader(l []byte) error {
	names := splitPlain(l)
	idx := make(map[string]int, len(names))
	for i, n := range names {
		idx[string(bytes.TrimSpace(bytes.TrimPrefix(n, []byte("`"))))] = i
	}
	c := &b.cols
	c.time = firstCol(idx, "交易时间")
	c.txn = firstCol(idx, "微信订单号")
	c.order = firstCol(idx, "商户订单号")
	c.state = firstCol(idx, "交易状态")
	c.currency = firstCol(idx, "货币种类")
	c.orderAmt = firstCol(idx, "订单金额", "总金额", "应结订单金额")
	c.fee = firstCol(idx, "手续费")
	c.refundID = firstCol(idx, "微信退款单号")
	c.refundNo = firstCol(idx, "商户退款单号")
	c.refundAmt = firstCol(idx, "申请退款金额", "退款金额")
	c.refundStatus = firstCol(idx, "退款状态")
	c.refundApply = firstCol(idx, "退款申请时间")
	for _, req := range []struct {
		name string
		i    int
	}{{"交易时间", c.time}, {"微信订单号", c.txn}, {"商户订单号", c.order}, {"交易状态", c.state}, {"订单金额/总金额", c.orderAmt}} {
		if req.i < 0 {
			return billLineError(b.line, "header has no %s column", req.name)
		}
	}
	b.ncols = len(names)
	return nil
}

// splitPlain splits a header line on commas.
func splitPlain(l []byte) [][]byte { return bytes.Split(l, []byte(",")) }

// splitTicked splits a row of backtick-prefixed values on ",`" (so a comma inside a
// product name does not shift the columns) and strips the backticks.
func splitTicked(l []byte, dst [][]byte) [][]byte {
	dst = dst[:0]
	l = l[1:] // leading backtick
	for {
		i := bytes.Index(l, []byte(",`"))
		if i < 0 {
			return append(dst, l)
		}
		dst = append(dst, l[:i])
		l = l[i+2:]
	}
}

func (b *BillReader) readRow(l []byte, rec *channel.StatementRecord) error {
	b.fields = splitTicked(l, b.fields)
	f := b.fields
	if len(f) != b.ncols {
		return billLineError(b.line, "%d fields, the header has %d", len(f), b.ncols)
	}
	c := &b.cols
	get := func(i int) []byte {
		if i < 0 {
			return nil
		}
		return f[i]
	}
	cur := money.CNY
	if v := get(c.currency); len(v) > 0 && string(v) != "CNY" {
		var err error
		if cur, err = money.ParseCurrency(string(v)); err != nil {
			return billLineError(b.line, "货币种类 %q: %v", v, err)
		}
	}
	*rec = channel.StatementRecord{Channel: channelName, SettlementDate: b.date, Line: b.line}
	state := f[c.state]
	rec.ChannelType = internState(state)
	rec.ChannelStatus = rec.ChannelType
	rec.ChannelTxnID = string(f[c.txn])
	rec.OrderNo = string(f[c.order])
	var err error
	if rec.ChannelTime, err = parseDashedTime(f[c.time]); err != nil {
		return billLineError(b.line, "交易时间 %q: %v", f[c.time], err)
	}
	amtCol := c.orderAmt
	switch rec.ChannelType {
	case "SUCCESS":
		rec.Type, rec.Status = channel.RecordPayment, channel.StatusSucceeded
	case "REVOKED":
		rec.Type, rec.Status = channel.RecordReversal, channel.StatusSucceeded
	case "REFUND":
		if c.refundAmt < 0 || c.refundNo < 0 {
			return billLineError(b.line, "refund row in a bill without refund columns")
		}
		rec.Type = channel.RecordRefund
		rec.RefundNo = string(f[c.refundNo])
		rec.ChannelRefundID = string(get(c.refundID))
		rs := internState(get(c.refundStatus))
		rec.ChannelStatus = rs
		if rec.Status = RefundStatus(rs); rs == "" {
			rec.Status = channel.StatusProcessing
		}
		if v := get(c.refundApply); len(v) > 0 {
			if rec.ChannelTime, err = parseDashedTime(v); err != nil {
				return billLineError(b.line, "退款申请时间 %q: %v", v, err)
			}
		}
		amtCol = c.refundAmt
	default:
		rec.Type = channel.RecordOther
	}
	minor, err := parseYuan(f[amtCol], cur)
	if err != nil {
		return billLineError(b.line, "amount %q: %v", f[amtCol], err)
	}
	if minor < 0 {
		return billLineError(b.line, "amount %q is negative; bill amounts are magnitudes", f[amtCol])
	}
	rec.Amount = money.New(minor, cur)
	if v := get(c.fee); len(v) > 0 {
		fee, exact, err := parseFee(v)
		if err != nil {
			return billLineError(b.line, "手续费 %q: %v", v, err)
		}
		rec.Fee = money.New(fee, cur)
		sum := b.feeSum + fee
		if (fee > 0 && sum < b.feeSum) || (fee < 0 && sum > b.feeSum) {
			return billLineError(b.line, "手续费 %q: the fee total overflows", v)
		}
		b.feeSum = sum
		if !exact {
			// The exact 5-decimal fee beside the rounded fen, as integer units (parseFee has
			// checked the digits).
			rec.FeeUnits, rec.FeeScale = feeUnits(v)
		}
	} else {
		rec.Fee = money.New(0, cur)
	}
	return nil
}

// internState returns the common status words without allocating.
func internState(v []byte) string {
	switch string(v) {
	case "SUCCESS":
		return "SUCCESS"
	case "REFUND":
		return "REFUND"
	case "REVOKED":
		return "REVOKED"
	case "PROCESSING":
		return "PROCESSING"
	case "FAIL":
		return "FAIL"
	case "CHANGE":
		return "CHANGE"
	case "REFUNDCLOSE":
		return "REFUNDCLOSE"
	case "":
		return ""
	}
	return string(v)
}

func parseTotals(idx map[string]int, vals [][]byte) (*channel.StatementTotals, error) {
	get := func(names ...string) []byte {
		i := firstCol(idx, names...)
		if i < 0 || i >= len(vals) {
			return nil
		}
		return vals[i]
	}
	t := &channel.StatementTotals{}
	n, err := strconv.ParseInt(string(get("总交易单数")), 10, 64)
	if err != nil || n < 0 {
		return nil, errors.New("总交易单数 is not a count")
	}
	t.Count = n
	amt := func(v []byte) (money.Amount, error) {
		if len(v) == 0 {
			return money.Fen(0), nil
		}
		m, err := parseYuan(v, money.CNY)
		return money.Fen(m), err
	}
	if t.PaymentAmount, err = amt(get("订单总金额", "总交易额", "应结订单总金额")); err != nil {
		return nil, err
	}
	if t.RefundAmount, err = amt(get("申请退款总金额", "退款总金额", "总退款金额")); err != nil {
		return nil, err
	}
	// FeeAmount is set by the caller (the sum of the rows' Fee, see Totals); the printed
	// total is kept exact.
	t.FeeAmount = money.Fen(0)
	if v := get("手续费总金额"); len(v) > 0 {
		if _, _, err := parseFee(v); err != nil {
			return nil, err
		}
		units, scale := feeUnits(v)
		t.StatedFeeAmount = decimal.New(units, -int32(scale))
	}
	return t, nil
}

var errNumber = errors.New("not a decimal number")

// parseYuan reads a yuan amount with at most the currency's decimals ("0.01", "-3.5");
// other forms (grouping commas) go through money.Parse.
func parseYuan(v []byte, cur money.Currency) (int64, error) {
	exp := cur.Exponent()
	neg := len(v) > 0 && v[0] == '-'
	s := v
	if neg {
		s = s[1:]
	}
	var n int64
	i := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if n > (1<<62)/10 {
			return 0, errNumber
		}
		n = n*10 + int64(s[i]-'0')
	}
	if i == 0 || i < len(s) && s[i] != '.' {
		a, err := money.Parse(string(v), cur)
		return a.Minor(), err
	}
	dec := 0
	if i < len(s) {
		i++
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			n = n*10 + int64(s[i]-'0')
			dec++
		}
		if i != len(s) || dec == 0 || dec > exp {
			a, err := money.Parse(string(v), cur)
			return a.Minor(), err
		}
	}
	for ; dec < exp; dec++ {
		n *= 10
	}
	if neg {
		n = -n
	}
	return n, nil
}

// parseFee reads a fee with up to 8 decimals (WeChat prints 5) and rounds it half away
// from zero to fen. exact reports that no non-zero digit was dropped.
// feeUnits returns a fee text parseFee accepted as integer units of 10^-scale: "0.00738"
// is 738, 5; "-1.20000" is -120000, 5.
func feeUnits(v []byte) (units int64, scale int8) {
	neg := len(v) > 0 && v[0] == '-'
	if neg {
		v = v[1:]
	}
	seenDot := false
	for _, c := range v {
		switch {
		case c == '.':
			seenDot = true
		case seenDot:
			units = units*10 + int64(c-'0')
			scale++
		default:
			units = units*10 + int64(c-'0')
		}
	}
	if neg {
		units = -units
	}
	return units, scale
}

func parseFee(v []byte) (fen int64, exact bool, err error) {
	s := v
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	dot := bytes.IndexByte(s, '.')
	ip, fp := s, []byte(nil)
	if dot >= 0 {
		ip, fp = s[:dot], s[dot+1:]
	}
	if len(ip) == 0 || len(ip) > 15 || len(fp) > 8 || dot >= 0 && len(fp) == 0 {
		return 0, false, errNumber
	}
	for _, c := range ip {
		if c < '0' || c > '9' {
			return 0, false, errNumber
		}
		fen = fen*10 + int64(c-'0')
	}
	exact = true
	for i := 0; i < 2; i++ {
		d := int64(0)
		if i < len(fp) {
			if fp[i] < '0' || fp[i] > '9' {
				return 0, false, errNumber
			}
			d = int64(fp[i] - '0')
		}
		fen = fen*10 + d
	}
	if len(fp) > 2 {
		for _, c := range fp[2:] {
			if c < '0' || c > '9' {
				return 0, false, errNumber
			}
			if c != '0' {
				exact = false
			}
		}
		if fp[2] >= '5' {
			fen++
		}
	}
	if neg {
		fen = -fen
	}
	return fen, exact, nil
}

// parseDashedTime reads "2006-01-02 15:04:05" in Beijing time without time.Parse.
func parseDashedTime(v []byte) (time.Time, error) {
	if len(v) != 19 || v[4] != '-' || v[7] != '-' || v[10] != ' ' || v[13] != ':' || v[16] != ':' {
		return time.Time{}, errors.New("want yyyy-MM-dd HH:mm:ss")
	}
	num := func(a, b int) int {
		n := 0
		for _, c := range v[a:b] {
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	y, mo, d, h, mi, s := num(0, 4), num(5, 7), num(8, 10), num(11, 13), num(14, 16), num(17, 19)
	if y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59 {
		return time.Time{}, errors.New("not a valid time")
	}
	t := time.Date(y, time.Month(mo), d, h, mi, s, 0, clock.Beijing())
	if t.Day() != d {
		return time.Time{}, errors.New("no such day")
	}
	return t, nil
}
