package alipay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/simulator"
)

// BillTypeTrade is the acquiring business bill, the only bill_type simulated (§9.11).
const BillTypeTrade = "trade"

// StatementSpec: Alipay's accounting day is the natural Beijing day; a day's bill is
// available Config.BillReadyAfter (9 h) after it ends (§9.11).
func (s *Server) StatementSpec() simulator.StatementSpec {
	return simulator.StatementSpec{Cutoff: clock.NaturalDay, ReadyAfter: s.cfg.BillReadyAfter}
}

// Record field names the renderer reads from StatementRecord.Fields.
const (
	fPID        = "pid"
	fSubject    = "subject"
	fBody       = "body"
	fCreated    = "gmt_create"
	fStore      = "store_id"
	fOperator   = "operator_id"
	fTerminal   = "terminal_id"
	fBuyer      = "buyer_logon_id"
	fRequestNo  = "out_request_no"
	fCompletion = "completed"
)

// StatementRecords derives the trade bill of q.Day from what happened (§11): payments
// placed by payment time and refunds by refund time on the Beijing natural day — so a
// trade created at 23:59:59 and paid at 00:00:01 is in the next day's bill. Fee is the
// service fee at the app's rate, rounded half up to fen: positive (charged) on
// payments, negative (returned) on refunds [inferred]. q.Type must be "" or "trade".
func (s *Server) StatementRecords(ctx context.Context, q simulator.StatementQuery) ([]simulator.StatementRecord, error) {
	if q.Type != "" && q.Type != BillTypeTrade {
		return nil, fmt.Errorf("alipay bill: type %q: only trade is simulated: %w", q.Type, simulator.ErrInvalid)
	}
	on := func(t time.Time) bool { return !t.IsZero() && clock.DateOf(t, clock.Beijing()) == q.Day }
	s.mu.Lock()
	defer s.mu.Unlock()
	type seqRec struct {
		r   simulator.StatementRecord
		seq int
	}
	var out []seqRec
	for _, t := range s.st.seq {
		if q.Merchant != "" && t.appID != q.Merchant {
			continue
		}
		m := s.st.merchants[t.appID]
		if m == nil {
			continue
		}
		base := func(kind string, amt money.Amount, at time.Time) simulator.StatementRecord {
			return simulator.StatementRecord{
				Merchant: t.appID, Kind: kind, OutTradeNo: t.outTradeNo, ChannelTxnID: t.tradeNo,
				Amount: amt, Fee: m.fee(amt), Time: at, Status: StatusTradeSuccess, SettleDate: q.Day,
				Fields: map[string]string{
					fPID: m.PID, fSubject: t.subject, fBody: t.body, fCreated: wireTime(t.created),
					fStore: t.storeID, fOperator: t.operatorID, fTerminal: t.terminalID, fBuyer: t.buyerLogon,
					fCompletion: wireTime(at),
				},
			}
		}
		if on(t.paid) {
			out = append(out, seqRec{base("payment", t.total, t.paid), t.seq})
		}
		for _, rf := range t.refunds {
			if !on(rf.at) {
				continue
			}
			r := base("refund", rf.amount, rf.at)
			r.OutRefundNo = rf.queryNo
			r.Fields[fRequestNo] = rf.queryNo
			r.Fee, _ = r.Fee.Neg()
			r.Status = "REFUND_SUCCESS"
			out = append(out, seqRec{r, t.seq})
		}
	}
	// Stable order: completion time, then trade creation order (insertion sort: small).
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && (out[j].r.Time.Before(out[j-1].r.Time) || out[j].r.Time.Equal(out[j-1].r.Time) && out[j].seq < out[j-1].seq); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	recs := make([]simulator.StatementRecord, len(out))
	for i := range out {
		recs[i] = out[i].r
	}
	return recs, nil
}

// billFile is one bill handed out by bill_download_url, valid until expires.
type billFile struct {
	appID   string
	name    string
	zip     []byte
	expires time.Time
}

