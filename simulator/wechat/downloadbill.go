package wechat

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net/http"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/simulator"
)

// Download-bill failures (§9.3): unsigned XML with return_code=FAIL, return_msg and
// error_code (not err_code). 20002 "No Bill Exist" is from real traffic [field]; the
// other numeric codes are assigned from the list the spec quotes [inferred].
const (
	billCodeParam    = "20001"
	billCodeNoBill   = "20002"
	billCodeCreating = "20001"
	billCodeSystem   = "100"
	msgNoBill        = "No Bill Exist"
	msgBillCreating  = "Bill Creating"
)

// billWindowDays is how far back bills can be fetched: three months (§9.2).
const billWindowDays = 92

func billFail(msg, code string) reply {
	return reply{http.StatusOK, contentTypeXML, encodeXML(sign.Params{
		{Key: "return_code", Value: "FAIL"}, {Key: "return_msg", Value: msg}, {Key: "error_code", Value: code}})}
}

// downloadBill serves /pay/downloadbill (§9): the bill text (or its gzip with
// tar_type=GZIP) on success, the §9.3 XML otherwise. Production bills go through the
// engine, so statement fault plans (missing, extra or changed records, late bills)
// apply; sandbox bills are rendered from the sandbox's own orders.
func (s *Server) downloadBill(ctx context.Context, rc *reqCtx) reply {
	day, err := clock.ParseCompactDate(rc.v("bill_date"))
	if err != nil || len(rc.v("bill_date")) != 8 {
		return billFail("invalid bill_date", billCodeParam)
	}
	typ := rc.v("bill_type")
	if typ == "" {
		typ = BillAll
	}
	switch typ {
	case BillAll, BillSuccess, BillRefund, BillRechargeRefund:
	default:
		return billFail("invalid bill_type", billCodeParam)
	}
	tar := rc.v("tar_type")
	if tar != "" && tar != "GZIP" {
		return billFail("invalid tar_type: Only GZIP supported", billCodeParam)
	}
	s.mu.Lock()
	now := s.clk.Now()
	eng := s.eng
	s.mu.Unlock()
	today := clock.DateOf(now, clock.Beijing())
	if day.After(today) || day.Before(today.AddDays(-billWindowDays)) {
		return billFail("invalid bill_date", billCodeParam)
	}
	if bf, ok := rc.c.businessFault(); ok {
		if bf.code == simulator.CodeNotFound {
			return billFail(msgNoBill, billCodeNoBill)
		}
		msg := bf.message
		if msg == "" {
			msg = "system error"
		}
		return billFail(msg, billCodeSystem)
	}
	q := simulator.StatementQuery{Merchant: rc.m.MchID, Day: day, Type: typ}
	var recs []simulator.StatementRecord
	if rc.realm == "" && eng != nil {
		recs, err = eng.Statement(ctx, q)
	} else {
		if now.Before(day.AddDays(1).Start(clock.Beijing()).Add(s.billReadyAfter())) {
			return billFail(msgBillCreating, billCodeCreating)
		}
		recs, err = s.billRecords(rc.realm, q)
	}
	var nre *simulator.NotReadyError
	switch {
	case errors.As(err, &nre):
		return billFail(msgBillCreating, billCodeCreating)
	case err != nil:
		return billFail("system error", billCodeSystem)
	case len(recs) == 0:
		return billFail(msgNoBill, billCodeNoBill)
	}
	var text bytes.Buffer
	ct, err := s.RenderStatement(ctx, q, recs, &text)
	if err != nil {
		return billFail("system error", billCodeSystem)
	}
	if tar != "GZIP" {
		return reply{http.StatusOK, ct, text.Bytes()}
	}
	// §9.5: a gzip of exactly the plain-text body; Content-Type not confirmed.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(text.Bytes()); err != nil {
		return billFail("system error", billCodeSystem)
	}
	if err := zw.Close(); err != nil {
		return billFail("system error", billCodeSystem)
	}
	return reply{http.StatusOK, "application/octet-stream", gz.Bytes()}
}
