package wechat

import (
	"strconv"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/money"
)

func testOrder(st *store, realm, mch, no string) order {
	return order{
		orderProfile: st.profile(orderProfile{realm: realm, mchID: mch, appID: "wxapp", tradeType: "NATIVE", feeType: "CNY"}),
		outTradeNo:   no, totalFee: money.Fen(1), createdAt: unixNano(time.Unix(1717380000, 5)),
	}
}

func TestStore_FindsEveryOrderAcrossChunksRealmsAndMerchants(t *testing.T) {
	st := newStore()
	n := 2*chunkOrders + 3
	for i := range n {
		st.addOrder(testOrder(st, "", "m1", "N"+strconv.Itoa(i)))
	}
	st.addOrder(testOrder(st, "sandbox", "m1", "N1"))
	st.addOrder(testOrder(st, "", "m2", "N1"))
	for i := range n {
		no := "N" + strconv.Itoa(i)
		if o := st.order("", "m1", no); o == nil || o.outTradeNo != no || o.realm != "" || o.mchID != "m1" {
			t.Fatalf("order %s: got %+v", no, o)
		}
	}
	if o := st.order("sandbox", "m1", "N1"); o == nil || o.realm != "sandbox" {
		t.Fatalf("sandbox order: %+v", o)
	}
	if o := st.order("", "m2", "N1"); o == nil || o.mchID != "m2" {
		t.Fatalf("second merchant's order: %+v", o)
	}
	for _, miss := range [][3]string{{"", "m1", "N" + strconv.Itoa(n)}, {"", "m3", "N1"}, {"sandbox", "m2", "N1"}} {
		if o := st.order(miss[0], miss[1], miss[2]); o != nil {
			t.Fatalf("%q: found %+v", miss, o)
		}
	}
	seq := 0
	for o := range st.eachOrder {
		seq++
		if int(o.seq) != seq {
			t.Fatalf("iteration out of creation order: seq %d at %d", o.seq, seq)
		}
	}
	if seq != n+2 {
		t.Fatalf("iterated %d orders, want %d", seq, n+2)
	}
}

func TestStore_EqualTagsStillFindTheRightOrder(t *testing.T) {
	st := newStore()
	a := st.addOrder(testOrder(st, "", "m1", "A"))
	mk, _ := st.mk("", "m1", false)
	// A stray entry with B's tag pointing at A: B must be inserted and found past it.
	posA, _ := st.index.probe(st.orderTag(mk, "A"), func(uint32) bool { return true })
	st.index.insert(st.orderTag(mk, "B"), posA)
	b := st.addOrder(testOrder(st, "", "m1", "B"))
	if got := st.order("", "m1", "A"); got != a {
		t.Fatalf("A: got %+v", got)
	}
	if got := st.order("", "m1", "B"); got != b {
		t.Fatalf("B: got %+v", got)
	}
	if got := st.order("", "m1", "C"); got != nil {
		t.Fatalf("C: got %+v", got)
	}
}

func TestOrderTable_GrowsAndKeepsEveryEntry(t *testing.T) {
	var tb orderTable
	const n = 5000
	for i := range n {
		tb.insert(uint32(i%7), uint32(i)) // heavy tag collisions on purpose
	}
	if tb.n != n || len(tb.slots)*3 < n*4 {
		t.Fatalf("n = %d, slots = %d", tb.n, len(tb.slots))
	}
	for i := range n {
		pos, ok := tb.probe(uint32(i%7), func(p uint32) bool { return p == uint32(i) })
		if !ok || pos != uint32(i) {
			t.Fatalf("entry %d: %d, %v", i, pos, ok)
		}
	}
	if _, ok := tb.probe(7, func(uint32) bool { return true }); ok {
		t.Fatal("found an entry for an unused tag")
	}
}

func TestOrder_CompactFieldsReadBackAsWritten(t *testing.T) {
	st := newStore()
	o := testOrder(st, "", "m1", "X")
	g := idgen{next: func() uint64 { return 0xfedcba9876543210 }}
	o.prepayRnd, o.prepayAt = g.prepayRnd(), unixNano(beijing(2024, 6, 3, 10, 0, 0))
	o.codeRnd, o.hasCode = g.codeRnd(), true
	if got, want := o.prepayID(), "wx20240603100000"+"00000000000000000000"; got != want {
		t.Errorf("prepayID = %q, want %q", got, want)
	}
	if got := o.codeURL(); got != codeURLPrefix+"QQQQQQQ" {
		t.Errorf("codeURL = %q", got)
	}
	if !o.expires().IsZero() || o.paidAt() != (time.Time{}) || o.txnID() != "" || o.refunds() != nil || o.x != nil {
		t.Errorf("unset fields not empty or extras allocated: %+v", o)
	}
	for _, s := range tradeStates {
		o.setState(s)
		if o.state() != s {
			t.Errorf("state %s read back as %s", s, o.state())
		}
	}
	if got := o.created(); !got.Equal(time.Unix(1717380000, 5)) {
		t.Errorf("created = %v", got)
	}
}
