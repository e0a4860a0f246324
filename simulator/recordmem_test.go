package simulator_test

import (
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/simulator"
)

// heapAfterGC is the live heap once garbage is collected.
func heapAfterGC() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// Merchants answering callbacks with 64 KiB pages made each record hold 64 KiB (1,743 of
// 20,000 records held 126 MB). A record keeps a bounded prefix and the full length.
func TestRecords_KeepABoundedPrefixOfLargeBodies(t *testing.T) {
	page := strings.Repeat("<p>not an acknowledgement</p>", 64<<10/30) // ~64 KiB, answered to every callback
	sink := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(page)) })
	fp := newFake()
	s, err := simulator.New(simulator.Config{Protocols: []simulator.Protocol{fp}, Seed: 1, CallbackTransport: simulator.HandlerTransport(sink)})
	if err != nil {
		t.Fatal(err)
	}
	const n = 500
	before := heapAfterGC()
	for i := 0; i < n; i++ {
		no := fmt.Sprintf("MEM%d", i)
		if st, body, err := post(t, s.Transport(), "/fake/pay", payBody(no)); err != nil || st != 200 {
			t.Fatalf("pay %s: %d %s %v", no, st, body, err)
		}
		if _, err := s.Pay(t.Context(), simulator.PayerAction{Channel: "fake", OutTradeNo: no}); err != nil {
			t.Fatal(err)
		}
	}
	after := heapAfterGC()
	recs := s.Records(simulator.RecordFilter{Kind: simulator.RecordCallback})
	if len(recs) != n {
		t.Fatalf("%d callback records, want %d", len(recs), n)
	}
	r := recs[0]
	if len(r.Response) != 4<<10 || r.ResponseLen != len(page) || !strings.HasPrefix(page, r.Response) {
		t.Errorf("callback record keeps %d bytes, response_len %d; want the first 4096 of %d", len(r.Response), r.ResponseLen, len(page))
	}
	perRecord := float64(after-before) / float64(3*n) // 3 records per order: call, payer, callback
	t.Logf("%.0f bytes of heap per record (%d records, merchant answers of %d bytes)", perRecord, 3*n, len(page))
	if perRecord > 8<<10 {
		t.Errorf("%.0f bytes per record: the 64 KiB answers are still kept", perRecord)
	}
	runtime.KeepAlive(s)
}
