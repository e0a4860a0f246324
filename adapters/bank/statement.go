package bank

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

// errStatement marks a statement file that breaks §11.3; the message names the line and
// field, never a value.
var errStatement = errors.New("bank statement: malformed")

// Statement transaction types (§11.3).
const (
	stmtPay    = "PAY"
	stmtRefund = "REFUND"
	stmtPayout = "PAYOUT"
	stmtReturn = "RETURN"
)

// stmtRecord is one D line (§11.3), with amounts as money (fen, CNY) and times in
// Beijing time. The lead maps it to channel.StatementRecord.
type stmtRecord struct {
	Seq          int
	TxType       string // PAY, REFUND, PAYOUT, RETURN
	BankSerial   string
	MerchantNo   string // orderNo / refundNo / payoutNo
	OrigOrderNo  string // refunds: the paid orderNo; returns: the payoutNo
	ReqTime      time.Time
	FinishTime   time.Time
	SettleDate   clock.Date
	Amount       money.Amount // unsigned; direction from TxType
	Fee          money.Amount // PAY only; 0 otherwise
	Net          money.Amount // Amount − Fee for PAY, Amount otherwise
	Status       string       // SUCCESS or RETURNED
	CardNoMasked string       // first 6 + '*' + last 4, or empty
	CardType     string       // DC, CC or empty
	ProtocolNo   string
}

// stmtTotals is the T line.
type stmtTotals struct {
	Records                    int
	PayCount, RefundCount      int
	PayoutCount, ReturnCount   int
	PayAmount, RefundAmount    money.Amount
	PayoutAmount, ReturnAmount money.Amount
	FeeTotal                   money.Amount
}

// statement is a parsed file: header, records, totals (checked against the records).
type statement struct {
	MerchantID string
	Date       clock.Date
	Generated  time.Time
	Records    []stmtRecord
	Totals     stmtTotals
}

// Limits on a statement file.
const (
	maxStmtLine  = 4096
	maxStmtBytes = 512 << 20 // uncompressed
)

// openStatementFile checks the downloaded gzip bytes against fileSm3 from the signed
// STMT_APPLY answer (§11.2: the file itself is unsigned) and decompresses them, refusing
// more than maxStmtBytes.
func openStatementFile(gz []byte, fileSM3 string) ([]byte, error) {
	zr, err := statementStream(gz, fileSM3)
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("bank statement: gzip: %v: %w", err, errStatement)
	}
	return raw, nil
}

// statementStream checks gz against fileSm3 and returns a stream of its uncompressed
// content that fails after maxStmtBytes.
func statementStream(gz []byte, fileSM3 string) (io.Reader, error) {
	sum := sign.SM3(gz)
	want, err := hex.DecodeString(fileSM3)
	if err != nil || len(want) != len(sum) || !sign.Equal(sum[:], want) {
		return nil, fmt.Errorf("bank statement: SM3 of the file does not match fileSm3: %w", errStatement)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("bank statement: not gzip: %w", errStatement)
	}
	return &limitedReader{r: zr, left: maxStmtBytes}, nil
}

// limitedReader fails (rather than ending quietly) when r has more than left bytes.
type limitedReader struct {
	r    io.Reader
	left int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		var one [1]byte
		if n, _ := l.r.Read(one[:]); n > 0 {
			return 0, fmt.Errorf("bank statement: larger than %d bytes uncompressed: %w", maxStmtBytes, errStatement)
		}
		return l.r.Read(p[:0])
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// parseStatement reads the §11.3 format: one H line first, D lines numbered from 1, one T
// line last whose counts and sums equal the records'. Every D line is checked: 16
// fields, known type, fen amounts without sign or leading zeros, fee only on PAY and not
// above the amount, net = amount − fee, settleDate = the file's date, masked card numbers
// only. A full card number in the file is an error (naming the field, not the value).
func parseStatement(r io.Reader) (*statement, error) {
	sc := newStmtScanner(r)
	st := &sc.st
	for {
		rec, err := sc.next()
		if err == io.EOF {
			return st, nil
		}
		if err != nil {
			return nil, err
		}
		st.Records = append(st.Records, rec)
	}
}

// stmtScanner reads a §11.3 statement line by line, checking as parseStatement says; the
// header fields are in st once the H line is read, the totals once next returns io.EOF.
type stmtScanner struct {
	sc                *bufio.Scanner
	st                statement // header and, at the end, Totals; Records unused
	n                 int       // lines read
	records           int
	sawH, sawT        bool
	sum               stmtTotals
	pay, ref, po, ret int64
	fee               int64
	err               error // sticky
}

func newStmtScanner(r io.Reader) *stmtScanner {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1024), maxStmtLine)
	return &stmtScanner{sc: sc}
}

