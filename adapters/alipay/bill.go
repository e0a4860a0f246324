package alipay

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"golang.org/x/text/encoding/simplifiedchinese"
)

const methodBillURL = "alipay.data.dataservice.bill.downloadurl.query"

type billURLResponse struct {
	header
	BillDownloadURL string `json:"bill_download_url"`
}

// detailSuffix ends the detail file's name inside the bill zip (alipay.md §11); the
// summary file ends in "_业务明细(汇总).csv" and is not read.
const detailSuffix = "_业务明细.csv"

// DownloadStatement fetches the trade bill of req.Date (a natural Beijing day) with
// alipay.data.dataservice.bill.downloadurl.query, downloads the zip at the returned URL
// with the configured HTTP client, and streams its "*_业务明细.csv" entry, decoded from
// GBK, as records (alipay.md §9.11, §11):
//
//   - 交易 rows → RecordPayment, 退款 rows → RecordRefund (RefundNo from
//     退款批次号/请求号); any other 业务类型 → RecordOther. Amount is 订单金额 made
//     positive; Fee is 服务费 negated (positive = charged); ChannelTime is 完成时间;
//     Status Succeeded. Totals come from the "#交易合计" / "#退款合计" lines.
//   - The zip is spooled to a temporary file (capped at Config.MaxBillBytes) because
//     zip needs random access; the entry is then inflated and decoded as a stream, so
//     memory stays flat in the number of rows. Close removes the file.
//   - A transport failure, a non-200 answer or an "unknown" code is KindUnavailable and
//     retryable: nothing changes on Alipay's side, so there is no outcome to be unknown.
//   - isp.bill_not_exist / BILL_NOT_EXIST: for a day whose bill should exist (ended
//     more than Config.BillReadyAfter ago) it is an empty statement; for today, a future
//     day or a bill not due yet it is KindUnavailable, retryable.
func (c *Client) DownloadStatement(ctx context.Context, req *channel.StatementRequest) (channel.StatementReader, error) {
	const op = "statement"
	if req == nil || !req.Date.Valid() {
		return nil, channel.InvalidField(Name, op, "Date", "is not a valid date")
	}
	switch req.Type {
	case "", channel.StatementAll, channel.StatementPayments, channel.StatementRefunds:
	default:
		return nil, channel.InvalidField(Name, op, "Type", "%q is not a statement type", string(req.Type))
	}
	// The gateway is always asked, even for today: only its answer says whether a
	// bill exists (a simulator may run on a clock of its own).
	due := req.Date.AddDays(1).Start(clock.Beijing()).Add(c.billReady)
	biz, err := marshalBiz(struct {
		BillType string `json:"bill_type"`
		BillDate string `json:"bill_date"`
	}{"trade", req.Date.String()})
	if err != nil {
		return nil, c.internalErr(op, err)
	}
	var t billURLResponse
	if err := c.do(ctx, call{op: op, method: methodBillURL, biz: biz}, &t); err != nil {
		// Nothing moves money here: a lost or unknown answer is simply "try again", as
		// in the WeChat adapter.
		if ce, ok := err.(*channel.Error); ok && ce.Kind == channel.KindUnknown {
			ce.Kind = channel.KindUnavailable
		}
		if isSub(err, "isp.bill_not_exist") || isSub(err, "BILL_NOT_EXIST") {
			if c.clk.Now().Before(due) {
				return nil, c.notReady(req.Date)
			}
			return emptyStatement{}, nil
		}
		return nil, err
	}
	if t.BillDownloadURL == "" {
		return nil, decodeErr(op, errors.New("bill_download_url is empty"))
	}
	f, size, err := c.spool(ctx, t.BillDownloadURL)
	if err != nil {
		return nil, err
	}
	cleanup := func() error {
		err := f.Close()
		if rerr := os.Remove(f.Name()); err == nil {
			err = rerr
		}
		return err
	}
	rc, err := newZipDetail(f, size)
	if err != nil {
		cleanup()
		return nil, err
	}
	return newBillReader(rc, req.Date, req.Type, func() error {
		rc.Close()
		return cleanup()
	}), nil
}

// newZipDetail opens the detail entry of a bill zip for streaming.
func newZipDetail(ra io.ReaderAt, size int64) (io.ReadCloser, error) {
	bad := func(msg string, err error) error {
		return &channel.Error{Channel: Name, Op: "statement", Kind: channel.KindInvalidRequest, Code: "BAD_BILL", Message: msg, Err: err}
	}
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return nil, bad("bill is not a zip file", err)
	}
	for _, zf := range zr.File {
		if strings.HasSuffix(zipName(zf), detailSuffix) {
			rc, err := zf.Open()
			if err != nil {
				return nil, bad("bill entry cannot be opened", err)
			}
			return rc, nil
		}
	}
	return nil, bad("bill zip has no *"+detailSuffix+" entry", nil)
}

func (c *Client) notReady(d clock.Date) error {
	return &channel.Error{Channel: Name, Op: "statement", Kind: channel.KindUnavailable, Code: "BILL_NOT_READY",
		Message: "the bill of " + d.String() + " is not generated yet", Retryable: true}
}

// zipName decodes an entry name: Alipay writes GBK names without the zip UTF-8 flag
// (alipay.md §11).
func zipName(f *zip.File) string {
	if !f.NonUTF8 && utf8.ValidString(f.Name) {
		return f.Name
	}
	if s, err := simplifiedchinese.GBK.NewDecoder().String(f.Name); err == nil {
		return s
	}
	return f.Name
}

// spool downloads the bill zip into a temporary file, refusing more than maxBill bytes.
// The download URL is valid for 30 s (alipay.md §9.11); a failure is KindUnavailable:
// nothing changed, call DownloadStatement again.
func (c *Client) spool(ctx context.Context, u string) (*os.File, int64, error) {
	fail := func(msg string, err error) (*os.File, int64, error) {
		return nil, 0, &channel.Error{Channel: Name, Op: "statement", Kind: channel.KindUnavailable, Code: "BILL_DOWNLOAD", Message: msg, Retryable: true, Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fail("bill_download_url is not a URL", err)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fail("bill download failed", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fail("bill download answered "+resp.Status, nil)
	}
	f, err := os.CreateTemp(c.tempDir, "alipay-bill-*.zip")
	if err != nil {
		return fail("cannot create the spool file", err)
	}
	n, err := io.Copy(f, io.LimitReader(resp.Body, c.maxBill+1))
	if err == nil && n > c.maxBill {
		err = fmt.Errorf("bill larger than %d bytes", c.maxBill)
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return fail("bill download failed", err)
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, "alipay: bill downloaded", slog.Int64("bytes", n))
	return f, n, nil
}
