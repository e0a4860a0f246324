package wechat

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/shopspring/decimal"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

var billDate = clock.Date{Year: 2021, Month: time.January, Day: 28}

// readAll drains r and returns its records (copies) and the final error (nil for EOF).
func readAll(r channel.StatementReader) ([]channel.StatementRecord, error) {
	var out []channel.StatementRecord
	for {
		var rec channel.StatementRecord
		err := r.Next(&rec)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, rec)
	}
}

func bj(y int, mo time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, mo, d, h, mi, s, 0, clock.Beijing())
}

func TestBillReader_CurrentFormatAllTypes(t *testing.T) {
	r := NewBillReader(strings.NewReader(golden(t, "bill_all.txt")), billDate, 0)
	recs, err := readAll(r)
	if err != nil {
		t.Fatal(err)
	}
	want := []channel.StatementRecord{
		{Channel: "wechat", Type: channel.RecordPayment, ChannelType: "SUCCESS", ChannelStatus: "SUCCESS",
			ChannelTxnID: "4200000925202101284997714292", OrderNo: "S20210128170702357723", Amount: money.Fen(1),
			Fee: money.Fen(0), Status: channel.StatusSucceeded, ChannelTime: bj(2021, 1, 28, 17, 7, 11), SettlementDate: billDate, Line: 2},
		{Channel: "wechat", Type: channel.RecordPayment, ChannelType: "SUCCESS", ChannelStatus: "SUCCESS",
			ChannelTxnID: "4200000925202101284997714293", OrderNo: "S2", Amount: money.Fen(100000),
			Fee: money.Fen(600), Status: channel.StatusSucceeded, ChannelTime: bj(2021, 1, 28, 18, 0, 0), SettlementDate: billDate, Line: 3},
		{Channel: "wechat", Type: channel.RecordRefund, ChannelType: "REFUND", ChannelStatus: "SUCCESS",
			ChannelTxnID: "4200000925202101284997714293", OrderNo: "S2", RefundNo: "R2", ChannelRefundID: "50000505542018011003064518841",
			Amount: money.Fen(30000), Fee: money.Fen(-180), Status: channel.StatusSucceeded, ChannelTime: bj(2021, 1, 28, 19, 30, 45),
			SettlementDate: billDate, Line: 4},
		{Channel: "wechat", Type: channel.RecordReversal, ChannelType: "REVOKED", ChannelStatus: "REVOKED",
			ChannelTxnID: "4200000925202101284997714294", OrderNo: "MP3", Amount: money.Fen(235),
			Fee: money.Fen(1), FeeUnits: 1410, FeeScale: 5, Status: channel.StatusSucceeded, ChannelTime: bj(2021, 1, 28, 20, 0, 1), SettlementDate: billDate, Line: 5},
	}
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d: %+v", len(recs), len(want), recs)
	}
	for i := range want {
		if !recs[i].ChannelTime.Equal(want[i].ChannelTime) {
			t.Errorf("record %d time %v, want %v", i, recs[i].ChannelTime, want[i].ChannelTime)
		}
		recs[i].ChannelTime = want[i].ChannelTime
		if recs[i] != want[i] {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, recs[i], want[i])
		}
	}
	tot := r.Totals()
	wantTot := channel.StatementTotals{Count: 4, PaymentAmount: money.Fen(100236), RefundAmount: money.Fen(30000), FeeAmount: money.Fen(421)}
	if tot == nil {
		t.Fatal("no totals")
	}
	got := *tot
	if stated := decimal.New(421410, -5); !got.StatedFeeAmount.Equal(stated) {
		t.Errorf("StatedFeeAmount = %s, want %s (printed 4.21410)", got.StatedFeeAmount, stated)
	}
	got.StatedFeeAmount = decimal.Decimal{}
	if got != wantTot {
		t.Fatalf("totals = %+v, want %+v", got, wantTot)
	}
}