// header reads the H line, which must be the first.
func (s *stmtScanner) header() error {
	if s.err != nil || s.sawH {
		return s.err
	}
	if _, _, err := s.step(); err != nil {
		if err == io.EOF {
			err = fmt.Errorf("bank statement: missing H or T line: %w", errStatement)
		}
		s.err = err
	}
	return s.err
}

// next returns the next D record; io.EOF after a T line that matches the records and
// ends the file. Every other error wraps errStatement and names the line.
func (s *stmtScanner) next() (stmtRecord, error) {
	for s.err == nil {
		rec, isD, err := s.step()
		if err != nil {
			s.err = err
			break
		}
		if isD {
			return rec, nil
		}
	}
	return stmtRecord{}, s.err
}

// step reads lines until a D record (isD), the H line, or the end of the file.
func (s *stmtScanner) step() (rec stmtRecord, isD bool, err error) {
	for s.sc.Scan() {
		s.n++
		n := s.n
		line := s.sc.Text()
		if s.sawT {
			return stmtRecord{}, false, lineErr(n, "", "content after the T line")
		}
		f := strings.Split(line, "|")
		switch f[0] {
		case "H":
			if s.sawH || n != 1 {
				return stmtRecord{}, false, lineErr(n, "", "H line not first or repeated")
			}
			if len(f) != 6 || f[1] != "BDC" || f[2] != "1.0" {
				return stmtRecord{}, false, lineErr(n, "", "want H|BDC|1.0|merchantId|stmtDate|generatedTime")
			}
			if f[3] == "" || len(f[3]) > 32 || !alnum(f[3], false) {
				return stmtRecord{}, false, lineErr(n, "merchantId", "want 1 to 32 letters or digits")
			}
			d, err := clock.ParseCompactDate(f[4])
			if err != nil {
				return stmtRecord{}, false, lineErr(n, "stmtDate", "want yyyyMMdd")
			}
			g, err := parseTime(f[5])
			if err != nil {
				return stmtRecord{}, false, lineErr(n, "generatedTime", "want yyyyMMddHHmmss")
			}
			s.st.MerchantID, s.st.Date, s.st.Generated, s.sawH = f[3], d, g, true
			return stmtRecord{}, false, nil
		case "D":
			if !s.sawH {
				return stmtRecord{}, false, lineErr(n, "", "D line before the H line")
			}
			rec, err := parseD(n, f, s.st.Date, s.records+1)
			if err != nil {
				return stmtRecord{}, false, err
			}
			s.records++
			a := rec.Amount.Minor()
			switch rec.TxType {
			case stmtPay:
				s.sum.PayCount++
				s.pay += a
			case stmtRefund:
				s.sum.RefundCount++
				s.ref += a
			case stmtPayout:
				s.sum.PayoutCount++
				s.po += a
			case stmtReturn:
				s.sum.ReturnCount++
				s.ret += a
			}
			s.fee += rec.Fee.Minor()
			if s.pay < 0 || s.ref < 0 || s.po < 0 || s.ret < 0 || s.fee < 0 {
				return stmtRecord{}, false, lineErr(n, "amount", "totals overflow")
			}
			return rec, true, nil
		case "T":
			if !s.sawH {
				return stmtRecord{}, false, lineErr(n, "", "T line before the H line")
			}
			t, err := parseT(n, f)
			if err != nil {
				return stmtRecord{}, false, err
			}
			s.st.Totals, s.sawT = t, true
		default:
			return stmtRecord{}, false, lineErr(n, "", "want an H, D or T line")
		}
	}
	if err := s.sc.Err(); err != nil {
		return stmtRecord{}, false, fmt.Errorf("bank statement line %d: %v: %w", s.n+1, err, errStatement)
	}
	if !s.sawH || !s.sawT {
		return stmtRecord{}, false, fmt.Errorf("bank statement: missing H or T line: %w", errStatement)
	}
	sum := s.sum
	sum.Records = s.records
	sum.PayAmount, sum.RefundAmount, sum.PayoutAmount, sum.ReturnAmount = money.Fen(s.pay), money.Fen(s.ref), money.Fen(s.po), money.Fen(s.ret)
	sum.FeeTotal = money.Fen(s.fee)
	if sum != s.st.Totals {
		return stmtRecord{}, false, fmt.Errorf("bank statement: T line does not match the D lines: %w", errStatement)
	}
	return stmtRecord{}, false, io.EOF
}

func lineErr(n int, field, why string) error {
	if field != "" {
		return fmt.Errorf("bank statement line %d: field %s: %s: %w", n, field, why, errStatement)
	}
	return fmt.Errorf("bank statement line %d: %s: %w", n, why, errStatement)
}

func parseTime(s string) (time.Time, error) {
	if len(s) != 14 {
		return time.Time{}, errors.New("length")
	}
	return time.ParseInLocation(timeCompact, s, clock.Beijing())
}

// fenField reads an unsigned fen amount: "0" or digits without a leading zero.
func fenField(s string) (int64, bool) {
	if s == "" || len(s) > 15 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}

