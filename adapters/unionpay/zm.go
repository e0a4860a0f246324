package unionpay

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// zmMinLen is the shortest ZM line accepted: through field 41 (original orderId, offset
// 476, 32 characters). The 2015 layout is 607 characters; newer layouts carve the
// reserved tail and may be longer (unionpay.md §9.1), so only the fixed part is required.
const zmMinLen = 508

// zmRecord is one ZM record (unionpay.md §9.1, 0-based byte offsets). Text fields are
// trimmed of the padding; they share one string per record, so a record costs one
// allocation. Amounts are fen; signed amounts are positive when credited to the merchant
// (C) and negative when debited (D). Card is masked as UnionPay prints it. ReqReserved is
// raw bytes of the file (GBK when not ASCII).
type zmRecord struct {
	TradeCode   string // field 1; do not classify on it ([conflict])
	TraceNo     string // 4
	TraceTime   string // 5, MMddHHmmss (no year)
	Card        string // 6, masked
	Amount      int64  // 7, fen
	QueryID     string // 10
	OrderID     string // 12
	PayCardType string // 13
	OrigTraceNo string // 14
	OrigTime    string // 15
	Fee         int64  // 16, signed: a charged fee is negative (D)
	Settle      int64  // 17, signed
	PayType     string // 18
	TxnType     string // 20: classify on this
	TxnSubType  string // 21
	BizType     string // 22
	OrigQryID   string // 27
	MerID       string // 28
	Net         int64  // 33, signed
	ReqReserved string // 35, truncated to 32 bytes
	OrigOrderID string // 41
}

// zmError is a malformed ZM line; it names the line number and field, never the content.
type zmError struct {
	line  int
	field string
	why   string
}

func (e *zmError) Error() string {
	return fmt.Sprintf("unionpay ZM file: line %d: field %s: %s", e.line, e.field, e.why)
}

// zmReader reads ZM records one at a time from a stream with a fixed buffer: memory does
// not grow with the file.
type zmReader struct {
	r    *bufio.Reader
	line int
	long []byte // reused when a line outgrows the bufio buffer
}

func newZMReader(r io.Reader) *zmReader {
	return &zmReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next record, io.EOF at the end. Blank lines are skipped; CRLF and LF
// both end a line; a line shorter than the fixed part, or with a non-numeric amount or a
// bad sign, is a *zmError and the reader may continue with the next line.
func (z *zmReader) next() (zmRecord, error) {
	for {
		b, err := z.r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			z.long = append(z.long[:0], b...)
			for errors.Is(err, bufio.ErrBufferFull) {
				b, err = z.r.ReadSlice('\n')
				z.long = append(z.long, b...)
			}
			b = z.long
		}
		if len(b) == 0 && err != nil {
			if errors.Is(err, io.EOF) {
				return zmRecord{}, io.EOF
			}
			return zmRecord{}, err
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return zmRecord{}, err
		}
		z.line++
		for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
			b = b[:len(b)-1]
		}
		if blank(b) {
			if err != nil {
				return zmRecord{}, io.EOF
			}
			continue
		}
		return parseZMLine(b, z.line)
	}
}

// parseZMLine cuts one record out of a line.
func parseZMLine(b []byte, line int) (zmRecord, error) {
	if len(b) < zmMinLen {
		return zmRecord{}, &zmError{line, "length", fmt.Sprintf("%d characters, want at least %d", len(b), zmMinLen)}
	}
	s := string(b[:zmMinLen]) // the record's one allocation; fields are substrings
	var r zmRecord
	var err error
	txt := func(off, width int) string { return trimPad(s[off : off+width]) }
	r.TradeCode = txt(0, 3)
	r.TraceNo = txt(28, 6)
	r.TraceTime = txt(35, 10)
	r.Card = txt(46, 19)
	if r.Amount, err = zmNumber(s[66:78], line, "txnAmt"); err != nil {
		return zmRecord{}, err
	}
	r.QueryID = txt(87, 21)
	r.OrderID = txt(112, 32)
	r.PayCardType = txt(145, 2)
	r.OrigTraceNo = txt(148, 6)
	r.OrigTime = txt(155, 10)
	if r.Fee, err = zmSigned(s[166:179], line, "fee"); err != nil {
		return zmRecord{}, err
	}
	if r.Settle, err = zmSigned(s[180:193], line, "settleAmt"); err != nil {
		return zmRecord{}, err
	}
	r.PayType = txt(194, 4)
	r.TxnType = txt(215, 2)
	r.TxnSubType = txt(218, 2)
	r.BizType = txt(221, 6)
	r.OrigQryID = txt(271, 21)
	r.MerID = txt(293, 15)
	if r.Net, err = zmSigned(s[374:387], line, "net"); err != nil {
		return zmRecord{}, err
	}
	r.ReqReserved = txt(397, 32)
	r.OrigOrderID = txt(476, 32)
	if len(r.TxnType) != 2 {
		return zmRecord{}, &zmError{line, "txnType", "missing"}
	}
	return r, nil
}

// blank reports whether a line holds only white space; a record line starts with its
// trade code, so this rarely scans.
func blank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}

// trimPad removes the right padding of a left-aligned field (and stray left spaces).
func trimPad(s string) string {
	j := len(s)
	for j > 0 && s[j-1] == ' ' {
		j--
	}
	i := 0
	for i < j && s[i] == ' ' {
		i++
	}
	return s[i:j]
}

// zmNumber reads a zero-padded amount of fen.
func zmNumber(s string, line int, field string) (int64, error) {
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, &zmError{line, field, "not a zero-padded number"}
		}
		n = n*10 + int64(c-'0')
	}
	return n, nil
}

// zmSigned reads the X+n12 form: 'C' credit (+), 'D' debit (-), ' ' zero.
func zmSigned(s string, line int, field string) (int64, error) {
	n, err := zmNumber(s[1:], line, field)
	if err != nil {
		return 0, err
	}
	switch s[0] {
	case 'C':
		return n, nil
	case 'D':
		return -n, nil
	case ' ':
		if n != 0 {
			return 0, &zmError{line, field, "non-zero amount without C/D"}
		}
		return 0, nil
	}
	return 0, &zmError{line, field, "sign is not C, D or space"}
}