// billURL serves alipay.data.dataservice.bill.downloadurl.query (§9.11): a URL back to
// this simulator, valid Config.BillURLValidity (30 s) on the simulator clock. The bill is
// computed (through the engine, so statement faults apply) when the URL is issued. Days
// not yet available, today, monthly bills and signcustomer bills answer
// isp.bill_not_exist.
func (s *Server) billURL(x *exchange) answer {
	typ, date := x.r.str("bill_type"), x.r.str("bill_date")
	switch {
	case typ == "":
		return answer{err: bizErrMsg(subInvalidArguments, "缺少必选参数bill_type")}
	case date == "":
		return answer{err: bizErrMsg(subInvalidArguments, "缺少必选参数bill_date")}
	case typ != BillTypeTrade && typ != "signcustomer" && typ != "merchant_act" && typ != "trade_zft_merchant":
		return answer{err: bizErrMsg(subInvalidArguments, "参数不合法: bill_type")}
	}
	if len(date) == 7 { // monthly: not simulated
		if _, err := clock.ParseDate(date + "-01"); err != nil {
			return answer{err: bizErrMsg(subInvalidArguments, "参数不合法: bill_date")}
		}
		return answer{err: bizErr(subBillNotExist)}
	}
	day, err := clock.ParseDate(date)
	if err != nil {
		return answer{err: bizErrMsg(subInvalidArguments, "参数不合法: bill_date")}
	}
	if !day.Before(clock.DateOf(x.now, clock.Beijing())) || typ != BillTypeTrade {
		return answer{err: bizErr(subBillNotExist)}
	}
	q := simulator.StatementQuery{Merchant: x.ck.m.AppID, Day: day, Type: BillTypeTrade}
	recs, err := s.eng.Statement(x.c.Context(), q)
	if err != nil {
		var nr *simulator.NotReadyError
		if errors.As(err, &nr) {
			return answer{err: bizErr(subBillNotExist)}
		}
		return answer{err: &apiErr{code: codeUnknown, sub: subUnknownError, text: subMsg[subUnknownError]}}
	}
	b := s.renderBill(q, x.ck.m.PID, recs)
	rnd := s.eng.Rand()
	token := rnd.Hex(32)
	s.mu.Lock()
	s.st.bills[token] = &billFile{appID: x.ck.m.AppID, name: b.zipName, zip: b.zip, expires: x.now.Add(s.cfg.BillURLValidity)}
	s.mu.Unlock()
	scheme := "http"
	if x.c.Request.TLS != nil {
		scheme = "https"
	}
	user := x.ck.m.PID + "0156"
	v := url.Values{
		"bizType": {typ}, "userId": {user}, "fileType": {"csv.zip"}, "bizDates": {day.Compact()},
		"downloadFileName": {b.zipName}, "fileId": {"/trade/" + user + "/" + day.Compact() + ".csv.zip"},
		"timestamp": {strconv.FormatInt(x.now.UnixMilli(), 10)}, "token": {token},
	}
	return answer{fields: fields{"bill_download_url": scheme + "://" + x.c.Request.Host + simulator.PathPrefix(x.c.Request) + BillPath + "?" + v.Encode()}}
}

// serveBill serves the bill zip at BillPath while its URL is valid; an unknown or
// expired URL gets 404 with a short text [inferred: the real host's answer is not
// documented].
func (s *Server) serveBill(c *simulator.Call) *simulator.Reply {
	token := c.Request.URL.Query().Get("token")
	s.mu.Lock()
	f := s.st.bills[token]
	s.mu.Unlock()
	var app string
	if f != nil {
		app = f.appID
	}
	if c.Identify("bill.download", app, "") {
		return nil
	}
	if f == nil || !c.Now().Before(f.expires) {
		return &simulator.Reply{Status: http.StatusNotFound, ContentType: "text/plain; charset=utf-8", Body: []byte("file not exist or url expired")}
	}
	return &simulator.Reply{Status: http.StatusOK, ContentType: "application/zip",
		Header: http.Header{"Content-Disposition": {`attachment; filename="` + f.name + `"`}}, Body: f.zip}
}

// RenderStatement writes recs as the bill zip of §11 (for GET
// /_sim/statements/alipay/...?format=raw). The account is the app's partner id.
func (s *Server) RenderStatement(ctx context.Context, q simulator.StatementQuery, recs []simulator.StatementRecord, w io.Writer) (string, error) {
	pid := DemoPID
	s.mu.Lock()
	if m := s.st.merchants[q.Merchant]; m != nil {
		pid = m.PID
	} else if len(recs) > 0 && recs[0].Fields[fPID] != "" {
		pid = recs[0].Fields[fPID]
	}
	s.mu.Unlock()
	b := s.renderBill(q, pid, recs)
	_, err := w.Write(b.zip)
	return "application/zip", err
}
