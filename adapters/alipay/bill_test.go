package alipay

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

const billHeader = "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注"

// writeBill writes a detail file (UTF-8; the caller GBK-encodes) in the layout of
// alipay.md §11 with n payment rows and one refund row per ten payments, CRLF endings,
// trailing TABs on text cells.
func writeBill(w io.Writer, n int) {
	fmt.Fprint(w, "#支付宝业务明细查询\r\n#账号：[20880211096256330156]\r\n#起始日期：[2026年11月21日 00:00:00]   终止日期：[2026年11月22日 00:00:00]\r\n")
	fmt.Fprint(w, "#-----------------------------------------业务明细列表----------------------------------------\r\n")
	fmt.Fprint(w, billHeader+"\r\n")
	var pays, refunds int64
	var payAmt, refundAmt int64
	for i := 0; i < n; i++ {
		fmt.Fprintf(w, "20261121220014457810%08d\t,T%08d\t,交易,测试商品 %d\t,2026-11-21 09:59:50,2026-11-21 10:00:05,\t,\t,\t,\t,150******31\t,88.88,88.88,0.00,0.00,0.00,0.00,0.00,\t,0.00,0.00,\t,-0.53,0.00,\t\r\n", i, i, i)
		pays++
		payAmt += 8888
		if i%10 == 9 {
			fmt.Fprintf(w, "20261121220014457810%08d\t,T%08d\t,退款,测试商品 %d\t,2026-11-21 09:59:50,2026-11-21 11:00:00,\t,\t,\t,\t,150******31\t,-30.00,-30.00,0.00,0.00,0.00,0.00,0.00,\t,0.00,0.00,R%08d\t,0.18,0.00,\t\r\n", i, i, i, i)
			refunds++
			refundAmt += 3000
		}
	}
	fmt.Fprint(w, "#-----------------------------------------业务明细列表结束------------------------------------\r\n")
	fmt.Fprintf(w, "#交易合计：%d笔，商家实收共%s元，商家优惠共0.00元\r\n", pays, money.Fen(payAmt).Decimal())
	fmt.Fprintf(w, "#退款合计：%d笔，商家实收退款共-%s元，商家优惠退款共0.00元\r\n", refunds, money.Fen(refundAmt).Decimal())
	fmt.Fprint(w, "#导出时间：[2026年11月22日 05:46:49]\r\n")
}

func gbk(t testing.TB, s string) string {
	out, err := simplifiedchinese.GBK.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// billZip builds the zip Alipay serves: GBK entry names without the UTF-8 flag, a
// summary file first and the detail file after it.
func billZip(t testing.TB, detail func(io.Writer)) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name string, body func(io.Writer)) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: gbk(t, name), Method: zip.Deflate, NonUTF8: true})
		require.NoError(t, err)
		tw := transform.NewWriter(w, simplifiedchinese.GBK.NewEncoder())
		body(tw)
		require.NoError(t, tw.Close())
	}
	add("20880211096256330156_20261121_业务明细(汇总).csv", func(w io.Writer) { fmt.Fprint(w, "#支付宝业务汇总查询\r\n门店编号,门店名称\r\n") })
	add("20880211096256330156_20261121_业务明细.csv", detail)
	require.NoError(t, zw.Close())
	return bytes.Clone(buf.Bytes()) // exact size: benchmarks subtract len from the live heap
}

var billDate = clock.Date{Year: 2026, Month: time.November, Day: 21}

func billHarness(t *testing.T, zipBytes []byte, edit ...func(*Config)) *harness {
	h := newHarness(t, keyMode, edit...)
	h.gw.onBody(methodBillURL, golden(t, "bill_url"))
	h.mt.RegisterRegexpResponder("GET", mustRegexp(`^http://dwbillcenter\.test/downloadBillFile\.resource`), httpmock.NewBytesResponder(200, zipBytes))
	return h
}

func readAll(t *testing.T, r channel.StatementReader) []channel.StatementRecord {
	t.Helper()
	var out []channel.StatementRecord
	for {
		var rec channel.StatementRecord
		err := r.Next(&rec)
		if err == io.EOF {
			return out
		}
		require.NoError(t, err)
		out = append(out, rec)
	}
}

