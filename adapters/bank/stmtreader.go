package bank

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/shopspring/decimal"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
)

// DownloadStatement fetches the statement of one clearing day (STMT_APPLY, then the file,
// §11) and streams its records: the file's SM3 is checked against the signed answer and its
// H line against the merchant and day before the reader is returned; every D line is
// validated as it is read, and the T line must equal the sums of the D lines (else the
// last Next fails).
// Records: PAY → payment, REFUND → refund (OrderNo = the paid order), PAYOUT → payout,
// RETURN → payout_return (PayoutNo = the returned payout, ReturnNo = the bank's serial);
// SettleAmount is the line's net amount, CardMasked its masked card. req.Type
// StatementPayments or StatementRefunds keeps only those records. Before 06:00 on D+1 the
// bank answers 4006: KindUnavailable, Retryable. Every failure is KindUnavailable and
// Retryable (nothing can have happened).
func (c *Client) DownloadStatement(ctx context.Context, req *channel.StatementRequest) (channel.StatementReader, error) {
	if req == nil || !req.Date.Valid() {
		return nil, invalid(opStatement, "Date", "is not a valid date")
	}
	switch req.Type {
	case "", channel.StatementAll, channel.StatementPayments, channel.StatementRefunds:
	default:
		return nil, invalid(opStatement, "Type", "must be all, payments or refunds, got %q", req.Type)
	}
	x, err := c.call(ctx, opStatement, "STMT_APPLY", c.serials.fresh(), map[string]string{"stmtDate": req.Date.Compact(), "stmtType": "TRADE"})
	if err != nil {
		return nil, err
	}
	if err := answerErr(opStatement, x); err != nil {
		return nil, err
	}
	fileID, token, sm3 := x.resp.str("fileId"), x.resp.str("downloadToken"), x.resp.str("fileSm3")
	if fileID == "" || token == "" || sm3 == "" {
		return nil, stmtErr("STMT_APPLY", "the answer lacks fileId, downloadToken or fileSm3", nil)
	}
	gz, err := c.fetchFile(ctx, fileID, token)
	if err != nil {
		return nil, err
	}
	stream, err := statementStream(gz, sm3)
	if err != nil {
		return nil, stmtErr("FILE", "the statement file is damaged", err)
	}
	sc := newStmtScanner(stream)
	if err := sc.header(); err != nil {
		return nil, stmtErr("FILE", "the statement file is malformed", err)
	}
	if sc.st.MerchantID != c.merchantID || sc.st.Date != req.Date {
		return nil, stmtErr("FILE", "the statement file is for another merchant or day", nil)
	}
	return newStmtReader(sc, req.Type), nil
}

func stmtErr(code, msg string, cause error) error {
	return &channel.Error{Channel: Name, Op: opStatement, Kind: channel.KindUnavailable, Code: code, Message: msg, Retryable: true, Err: cause}
}

// fetchFile downloads a statement file (§11.2), at most Config.MaxStatementBytes.
func (c *Client) fetchFile(ctx context.Context, fileID, token string) ([]byte, error) {
	u := c.base + filesPath + url.PathEscape(fileID) + "?token=" + url.QueryEscape(token)
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, stmtErr("CLIENT", "building the download request failed", err)
	}
	resp, err := c.hc.Do(hr)
	if err != nil {
		return nil, stmtErr("TRANSPORT", "downloading the statement failed", errors.New(redactToken(err.Error(), token)))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, stmtErr("HTTP_"+strconv.Itoa(resp.StatusCode), "downloading the statement: unexpected HTTP status "+resp.Status, nil)
	}
	gz, err := io.ReadAll(io.LimitReader(resp.Body, c.maxStmt+1))
	if err != nil {
		return nil, stmtErr("TRANSPORT", "reading the statement failed", err)
	}
	if int64(len(gz)) > c.maxStmt {
		return nil, stmtErr("TOO_LARGE", fmt.Sprintf("the statement file exceeds %d bytes", c.maxStmt), nil)
	}
	return gz, nil
}

// redactToken keeps the one-time download token out of error messages.
func redactToken(s, token string) string {
	return string(bytes.ReplaceAll([]byte(s), []byte(url.QueryEscape(token)), []byte("…")))
}

