package wechat

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
)

// billType maps a statement type to bill_type (wechat-v2.md §9.1).
func billType(t channel.StatementType) (string, bool) {
	switch t {
	case "", channel.StatementAll:
		return "ALL", true
	case channel.StatementPayments:
		return "SUCCESS", true
	case channel.StatementRefunds:
		return "REFUND", true
	}
	return "", false
}

// DownloadStatement downloads the trade bill of one natural Beijing day
// (/pay/downloadbill, §9) and streams it as records: it never holds the bill in memory.
// The bill is requested gzip-compressed unless Config.BillPlainText; either answer is
// read. "No Bill Exist" (20002) is an empty statement; "Bill Creating" is
// KindUnavailable and retryable; other failures are mapped from return_msg. See
// NewBillReader for how rows become records.
func (c *Client) DownloadStatement(ctx context.Context, req *channel.StatementRequest) (channel.StatementReader, error) {
	cl := call{op: "statement", path: "/pay/downloadbill", retry: true}
	if req == nil || !req.Date.Valid() {
		return nil, channel.InvalidField(channelName, cl.op, "Date", "is not a valid date")
	}
	bt, ok := billType(req.Type)
	if !ok {
		return nil, channel.InvalidField(channelName, cl.op, "Type", "%q is not a statement type", string(req.Type))
	}
	p := sign.Params{{Key: "bill_date", Value: req.Date.Compact()}, {Key: "bill_type", Value: bt}}
	if c.billGzip {
		p.Set("tar_type", "GZIP")
	}
	body, _, httpc, err := c.prepare(ctx, cl, p)
	if err != nil {
		return nil, err
	}
	res, err := c.send(ctx, httpc, cl, body)
	if err != nil {
		// Nothing moves money here: a lost answer is simply "try again".
		if ce, ok := err.(*channel.Error); ok && ce.Kind == channel.KindUnknown {
			ce.Kind = channel.KindUnavailable
		}
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		data, _ := readLimited(res.Body, maxRawBytes)
		res.Body.Close()
		e := httpStatusError(cl, res.StatusCode, data).(*channel.Error)
		e.Kind = channel.KindUnavailable
		return nil, e
	}
	r, err := c.openBill(cl, res.Body, req)
	if err != nil {
		res.Body.Close()
		return nil, err
	}
	return r, nil
}

// openBill recognises the answer: an XML failure (§9.3, recognised by "<xml", possibly
// gzip-compressed) or the bill text.
func (c *Client) openBill(cl call, body io.ReadCloser, req *channel.StatementRequest) (channel.StatementReader, error) {
	br := bufio.NewReaderSize(body, 64<<10)
	var src io.Reader = br
	var gz *gzip.Reader
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		var err error
		if gz, err = gzip.NewReader(br); err != nil {
			return nil, &channel.Error{Channel: channelName, Op: cl.op, Kind: channel.KindUnavailable, Code: "BAD_RESPONSE",
				Message: "corrupt gzip bill", Retryable: true, Err: err}
		}
		src = bufio.NewReaderSize(gz, 64<<10)
	}
	head, _ := src.(*bufio.Reader).Peek(64)
	head = bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\uFEFF")), " \t\r\n")
	if bytes.HasPrefix(head, []byte("<xml")) || bytes.HasPrefix(head, []byte("<?xml")) {
		data, err := readLimited(src, c.maxResp)
		if gz != nil {
			gz.Close()
		}
		if err != nil {
			return nil, &channel.Error{Channel: channelName, Op: cl.op, Kind: channel.KindUnavailable, Code: "BAD_RESPONSE",
				Message: "reading the failure answer", Retryable: true, Err: err}
		}
		if err := billFailure(cl, data); err != nil {
			return nil, err
		}
		body.Close()
		return emptyBill{}, nil
	}
	r := NewBillReader(src, req.Date, c.maxLine)
	r.closers = []io.Closer{body}
	if gz != nil {
		r.closers = append([]io.Closer{gz}, r.closers...)
	}
	return r, nil
}

// billFailure maps a bill failure answer (§9.3). It returns nil for "no bill" (an empty
// statement).
func billFailure(cl call, data []byte) error {
	resp, err := decodeFlat(data, "xml")
	if err != nil {
		return &channel.Error{Channel: channelName, Op: cl.op, Kind: channel.KindUnavailable, Code: "BAD_RESPONSE",
			Message: "undecodable failure answer", Retryable: true, Raw: rawCopy(data), Err: err}
	}
	msg, code := lookup(resp, "return_msg"), lookup(resp, "error_code")
	switch {
	case code == "20002" || strings.EqualFold(msg, "No Bill Exist"):
		return nil
	case strings.EqualFold(msg, "Bill Creating"):
		return &channel.Error{Channel: channelName, Op: cl.op, Kind: channel.KindUnavailable, Code: msg,
			// wechat-v2.md §9.2: generated from 09:00 Beijing time the next day (the
			// simulator serves it from then); WeChat advises fetching after 10:00.
			Message: "the bill is being generated (from 09:00 Beijing time the next day; WeChat advises fetching after 10:00)", Retryable: true, Raw: rawCopy(data)}
	}
	kind, retry := returnFailKind(msg)
	if kind == channel.KindUnknown {
		kind = channel.KindUnavailable
	}
	if code == "20007" {
		kind, retry = channel.KindInvalidRequest, false // bill API permission closed
	}
	if code == "" {
		code = msg
	}
	return &channel.Error{Channel: channelName, Op: cl.op, Kind: kind, Code: code, Message: msg, Retryable: retry, Raw: rawCopy(data)}
}

// emptyBill is the statement of a day without transactions.
type emptyBill struct{}

func (emptyBill) Next(*channel.StatementRecord) error { return io.EOF }
func (emptyBill) Close() error                        { return nil }
func (emptyBill) Totals() *channel.StatementTotals {
	return &channel.StatementTotals{PaymentAmount: money.Fen(0), RefundAmount: money.Fen(0), FeeAmount: money.Fen(0)}
}

// billLineError is the error for a malformed bill line.
func billLineError(line int, format string, args ...any) error {
	return &channel.Error{Channel: channelName, Op: "statement", Kind: channel.KindInvalidRequest, Code: "BAD_BILL",
		Message: fmt.Sprintf("line %d: ", line) + fmt.Sprintf(format, args...)}
}
