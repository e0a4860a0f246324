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
// §11): the file's SM3 is checked against the signed answer, every line is validated and
// the T line must equal the sum of the D lines before the first record is returned.
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
	raw, err := openStatementFile(gz, sm3)
	if err != nil {
		return nil, stmtErr("FILE", "the statement file is damaged", err)
	}
	st, err := parseStatement(bytes.NewReader(raw))
	if err != nil {
		return nil, stmtErr("FILE", "the statement file is malformed", err)
	}
	if st.MerchantID != c.merchantID || st.Date != req.Date {
		return nil, stmtErr("FILE", "the statement file is for another merchant or day", nil)
	}
	return newStmtReader(st, req.Type), nil
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

// stmtReader streams the records of a parsed, checked statement.
type stmtReader struct {
	st   *statement
	keep func(*stmtRecord) bool
	i    int
	tot  channel.StatementTotals
}

func newStmtReader(st *statement, typ channel.StatementType) *stmtReader {
	r := &stmtReader{st: st, keep: func(*stmtRecord) bool { return true }}
	switch typ {
	case channel.StatementPayments:
		r.keep = func(d *stmtRecord) bool { return d.TxType == stmtPay }
	case channel.StatementRefunds:
		r.keep = func(d *stmtRecord) bool { return d.TxType == stmtRefund }
	}
	t := st.Totals
	var fee int64
	var n int64
	for i := range st.Records {
		if r.keep(&st.Records[i]) {
			n++
			fee += st.Records[i].Fee.Minor()
		}
	}
	r.tot = channel.StatementTotals{Count: n, PaymentCount: int64(t.PayCount), RefundCount: int64(t.RefundCount),
		PaymentAmount: t.PayAmount, RefundAmount: t.RefundAmount, FeeAmount: money.Fen(fee),
		StatedFeeAmount: decimal.New(t.FeeTotal.Minor(), -2), PayoutCount: int64(t.PayoutCount), PayoutAmount: t.PayoutAmount,
		ReturnCount: int64(t.ReturnCount), ReturnAmount: t.ReturnAmount}
	return r
}

// Next fills rec with the next record; io.EOF after the last.
func (r *stmtReader) Next(rec *channel.StatementRecord) error {
	for r.i < len(r.st.Records) {
		d := &r.st.Records[r.i]
		r.i++
		if !r.keep(d) {
			continue
		}
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
	return io.EOF
}

// Totals returns the statement's totals (available before the first Next): counts and
// amounts per type from the T line (checked against the records), FeeAmount the sum of
// the records' fees, StatedFeeAmount the T line's feeTotal; Count is the number of
// records Next returns.
func (r *stmtReader) Totals() *channel.StatementTotals { t := r.tot; return &t }

// Close releases the records.
func (r *stmtReader) Close() error { r.st.Records = nil; return nil }