// stmtReader streams the records of a statement file as they are read and checked; the T
// line's comparison with the records comes at the end, so a file whose totals do not add
// up fails on the last Next.
type stmtReader struct {
	sc     *stmtScanner
	keep   func(txType string) bool
	fee    int64
	tot    *channel.StatementTotals
	closed bool
}

func newStmtReader(sc *stmtScanner, typ channel.StatementType) *stmtReader {
	r := &stmtReader{sc: sc, keep: func(string) bool { return true }}
	switch typ {
	case channel.StatementPayments:
		r.keep = func(t string) bool { return t == stmtPay }
	case channel.StatementRefunds:
		r.keep = func(t string) bool { return t == stmtRefund }
	}
	return r
}

// Next fills rec with the next record; io.EOF after the last, once the T line matched the
// records. A malformed line is a KindInvalidRequest error naming the line (never a value);
// the reader is then unusable.
func (r *stmtReader) Next(rec *channel.StatementRecord) error {
	if r.closed {
		return &channel.Error{Channel: Name, Op: opStatement, Kind: channel.KindInvalidRequest, Code: "CLOSED", Message: "the statement reader is closed"}
	}
	for {
		d, err := r.sc.next()
		if err == io.EOF {
			r.totals()
			return io.EOF
		}
		if err != nil {
			return &channel.Error{Channel: Name, Op: opStatement, Kind: channel.KindInvalidRequest, Code: "MALFORMED", Message: "the statement file is malformed", Err: err}
		}
		if !r.keep(d.TxType) {
			continue
		}
		r.fee += d.Fee.Minor()
		*rec = channel.StatementRecord{Channel: Name, ChannelType: d.TxType, Amount: d.Amount, Discount: money.Fen(0),
			SettleAmount: d.Net, Fee: d.Fee, CardMasked: d.CardNoMasked, Status: payStatus(d.Status), ChannelStatus: d.Status,
			ChannelTime: d.FinishTime, SettlementDate: d.SettleDate, Line: d.Seq + 1}
		switch d.TxType {
		case stmtPay:
			rec.Type, rec.OrderNo, rec.ChannelTxnID = channel.RecordPayment, d.MerchantNo, d.BankSerial
		case stmtRefund:
			rec.Type, rec.RefundNo, rec.OrderNo, rec.ChannelRefundID = channel.RecordRefund, d.MerchantNo, d.OrigOrderNo, d.BankSerial
		case stmtPayout:
			rec.Type, rec.PayoutNo, rec.ChannelTxnID = channel.RecordPayout, d.MerchantNo, d.BankSerial
		case stmtReturn:
			rec.Type, rec.PayoutNo, rec.ReturnNo, rec.ChannelTxnID = channel.RecordPayoutReturn, d.OrigOrderNo, d.BankSerial, d.BankSerial
			rec.Status = channel.StatusReversed
		}
		return nil
	}
}

// totals fills the totals from the T line (checked against the records) at the end.
func (r *stmtReader) totals() {
	t := r.sc.st.Totals
	r.tot = &channel.StatementTotals{Count: int64(t.Records), PaymentCount: int64(t.PayCount), RefundCount: int64(t.RefundCount),
		PaymentAmount: t.PayAmount, RefundAmount: t.RefundAmount, FeeAmount: money.Fen(r.fee),
		StatedFeeAmount: decimal.New(t.FeeTotal.Minor(), -2), PayoutCount: int64(t.PayoutCount), PayoutAmount: t.PayoutAmount,
		ReturnCount: int64(t.ReturnCount), ReturnAmount: t.ReturnAmount}
}

// Totals returns the statement's totals once Next has returned io.EOF (nil before): counts
// and amounts per type and Count as the T line states them (checked against the records),
// FeeAmount the sum of the fees of the records Next returned, StatedFeeAmount the T line's
// feeTotal.
func (r *stmtReader) Totals() *channel.StatementTotals {
	if r.tot == nil {
		return nil
	}
	t := *r.tot
	return &t
}

// Close releases the file. Safe to call more than once.
func (r *stmtReader) Close() error {
	r.closed = true
	r.sc = nil
	return nil
}
