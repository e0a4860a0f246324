package bank

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/simulator"
)

// StmtTypeTrade is the only statement type (§6 STMT_APPLY stmtType).
const StmtTypeTrade = "TRADE"

// downloadTTL: a download token is valid 30 minutes and once (§11.2).
const downloadTTL = 30 * time.Minute

const notifyTimeout = 10 * time.Second

// Statement record Fields (read by RenderStatement).
const (
	fTxType     = "txType"
	fOrigNo     = "origOrderNo"
	fReqTime    = "reqTime"
	fCardMasked = "cardNoMasked"
	fCardType   = "cardType"
	fProtocolNo = "protocolNo"
)

// StatementRecords derives day q.Day's statement from what happened (§11): PAY, REFUND
// and PAYOUT that reached SUCCESS (or later RETURNED) with that clearing day, and RETURN
// records for payouts bounced on that day, sorted by finish time then bankSerial.
func (s *Server) StatementRecords(ctx context.Context, q simulator.StatementQuery) ([]simulator.StatementRecord, error) {
	if q.Type != "" && q.Type != StmtTypeTrade {
		return nil, fmt.Errorf("bank statement: type %q: only TRADE: %w", q.Type, simulator.ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []simulator.StatementRecord
	for _, id := range s.st.merchantIDs {
		if q.Merchant != "" && id != q.Merchant {
			continue
		}
		m := s.st.merchants[id]
		for _, t := range m.txns {
			if (t.status == StatusSuccess || t.status == StatusReturned) && t.settle == q.Day {
				out = append(out, s.record(m, t, t.kind, t.finish))
			}
			if t.status == StatusReturned && s.settleDay(t.returned) == q.Day {
				r := s.record(m, t, "RETURN", t.returned)
				r.Fields[fOrigNo] = t.no
				r.SettleDate = q.Day
				out = append(out, r)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Time.Equal(out[j].Time) {
			return out[i].Time.Before(out[j].Time)
		}
		return out[i].ChannelTxnID < out[j].ChannelTxnID
	})
	return out, nil
}

func (s *Server) record(m *mstate, t *txn, txType string, at time.Time) simulator.StatementRecord {
	kind := map[string]string{"PAY": "payment", "REFUND": "refund", "PAYOUT": "payout", "RETURN": "reversal"}[txType]
	r := simulator.StatementRecord{
		Merchant: m.cfg.MerchantID, Kind: kind, OutTradeNo: t.no, ChannelTxnID: t.bankSerial,
		Amount: t.amount, Fee: money.Fen(0), Time: at, Status: StatusSuccess, SettleDate: t.settle,
		Fields: map[string]string{fTxType: txType, fReqTime: t.reqTime.In(beijing()).Format(timeCompact),
			fCardMasked: maskPAN(t.cardNo), fProtocolNo: t.protocolNo},
	}
	if txType == "PAY" {
		r.Fee = t.fee
	}
	if txType == "REFUND" {
		r.OutTradeNo, r.OutRefundNo = t.origNo, t.no
		r.Fields[fOrigNo] = t.origNo
	}
	if txType == "RETURN" {
		r.Status = StatusReturned
	}
	if c := s.st.cards[t.cardNo]; c != nil {
		r.Fields[fCardType] = c.CardType
	} else {
		r.Fields[fCardType] = "DC"
	}
	return r
}

// RenderStatement writes recs in the §11.3 format (uncompressed; the download path
// gzips it): H line, D lines, T line with totals.
func (s *Server) RenderStatement(ctx context.Context, q simulator.StatementQuery, recs []simulator.StatementRecord, w io.Writer) (string, error) {
	var b bytes.Buffer
	now := time.Time{}
	if s.eng != nil {
		now = s.eng.Now()
	}
	fmt.Fprintf(&b, "H|BDC|1.0|%s|%s|%s\n", clean(q.Merchant), q.Day.Compact(), now.In(beijing()).Format(timeCompact))
	type tot struct {
		n   int
		amt int64
	}
	tots := map[string]*tot{"PAY": {}, "REFUND": {}, "PAYOUT": {}, "RETURN": {}}
	var feeTotal int64
	for i, r := range recs {
		// Kind, not Fields, decides the type: an extra record fabricated by a statement
		// fault copies another record's Fields but is always a payment.
		txType := map[string]string{"payment": "PAY", "refund": "REFUND", "payout": "PAYOUT", "reversal": "RETURN"}[r.Kind]
		if txType == "" {
			txType = "PAY"
		}
		orig := r.Fields[fOrigNo]
		if txType == "PAY" || txType == "PAYOUT" {
			orig = ""
		}
		no := r.OutTradeNo
		if txType == "REFUND" {
			no = r.OutRefundNo
		}
		fee, net := int64(0), r.Amount.Minor()
		if txType == "PAY" {
			fee = r.Fee.Minor()
			net -= fee
		}
		feeTotal += fee
		tots[txType].n++
		tots[txType].amt += r.Amount.Minor()
		settle := r.SettleDate
		fmt.Fprintf(&b, "D|%d|%s|%s|%s|%s|%s|%s|%s|%d|%d|%d|%s|%s|%s|%s\n", i+1, txType, clean(r.ChannelTxnID), clean(no),
			clean(orig), clean(r.Fields[fReqTime]), r.Time.In(beijing()).Format(timeCompact), settle.Compact(),
			r.Amount.Minor(), fee, net, clean(r.Status), clean(r.Fields[fCardMasked]), clean(r.Fields[fCardType]), clean(r.Fields[fProtocolNo]))
	}
	fmt.Fprintf(&b, "T|%d|%d|%d|%d|%d|%d|%d|%d|%d|%d\n", len(recs), tots["PAY"].n, tots["PAY"].amt, tots["REFUND"].n, tots["REFUND"].amt,
		tots["PAYOUT"].n, tots["PAYOUT"].amt, tots["RETURN"].n, tots["RETURN"].amt, feeTotal)
	_, err := w.Write(b.Bytes())
	return "text/plain; charset=utf-8", err
}

// clean keeps the separator and newlines out of a field (§11.3).
func clean(v string) string { return strings.NewReplacer("|", "", "\n", "", "\r", "").Replace(v) }

// stmtApply is STMT_APPLY (§11.2): render the day's statement (through the engine, so
// statement faults apply), gzip it and hand out a one-time download token.
func (s *Server) stmtApply(x *exchange) result {
	day, bad := x.field("stmtDate", true, reDate, "yyyyMMdd")
	if bad != nil {
		return *bad
	}
	typ, bad := x.field("stmtType", false, nil, "")
	if bad != nil {
		return *bad
	}
	if typ != "" && typ != StmtTypeTrade {
		return malformed("stmtType", "want TRADE")
	}
	d, err := clock.ParseCompactDate(day)
	if err != nil {
		return malformed("stmtDate", "want a real date yyyyMMdd")
	}
	q := simulator.StatementQuery{Merchant: x.m.cfg.MerchantID, Day: d, Type: StmtTypeTrade}
	// Engine.Statement calls back into StatementRecords, which takes s.mu.
	s.mu.Unlock()
	recs, err := s.eng.Statement(x.c.Context(), q)
	var raw bytes.Buffer
	if err == nil {
		_, err = s.RenderStatement(x.c.Context(), q, recs, &raw)
	}
	s.mu.Lock()
	var nr *simulator.NotReadyError
	if errors.As(err, &nr) {
		return res(codeNotReady)
	}
	if err != nil {
		return res(codeSystem)
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	zw.ModTime = time.Time{} // deterministic bytes
	_, _ = zw.Write(raw.Bytes())
	_ = zw.Close()
	f := &file{id: "F" + s.eng.Rand().Alnum(20), merchant: x.m.cfg.MerchantID,
		name: "BDC_" + x.m.cfg.MerchantID + "_" + day + ".txt.gz", gz: gz.Bytes(),
		token: s.eng.Rand().Alnum(32), expires: x.now.Add(downloadTTL)}
	s.st.files[f.id] = f
	sum := sign.SM3(f.gz)
	return withData(codeOK, map[string]any{"fileId": f.id, "fileName": f.name, "fileSize": strconv.Itoa(len(f.gz)),
		"fileSm3": hex.EncodeToString(sum[:]), "recordCount": strconv.Itoa(len(recs)), "downloadToken": f.token,
		"tokenExpireTime": f.expires.In(beijing()).Format(timeCompact)})
}

// serveFile is GET /bdc/files/{fileId}?token= (§11.2): 200 gzip; 404 unknown file; 410
// token expired or used (or wrong).
func (s *Server) serveFile(c *simulator.Call) *simulator.Reply {
	id := strings.TrimPrefix(c.Request.URL.Path, FilesPrefix)
	token := c.Request.URL.Query().Get("token")
	s.mu.Lock()
	f := s.st.files[id]
	mid := ""
	if f != nil {
		mid = f.merchant
	}
	s.mu.Unlock()
	if c.Identify("file_download", mid, id) {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if f == nil {
		return plain(http.StatusNotFound, "no such file")
	}
	if f.used || !c.Now().Before(f.expires) || !sign.EqualString(token, f.token) {
		return plain(http.StatusGone, "download token expired, used or wrong")
	}
	f.used = true
	return &simulator.Reply{ContentType: "application/gzip", Body: f.gz}
}
