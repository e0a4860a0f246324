package wechat

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/tongdao/tongdao/core/channel"
)

func BenchmarkParseNotification(b *testing.B) {
	for _, file := range []string{"notify_payment.xml", "notify_payment_hmac.xml", "notify_refund.xml"} {
		b.Run(file, func(b *testing.B) {
			c := fuzzClient(b)
			body := []byte(golden(b, file))
			ctx := context.Background()
			b.ReportAllocs()
			cpu := processCPU()
			for b.Loop() {
				n, err := c.ParseNotification(ctx, nil, body)
				if err != nil || (n.Payment == nil && n.Refund == nil) {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

const (
	benchHeader = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注\n"
	benchTotals = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\n`0,`0.00,`0.00,`0.00,`0.00000,`0.00,`0.00\n"
)

// billGen generates a 27-column bill of n rows on the fly (every 10th a refund), so a
// million-row bill never exists in memory.
type billGen struct {
	n, i  int
	buf   []byte
	off   int
	state int // 0 header, 1 rows, 2 totals, 3 done
}

func (g *billGen) refill() {
	g.buf, g.off = g.buf[:0], 0
	switch g.state {
	case 0:
		g.buf = append(g.buf, benchHeader...)
		g.state = 1
	case 1:
		for k := 0; k < 64 && g.i < g.n; k, g.i = k+1, g.i+1 {
			g.buf = appendBenchRow(g.buf, g.i)
		}
		if g.i >= g.n {
			g.state = 2
		}
	case 2:
		g.buf = append(g.buf, benchTotals...)
		g.state = 3
	}
}

func (g *billGen) Read(p []byte) (int, error) {
	if g.off == len(g.buf) {
		if g.state == 3 {
			return 0, io.EOF
		}
		g.refill()
	}
	n := copy(p, g.buf[g.off:])
	g.off += n
	return n, nil
}

func appendBenchRow(b []byte, i int) []byte {
	b = append(b, "`2021-01-28 17:07:11,`wx81be3101902f7cb2,`1601959334,`0,`,`42000009252021012"...)
	b = strconv.AppendInt(b, int64(10000000000+i), 10)
	b = append(b, ",`S2021012817070"...)
	b = strconv.AppendInt(b, int64(i), 10)
	if i%10 == 9 {
		b = append(b, ",`ofyak5qR_1wYsC99CsWA6R9MJazA,`JSAPI,`REFUND,`OTHERS,`CNY,`0.00,`0.00,`5000050554201801100306"...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, ",`R"...)
		b = strconv.AppendInt(b, int64(i), 10)
		return append(b, ",`1.00,`0.00,`ORIGINAL,`SUCCESS,`for testing,`,`-0.00600,`0.60%,`12.34,`1.00,`\n"...)
	}
	return append(b, ",`ofyak5qR_1wYsC99CsWA6R9MJazA,`NATIVE,`SUCCESS,`OTHERS,`CNY,`12.34,`0.00,`0,`0,`0.00,`0.00,`,`,`for testing,`cipher code,`0.07404,`0.60%,`12.34,`0.00,`\n"...)
}

func drain(tb testing.TB, r channel.StatementReader, sample func(int)) int {
	var rec channel.StatementRecord
	n := 0
	for {
		err := r.Next(&rec)
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			tb.Fatal(err)
		}
		n++
		if sample != nil && n%100000 == 0 {
			sample(n)
		}
	}
}

// BenchmarkBillReader measures per-row cost: one op = one row (b.N rows in one bill).
func BenchmarkBillReader(b *testing.B) {
	b.ReportAllocs()
	r := NewBillReader(&billGen{n: b.N}, billDate, 0)
	b.ResetTimer()
	cpu := processCPU()
	if n := drain(b, r, nil); n != b.N {
		b.Fatalf("%d rows, want %d", n, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
}

// BenchmarkBillReader1M reads a generated million-row bill (plain and gzip, the gzip one
// as concatenated members of one compressed 10,000-row chunk) and reports rows/s and the
// largest heap in use sampled every 100,000 rows: memory stays flat in the row count.
func BenchmarkBillReader1M(b *testing.B) {
	const rows = 1_000_000
	var chunk bytes.Buffer
	zw := gzip.NewWriter(&chunk)
	for i := 0; i < 10_000; i++ {
		if _, err := zw.Write(appendBenchRow(nil, i)); err != nil {
			b.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	gz := func(s string) []byte {
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		_, _ = w.Write([]byte(s))
		_ = w.Close()
		return buf.Bytes()
	}
	for _, mode := range []string{"plain", "gzip"} {
		b.Run(mode, func(b *testing.B) {
			b.ReportAllocs()
			var peak uint64
			var ms runtime.MemStats
			sample := func(int) {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
			var elapsed, cpu time.Duration
			for b.Loop() {
				var src io.Reader = &billGen{n: rows}
				if mode == "gzip" {
					parts := []io.Reader{bytes.NewReader(gz(benchHeader))}
					for k := 0; k < rows/10_000; k++ {
						parts = append(parts, bytes.NewReader(chunk.Bytes()))
					}
					parts = append(parts, bytes.NewReader(gz(benchTotals)))
					zr, err := gzip.NewReader(io.MultiReader(parts...))
					if err != nil {
						b.Fatal(err)
					}
					src = zr
				}
				start, cpu0 := time.Now(), processCPU()
				if n := drain(b, NewBillReader(src, billDate, 0), sample); n != rows {
					b.Fatalf("%d rows", n)
				}
				elapsed += time.Since(start)
				cpu += processCPU() - cpu0
			}
			b.ReportMetric(float64(rows)*float64(b.N)/elapsed.Seconds(), "rows/s")
			b.ReportMetric(float64(rows)*float64(b.N)/cpu.Seconds(), "rows/cpu-s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}

// BenchmarkDecode compares the flat decoder with etree on the payment notification: the
// reason decodeFlat exists (same command, same machine load).
func BenchmarkDecode(b *testing.B) {
	body := []byte(golden(b, "notify_payment.xml"))
	b.Run("flat", func(b *testing.B) {
		b.ReportAllocs()
		cpu := processCPU()
		for b.Loop() {
			if _, err := decodeFlat(body, "xml"); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
	})
	b.Run("etree", func(b *testing.B) {
		b.ReportAllocs()
		cpu := processCPU()
		for b.Loop() {
			doc := etree.NewDocument()
			if err := doc.ReadFromBytes(body); err != nil {
				b.Fatal(err)
			}
			for _, e := range doc.Root().ChildElements() {
				_ = e.Text()
			}
		}
		b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
	})
}