func maskedCard(s string) bool {
	if s == "" {
		return true
	}
	if len(s) < 13 || len(s) > 19 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		inner := i >= 6 && i < len(s)-4
		if inner && c != '*' || !inner && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func parseD(n int, f []string, day clock.Date, wantSeq int) (stmtRecord, error) {
	var r stmtRecord
	if len(f) != 16 {
		return r, lineErr(n, "", fmt.Sprintf("%d fields, want 16", len(f)))
	}
	seq, err := strconv.Atoi(f[1])
	if err != nil || seq != wantSeq || f[1] != strconv.Itoa(seq) {
		return r, lineErr(n, "seq", fmt.Sprintf("want %d", wantSeq))
	}
	r.Seq = seq
	switch f[2] {
	case stmtPay, stmtRefund, stmtPayout, stmtReturn:
		r.TxType = f[2]
	default:
		return r, lineErr(n, "txType", "want PAY, REFUND, PAYOUT or RETURN")
	}
	for i, name := range []string{"bankSerial", "merchantNo"} {
		v := f[3+i]
		if v == "" || len(v) > 32 || !alnum(v, true) {
			return r, lineErr(n, name, "want 1 to 32 of [A-Za-z0-9_-]")
		}
	}
	r.BankSerial, r.MerchantNo = f[3], f[4]
	r.OrigOrderNo = f[5]
	needOrig := r.TxType == stmtRefund || r.TxType == stmtReturn
	if needOrig != (r.OrigOrderNo != "") || len(r.OrigOrderNo) > 32 || !alnum(r.OrigOrderNo, true) {
		return r, lineErr(n, "origOrderNo", "required for REFUND and RETURN only, [A-Za-z0-9_-]{1,32}")
	}
	if r.ReqTime, err = parseTime(f[6]); err != nil {
		return r, lineErr(n, "reqTime", "want yyyyMMddHHmmss")
	}
	if r.FinishTime, err = parseTime(f[7]); err != nil {
		return r, lineErr(n, "finishTime", "want yyyyMMddHHmmss")
	}
	if r.SettleDate, err = clock.ParseCompactDate(f[8]); err != nil || r.SettleDate != day {
		return r, lineErr(n, "settleDate", "want the file's stmtDate")
	}
	amt, ok1 := fenField(f[9])
	fee, ok2 := fenField(f[10])
	net, ok3 := fenField(f[11])
	switch {
	case !ok1 || amt < 1:
		return r, lineErr(n, "amount", "want fen ≥ 1 without sign or leading zeros")
	case !ok2 || fee > amt || (fee != 0 && r.TxType != stmtPay):
		return r, lineErr(n, "fee", "want fen, at most the amount, 0 unless PAY")
	case !ok3 || net != amt-fee:
		return r, lineErr(n, "netAmount", "want amount − fee")
	}
	r.Amount, r.Fee, r.Net = money.Fen(amt), money.Fen(fee), money.Fen(net)
	switch f[12] {
	case "SUCCESS", "RETURNED":
		r.Status = f[12]
	default:
		return r, lineErr(n, "status", "want SUCCESS or RETURNED")
	}
	if !maskedCard(f[13]) {
		return r, lineErr(n, "cardNoMasked", "not a masked card number (first 6, '*', last 4)")
	}
	r.CardNoMasked = f[13]
	switch f[14] {
	case "", "DC", "CC":
		r.CardType = f[14]
	default:
		return r, lineErr(n, "cardType", "want DC or CC")
	}
	if len(f[15]) > 32 || !alnum(f[15], true) {
		return r, lineErr(n, "protocolNo", "want at most 32 of [A-Za-z0-9_-]")
	}
	r.ProtocolNo = f[15]
	return r, nil
}

func parseT(n int, f []string) (stmtTotals, error) {
	var t stmtTotals
	if len(f) != 11 {
		return t, lineErr(n, "", fmt.Sprintf("%d fields, want 11", len(f)))
	}
	names := []string{"recordCount", "payCount", "payAmount", "refundCount", "refundAmount", "payoutCount", "payoutAmount", "returnCount", "returnAmount", "feeTotal"}
	v := make([]int64, 10)
	for i := range v {
		x, ok := fenField(f[i+1])
		if !ok {
			return t, lineErr(n, names[i], "want an unsigned integer without leading zeros")
		}
		v[i] = x
	}
	t.Records, t.PayCount, t.RefundCount, t.PayoutCount, t.ReturnCount = int(v[0]), int(v[1]), int(v[3]), int(v[5]), int(v[7])
	t.PayAmount, t.RefundAmount, t.PayoutAmount, t.ReturnAmount = money.Fen(v[2]), money.Fen(v[4]), money.Fen(v[6]), money.Fen(v[8])
	t.FeeTotal = money.Fen(v[9])
	return t, nil
}
