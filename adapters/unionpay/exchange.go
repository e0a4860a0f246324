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
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
)

// Endpoint paths under the gateway base URL (unionpay.md §1).
const (
	pathFront = "/gateway/api/frontTransReq.do"
	pathBack  = "/gateway/api/backTransReq.do"
	pathApp   = "/gateway/api/appTransReq.do"
	pathQuery = "/gateway/api/queryTrans.do"
)

// Answer size limits: an ordinary answer is a few KB; a file answer carries a whole day's
// reconciliation ZIP.
const (
	maxAnswer     = 1 << 20
	maxFileAnswer = 256 << 20
)

// wireConfig is what the wire layer needs; the adapter's Config will fill it.
type wireConfig struct {
	baseURL string // gateway, e.g. https://gateway.95516.com
	fileURL string // the file-transfer URL (the file host's "/", or the simulator's /filedownload)
	merID   string
	client  *http.Client
	clock   clock.Clock
	creds   *credentials
	trust   *trust
	enc     *encCert     // nil: the merchant sends card data in clear (no encryption permission)
	log     *slog.Logger // nil: no logging; one debug record per call, no field values but codes
}

// wire sends requests and reads verified answers. Safe for concurrent use.
type wire struct{ cfg wireConfig }

func newWire(cfg wireConfig) (*wire, error) {
	switch {
	case cfg.baseURL == "":
		return nil, errors.New("unionpay: field BaseURL: required")
	case len(cfg.merID) != 15:
		return nil, fmt.Errorf("unionpay: field MerID %q: want 15 characters", cfg.merID)
	case cfg.client == nil:
		return nil, errors.New("unionpay: field HTTPClient: required")
	case cfg.clock == nil:
		return nil, errors.New("unionpay: field Clock: required")
	case cfg.creds == nil || cfg.trust == nil:
		return nil, errors.New("unionpay: signing credentials and trusted certificates are required")
	}
	for name, u := range map[string]string{"BaseURL": cfg.baseURL, "FileURL": cfg.fileURL} {
		if u == "" {
			continue
		}
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return nil, fmt.Errorf("unionpay: field %s %q: want an absolute http(s) URL", name, u)
		}
	}
	cfg.baseURL = strings.TrimRight(cfg.baseURL, "/")
	return &wire{cfg: cfg}, nil
}

// wireError is a call that did not succeed: the respCode rule, the channel's code and
// message, and the cause. Its text carries no field values but respMsg.
type wireError struct {
	op   string
	code string // respCode ("" when there was no readable answer)
	msg  string
	rule codeRule
	err  error
}

func (e *wireError) Error() string {
	s := "unionpay " + e.op + ": "
	if e.code != "" {
		s += "respCode " + e.code + " " + e.msg
	} else {
		s += "no verified answer"
	}
	if e.err != nil {
		s += ": " + e.err.Error()
	}
	return s + " (" + e.rule.outcome.String() + ", " + e.rule.kind.String() + ")"
}

func (e *wireError) Unwrap() error { return e.err }

// Kind is the channel.Kind of the failure.
func (e *wireError) Kind() channel.Kind { return e.rule.kind }

// timeTxn renders t as txnTime (Beijing, yyyyMMddHHmmss).
func timeTxn(t time.Time) string { return t.In(clock.Beijing()).Format("20060102150405") }