func TestBillReader_LegacyAndRefundFormats(t *testing.T) {
	r := NewBillReader(strings.NewReader(golden(t, "bill_legacy.txt")), billDate, 0)
	recs, err := readAll(r)
	if err != nil || len(recs) != 2 {
		t.Fatalf("legacy: %d records, %v", len(recs), err)
	}
	if recs[0].Amount != money.Fen(1234) || recs[0].Fee != money.Fen(7) || recs[0].FeeScale != 0 {
		t.Errorf("legacy payment %+v", recs[0])
	}
	if recs[1].Type != channel.RecordRefund || recs[1].Amount != money.Fen(234) || recs[1].Status != channel.StatusProcessing ||
		recs[1].RefundNo != "LR1" || recs[1].Fee != money.Fen(-1) {
		t.Errorf("legacy refund %+v", recs[1])
	}
	if tot := r.Totals(); tot == nil || tot.Count != 2 || tot.PaymentAmount != money.Fen(1234) || tot.RefundAmount != money.Fen(234) || tot.FeeAmount != money.Fen(6) {
		t.Errorf("legacy totals %+v", tot)
	}

	r = NewBillReader(strings.NewReader(golden(t, "bill_refund.txt")), billDate, 0)
	recs, err = readAll(r)
	if err != nil || len(recs) != 1 {
		t.Fatalf("refund bill: %d records, %v", len(recs), err)
	}
	if got := recs[0]; got.Type != channel.RecordRefund || got.Amount != money.Fen(500) || !got.ChannelTime.Equal(bj(2021, 1, 28, 8, 15, 0)) ||
		got.RefundNo != "R0" || got.Fee != money.Fen(-3) {
		t.Errorf("refund bill record %+v", got)
	}
	if tot := r.Totals(); tot == nil || tot.FeeAmount != money.Fen(-3) || tot.RefundAmount != money.Fen(500) {
		t.Errorf("refund totals %+v", tot)
	}
}

func TestBillReader_MalformedLinesNameTheLine(t *testing.T) {
	all := golden(t, "bill_all.txt")
	lines := strings.Split(all, "\r\n")
	tests := []struct {
		name string
		text string
		line string
	}{
		{"missing column", lines[0] + "\n" + strings.Replace(lines[1], ",`0.00000", "", 1) + "\n", "line 2"},
		{"bad amount", lines[0] + "\n" + strings.TrimSuffix(lines[1], "`0.01,`0.00,`") + "`0.0x1,`0.00,`\n", "line 2"},
		{"bad time", lines[0] + "\n" + strings.Replace(lines[1], "17:07:11", "25:07:11", 1) + "\n", "line 2"},
		{"bad fee", lines[0] + "\n" + strings.Replace(lines[1], "0.00000", "0.0.0", 1) + "\n", "line 2"},
		{"stray line", lines[0] + "\n" + lines[1] + "\nhello\n", "line 3"},
		{"header without ids", "a,b,c\n`1,`2,`3\n", "line 1"},
		{"line too long", lines[0] + "\n`" + strings.Repeat("x", 2000) + "\n", "line 2"},
		{"totals without row", lines[0] + "\n" + lines[5] + "\n", "line 2"},
		{"after totals", strings.TrimSuffix(all, "\r\n") + "\n`extra\n", "line 8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewBillReader(strings.NewReader(tc.text), billDate, 1024)
			_, err := readAll(r)
			ce := wantErr(t, err, channel.KindInvalidRequest, "BAD_BILL", false)
			if !strings.Contains(ce.Message, tc.line) {
				t.Errorf("message %q does not say %q", ce.Message, tc.line)
			}
			var rec channel.StatementRecord
			if again := r.Next(&rec); again != err {
				t.Errorf("reader not sticky after error: %v", again)
			}
			if r.Totals() != nil {
				t.Error("totals after an error")
			}
		})
	}
}

func TestParseFee_RoundsHalfAwayFromZero(t *testing.T) {
	tests := []struct {
		in    string
		fen   int64
		exact bool
	}{
		{"0.00000", 0, true}, {"0.00499", 0, false}, {"0.00500", 1, false}, {"0.01410", 1, false},
		{"6.00000", 600, true}, {"-1.80000", -180, true}, {"-0.00500", -1, false}, {"12", 1200, true}, {"0.1", 10, true},
	}
	for _, tc := range tests {
		fen, exact, err := parseFee([]byte(tc.in))
		if err != nil || fen != tc.fen || exact != tc.exact {
			t.Errorf("parseFee(%q) = %d, %v, %v; want %d, %v", tc.in, fen, exact, err, tc.fen, tc.exact)
		}
	}
	for _, bad := range []string{"", "-", ".5", "1.", "1.2.3", "abc", "1.123456789"} {
		if _, _, err := parseFee([]byte(bad)); err == nil {
			t.Errorf("parseFee(%q) accepted", bad)
		}
	}
}