func TestDownloadStatement_StreamsDetailFile(t *testing.T) {
	var tempDir string
	h := billHarness(t, billZip(t, func(w io.Writer) { writeBill(w, 10) }), func(c *Config) { tempDir = c.TempDir })
	r, err := h.c.DownloadStatement(context.Background(), &channel.StatementRequest{Date: billDate})
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"bill_type": "trade", "bill_date": "2026-11-21"}, biz(t, h.gw.last()))
	assert.Nil(t, r.Totals(), "no totals before EOF")
	recs := readAll(t, r)
	require.Len(t, recs, 11)
	pay := recs[0]
	assert.Equal(t, channel.StatementRecord{
		Channel: "alipay", Type: channel.RecordPayment, ChannelType: "交易",
		ChannelTxnID: "2026112122001445781000000000", OrderNo: "T00000000",
		Amount: money.Fen(8888), Fee: money.Fen(53), Status: channel.StatusSucceeded, ChannelStatus: "交易",
		ChannelTime:    time.Date(2026, 11, 21, 10, 0, 5, 0, clock.Beijing()),
		SettlementDate: billDate, Line: 6,
	}, pay)
	ref := recs[10]
	assert.Equal(t, channel.RecordRefund, ref.Type)
	assert.Equal(t, "R00000009", ref.RefundNo)
	assert.Equal(t, "T00000009", ref.OrderNo)
	assert.Equal(t, money.Fen(3000), ref.Amount, "refund amounts are made positive")
	assert.Equal(t, money.Fen(-18), ref.Fee, "a returned fee is negative")
	assert.Equal(t, &channel.StatementTotals{Count: 11, PaymentCount: 10, RefundCount: 1,
		PaymentAmount: money.Fen(88880), RefundAmount: money.Fen(3000), FeeAmount: money.Fen(512)}, r.Totals(),
		"FeeAmount is the rows' fees: 10 × 0.53 charged, 0.18 returned")
	require.NoError(t, r.Close())
	require.NoError(t, r.Close(), "Close is idempotent")
	left, err := os.ReadDir(tempDir)
	require.NoError(t, err)
	assert.Empty(t, left, "Close removes the spooled zip")
}

func TestDownloadStatement_FiltersByType(t *testing.T) {
	for _, tt := range []struct {
		typ  channel.StatementType
		want int
		fee  money.Amount
	}{{channel.StatementPayments, 20, money.Fen(1060)}, {channel.StatementRefunds, 2, money.Fen(-36)}, {channel.StatementAll, 22, money.Fen(1024)}} {
		t.Run(string(tt.typ), func(t *testing.T) {
			h := billHarness(t, billZip(t, func(w io.Writer) { writeBill(w, 20) }))
			r, err := h.c.DownloadStatement(context.Background(), &channel.StatementRequest{Date: billDate, Type: tt.typ})
			require.NoError(t, err)
			defer r.Close()
			recs := readAll(t, r)
			assert.Len(t, recs, tt.want)
			// Totals().FeeAmount is the sum of the Fee of the records returned.
			sum := money.Fen(0)
			for _, rec := range recs {
				sum, err = sum.Add(rec.Fee)
				require.NoError(t, err)
			}
			require.NotNil(t, r.Totals())
			assert.Equal(t, tt.fee, sum)
			assert.Equal(t, sum, r.Totals().FeeAmount)
		})
	}
}

func TestDownloadStatement_BillNotExist(t *testing.T) {
	tests := []struct {
		name string
		now  time.Time
		date clock.Date
		kind channel.Kind // 0 = empty statement
	}{
		{"past day: no transactions", testNow, billDate, 0},
		{"yesterday before the bill is due", time.Date(2026, 11, 22, 9, 0, 0, 0, clock.Beijing()), billDate, channel.KindUnavailable},
		{"today", time.Date(2026, 11, 21, 18, 0, 0, 0, clock.Beijing()), billDate, channel.KindUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, keyMode, func(c *Config) { c.Clock = clock.NewVirtual(tt.now) })
			h.gw.onBody(methodBillURL, golden(t, "bill_not_exist"))
			r, err := h.c.DownloadStatement(context.Background(), &channel.StatementRequest{Date: tt.date})
			if tt.kind != 0 {
				ce := kindOf(t, err)
				assert.Equal(t, tt.kind, ce.Kind)
				assert.True(t, ce.Retryable)
				return
			}
			require.NoError(t, err)
			assert.Empty(t, readAll(t, r))
			assert.Equal(t, int64(0), r.Totals().Count)
		})
	}
}