// call signs fields (the common fields version, encoding, accessType, merId are added),
// posts them to path and returns the verified answer with its rule (unionpay.md §2, §5,
// §7). No answer, an HTTP status other than 200, or an answer that cannot be parsed or
// verified is a *wireError with the Unknown rule: the request may have been processed.
// An answer whose respCode is not a success is a *wireError with that code's rule, and
// the verified answer is returned too (a query's or a refund's fields are needed).
func (w *wire) call(ctx context.Context, path, op string, class opClass, fields sign.Params) (*verified, error) {
	url := w.cfg.baseURL + path
	if path == "" {
		url = w.cfg.fileURL
	}
	p := sign.Params{{Key: "version", Value: "5.1.0"}, {Key: "encoding", Value: "UTF-8"}, {Key: "accessType", Value: "0"}, {Key: "merId", Value: w.cfg.merID}}
	for _, kv := range fields {
		p.Set(kv.Key, kv.Value)
	}
	signed, err := w.cfg.creds.signRequest(p)
	if err != nil {
		return nil, &wireError{op: op, rule: codeRule{outcome: outFailed, kind: channel.KindInvalidRequest}, err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(encodeForm(signed)))
	if err != nil {
		return nil, &wireError{op: op, rule: codeRule{outcome: outFailed, kind: channel.KindInvalidRequest}, err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")
	start := w.cfg.clock.Now()
	res, err := w.cfg.client.Do(req)
	if w.cfg.log != nil {
		defer func() {
			w.cfg.log.Debug("unionpay call", "op", op, "txnType", fields.Value("txnType"), "duration", w.cfg.clock.Since(start))
		}()
	}
	if err != nil {
		// Timeout, refused, reset: the request may have reached UnionPay.
		return nil, &wireError{op: op, rule: transportRule(), err: err}
	}
	defer res.Body.Close()
	limit := int64(maxAnswer)
	if path == "" {
		limit = maxFileAnswer
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, limit+1))
	switch {
	case err != nil:
		return nil, &wireError{op: op, rule: transportRule(), err: err}
	case res.StatusCode != http.StatusOK:
		return nil, &wireError{op: op, rule: transportRule(), err: fmt.Errorf("HTTP status %d", res.StatusCode)}
	case int64(len(body)) > limit:
		return nil, &wireError{op: op, rule: transportRule(), err: fmt.Errorf("answer larger than %d bytes", limit)}
	}
	v, err := w.cfg.trust.decodeOwnedAnswer(body, w.cfg.clock.Now())
	if err != nil {
		// An answer that does not verify is no answer: its respCode cannot be believed.
		return nil, &wireError{op: op, rule: transportRule(), err: err}
	}
	code := v.get("respCode")
	rule := classify(code, class)
	if rule.outcome == outSucceeded || rule.outcome == outProcessing && code == "00" || code == "A6" {
		return v, nil
	}
	return v, &wireError{op: op, code: code, msg: v.get("respMsg"), rule: rule}
}

// queryGaps are the waits before each query of the loop (unionpay.md §7.2: at most 6
// queries, 1, 2, 4, 8, 16, 32 s).
var queryGaps = []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second}

// pollQuery runs the §7.2 loop: query after each gap until the answer is final
// (succeeded or failed); "query again" answers (03/04/05 in respCode or origRespCode, 34
// right after submission, transport failures) keep it going. It returns the last rule and
// error; after the last query an undecided result stays Unknown, never Failed. Waiting is
// on the clock, so a virtual clock drives it in tests.
func pollQuery(ctx context.Context, clk clock.Clock, query func(context.Context) (*verified, error)) (codeRule, *verified, error) {
	last := transportRule()
	var lastV *verified
	var lastErr error
	for _, gap := range queryGaps {
		select {
		case <-ctx.Done():
			return last, lastV, ctx.Err()
		case <-clk.After(gap):
		}
		v, err := query(ctx)
		lastV, lastErr = v, err
		switch {
		case v == nil:
			last = transportRule()
		default:
			last = queryOutcome(v)
			if last.kind == channel.KindNotFound {
				last = codeRule{outcome: outUnknown, kind: channel.KindUnknown, retryable: true} // §7.2: 34 right after submission
			}
		}
		if last.outcome == outSucceeded || last.outcome == outFailed {
			return last, v, nil
		}
	}
	return last, lastV, lastErr
}

// fileZM downloads the reconciliation file of settleDate (MMdd) and returns a reader of
// its ZM entry (unionpay.md §9): fileContent is base64 of zlib-wrapped ZIP bytes. respCode
// 98 (not generated yet) is a *wireError of kind NotFound.
func (w *wire) fileZM(ctx context.Context, settleDate string) (io.Reader, string, error) {
	if w.cfg.fileURL == "" {
		return nil, "", errors.New("unionpay: field FileURL: required to download reconciliation files")
	}
	v, err := w.call(ctx, "", "file", opSync, sign.Params{
		{Key: "txnType", Value: "76"}, {Key: "txnSubType", Value: "01"}, {Key: "bizType", Value: "000000"},
		{Key: "channelType", Value: "07"}, {Key: "txnTime", Value: timeTxn(w.cfg.clock.Now())},
		{Key: "fileType", Value: "00"}, {Key: "settleDate", Value: settleDate},
	})
	if err != nil {
		return nil, "", err
	}
	raw, err := base64.StdEncoding.DecodeString(v.get("fileContent"))
	if err != nil {
		return nil, "", fmt.Errorf("unionpay file: fileContent is not base64: %w", errFormat)
	}
	zr, err := zlib.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, "", fmt.Errorf("unionpay file: fileContent is not zlib: %w", errFormat)
	}
	z, err := io.ReadAll(io.LimitReader(zr, maxFileAnswer))
	if err != nil {
		return nil, "", fmt.Errorf("unionpay file: inflating: %v: %w", err, errFormat)
	}
	ar, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		return nil, "", fmt.Errorf("unionpay file: not a ZIP: %w", errFormat)
	}
	for _, f := range ar.File {
		// INN + yyMMdd + 2 chars + "ZM_" + merId; the PHP demo tests name[11:14] (§9).
		if strings.HasPrefix(f.Name, "INN") && len(f.Name) > 14 && f.Name[11:14] == "ZM_" {
			r, err := f.Open()
			if err != nil {
				return nil, "", fmt.Errorf("unionpay file: %s: %v: %w", f.Name, err, errFormat)
			}
			return r, v.get("fileName"), nil
		}
	}
	return nil, "", fmt.Errorf("unionpay file: no ZM entry in %s: %w", v.get("fileName"), errFormat)
}