func TestParseYuan_ExactOrRefused(t *testing.T) {
	tests := map[string]int64{"0.01": 1, "1000.00": 100000, "-3.5": -350, "12": 1200, "1,998,000.00": 199800000}
	for in, want := range tests {
		if got, err := parseYuan([]byte(in), money.CNY); err != nil || got != want {
			t.Errorf("parseYuan(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0.001", "x", "1.2.3", "99999999999999999999.00"} {
		if _, err := parseYuan([]byte(bad), money.CNY); err == nil {
			t.Errorf("parseYuan(%q) accepted", bad)
		}
	}
}

func gzipped(t testing.TB, s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestDownloadStatement_Answers(t *testing.T) {
	all := golden(t, "bill_all.txt")
	tests := []struct {
		name    string
		body    string
		records int
		kind    channel.Kind
		code    string
		retry   bool
	}{
		{"plain", all, 4, 0, "", false},
		{"gzip", gzipped(t, all), 4, 0, "", false},
		{"no bill", golden(t, "bill_nobill.xml"), 0, 0, "", false},
		{"no bill gzipped", gzipped(t, golden(t, "bill_nobill.xml")), 0, 0, "", false},
		{"bill creating", golden(t, "bill_creating.xml"), 0, channel.KindUnavailable, "Bill Creating", true},
		{"invalid date", golden(t, "bill_invalid_date.xml"), 0, channel.KindInvalidRequest, "20001", false},
		{"permission closed", "<xml><return_code>FAIL</return_code><return_msg>no permission</return_msg><error_code>20007</error_code></xml>", 0, channel.KindInvalidRequest, "20007", false},
		{"system error", "<xml><return_code>FAIL</return_code><return_msg>system error</return_msg></xml>", 0, channel.KindUnavailable, "system error", true},
		{"corrupt gzip", "\x1f\x8b\x08garbage", 0, channel.KindUnavailable, "BAD_RESPONSE", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.respond(t, "/pay/downloadbill", demoKey, sign.WeChatMD5, tc.body)
			r, err := e.c.DownloadStatement(context.Background(), &channel.StatementRequest{Date: billDate, Type: channel.StatementAll})
			if tc.code != "" {
				wantErr(t, err, tc.kind, tc.code, tc.retry)
				// The hint must agree with when the bill appears (09:00), issue 17.
				var ce *channel.Error
				if tc.code == "Bill Creating" && (!errors.As(err, &ce) || !strings.Contains(ce.Message, "from 09:00")) {
					t.Errorf("Bill Creating message %q does not say the bill comes at 09:00", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			recs, err := readAll(r)
			if err != nil || len(recs) != tc.records {
				t.Fatalf("%d records, %v", len(recs), err)
			}
			if r.Totals() == nil {
				t.Error("no totals")
			}
			sent := e.rec.last("/pay/downloadbill")
			if lookup(sent, "bill_date") != "20210128" || lookup(sent, "bill_type") != "ALL" || lookup(sent, "tar_type") != "GZIP" {
				t.Errorf("request %v", sent)
			}
		})
	}
}

func TestDownloadStatement_TypesTransportAndPlainOption(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.BillPlainText = true })
	e.respond(t, "/pay/downloadbill", demoKey, sign.WeChatMD5, golden(t, "bill_refund.txt"))
	r, err := e.c.DownloadStatement(context.Background(), &channel.StatementRequest{Date: billDate, Type: channel.StatementRefunds})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	sent := e.rec.last("/pay/downloadbill")
	if lookup(sent, "bill_type") != "REFUND" || lookup(sent, "tar_type") != "" {
		t.Errorf("request %v", sent)
	}
	_, err = e.c.DownloadStatement(context.Background(), &channel.StatementRequest{Date: billDate, Type: "fees"})
	wantErr(t, err, channel.KindInvalidRequest, "INVALID_FIELD", false)
	_, err = e.c.DownloadStatement(context.Background(), &channel.StatementRequest{})
	wantErr(t, err, channel.KindInvalidRequest, "INVALID_FIELD", false)

	e.mt.RegisterResponder(http.MethodPost, testBase+"/pay/downloadbill", httpmock.NewErrorResponder(timeoutErr{}))
	_, err = e.c.DownloadStatement(context.Background(), &channel.StatementRequest{Date: billDate})
	wantErr(t, err, channel.KindUnavailable, "TRANSPORT", true)
	e.mt.RegisterResponder(http.MethodPost, testBase+"/pay/downloadbill", httpmock.NewStringResponder(503, "busy"))
	_, err = e.c.DownloadStatement(context.Background(), &channel.StatementRequest{Date: billDate})
	wantErr(t, err, channel.KindUnavailable, "HTTP_503", true)
}