func TestDownloadStatement_BadDownloads(t *testing.T) {
	noDetail := func() []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, _ := zw.Create("other.csv")
		w.Write([]byte("x"))
		zw.Close()
		return buf.Bytes()
	}()
	tests := []struct {
		name      string
		responder httpmock.Responder
		max       int64
		kind      channel.Kind
	}{
		{"404", httpmock.NewStringResponder(404, "gone"), 0, channel.KindUnavailable},
		{"connection error", httpmock.NewErrorResponder(io.ErrUnexpectedEOF), 0, channel.KindUnavailable},
		{"larger than the cap", httpmock.NewBytesResponder(200, billZip(t, func(w io.Writer) { writeBill(w, 100) })), 512, channel.KindUnavailable},
		{"not a zip", httpmock.NewStringResponder(200, "<html>expired</html>"), 0, channel.KindInvalidRequest},
		{"no detail entry", httpmock.NewBytesResponder(200, noDetail), 0, channel.KindInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tempDir string
			h := newHarness(t, keyMode, func(c *Config) { c.MaxBillBytes = tt.max; tempDir = c.TempDir })
			h.gw.onBody(methodBillURL, golden(t, "bill_url"))
			h.mt.RegisterRegexpResponder("GET", mustRegexp(`^http://dwbillcenter\.test/`), tt.responder)
			_, err := h.c.DownloadStatement(context.Background(), &channel.StatementRequest{Date: billDate})
			assert.Equal(t, tt.kind, kindOf(t, err).Kind)
			left, _ := os.ReadDir(tempDir)
			assert.Empty(t, left, "no spool file left behind")
		})
	}
}

func TestBillReader_ParsesQuirks(t *testing.T) {
	text := "\ufeff#支付宝业务明细查询\n" +
		"支付宝交易号,商户订单号,业务类型,商品名称,完成时间,订单金额(元),服务费(元),退款批次号/请求号\n" +
		"\n" +
		`2026112122001,T1\t,交易,"苹果, 香蕉 ""大""",2026-11-21 10:00:05,1.5,,` + "\n" +
		"2026112122002,T2,其他,x,2026-11-21 10:00:06,0.01,-0.01,\n" +
		"#交易合计：1笔，商家实收共1.50元\n"
	r := newUTF8BillReader(strings.NewReader(strings.ReplaceAll(text, `\t`, "\t")), billDate, "", nil)
	recs := readAll(t, r)
	require.Len(t, recs, 2)
	assert.Equal(t, "T1", recs[0].OrderNo)
	assert.Equal(t, money.Fen(150), recs[0].Amount)
	assert.Equal(t, money.Fen(0), recs[0].Fee)
	assert.Equal(t, channel.RecordOther, recs[1].Type)
	assert.Equal(t, "其他", recs[1].ChannelType)
	assert.Equal(t, int64(1), r.Totals().PaymentCount)
}

func TestBillReader_MalformedLinesNameTheLine(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"missing column", "支付宝交易号,业务类型\n1,交易\n", "商户订单号"},
		{"bad amount", billHeader + "\n1,T1,交易,x,2026-11-21 10:00:00,2026-11-21 10:00:05,,,,,,1.001,1,0,0,0,0,0,,0,0,,0,0,\n", "line 2"},
		{"bad time", billHeader + "\n1,T1,交易,x,2026-11-21,2026-11-21 25:00:05,,,,,,1.00,1,0,0,0,0,0,,0,0,,0,0,\n", "line 2"},
		{"short row", billHeader + "\n1,T1,交易\n", "line 2"},
		{"unterminated quote", billHeader + "\n1,\"T1,交易\n", "line 2"},
		{"bad totals", "#交易合计：x笔\n", "totals"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newUTF8BillReader(strings.NewReader(tt.text), billDate, "", nil)
			var rec channel.StatementRecord
			var err error
			for err == nil {
				err = r.Next(&rec)
			}
			ce := kindOf(t, err)
			assert.Equal(t, channel.KindInvalidRequest, ce.Kind)
			assert.Contains(t, ce.Message, tt.want)
			assert.Equal(t, err, r.Next(&rec), "the reader stays failed")
		})
	}
}
