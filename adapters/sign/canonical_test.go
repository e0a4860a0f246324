package sign

import (
	"net/url"
	"testing"
)

// Official sign-content example, Alipay open platform docs, pinned in fzlee/alipay tests
// (alipay.md §4).
const alipayDocSignContent = `app_id=2014072300007148&biz_content={"button":[{"actionParam":"ZFB_HFCZ","actionType":"out","name":"话费充值"},{"name":"查询","subButton":[{"actionParam":"ZFB_YECX","actionType":"out","name":"余额查询"},{"actionParam":"ZFB_LLCX","actionType":"out","name":"流量查询"},{"actionParam":"ZFB_HFCX","actionType":"out","name":"话费查询"}]},{"actionParam":"http://m.alipay.com","actionType":"link","name":"最新优惠"}]}&charset=GBK&method=alipay.mobile.public.menu.add&sign_type=RSA2&timestamp=2014-07-24 03:07:50&version=1.0`

// Official notify verification example, Alipay opendocs notify page (alipay.md §10.4).
const alipayDocNotifyContent = `app_id=2015102700040153&body=大乐透2.1&buyer_id=2088102116773037&charset=utf-8&gmt_close=2016-07-19 14:10:46&gmt_payment=2016-07-19 14:10:47&notify_id=4a91b7a78a503640467525113fb7d8bg8e&notify_time=2016-07-19 14:10:49&notify_type=trade_status_sync&out_trade_no=0719141034-6418&refund_fee=0.00&seller_id=2088102119685838&subject=大乐透2.1&total_amount=2.00&trade_no=2016071921001003030200089909&trade_status=TRADE_SUCCESS&version=1.0`

func alipayDocRequest() Params {
	return Params{
		{"method", "alipay.mobile.public.menu.add"},
		{"sign", "SHOULD-BE-EXCLUDED"},
		{"app_id", "2014072300007148"},
		{"charset", "GBK"},
		{"sign_type", "RSA2"},
		{"timestamp", "2014-07-24 03:07:50"},
		{"version", "1.0"},
		{"biz_content", `{"button":[{"actionParam":"ZFB_HFCZ","actionType":"out","name":"话费充值"},{"name":"查询","subButton":[{"actionParam":"ZFB_YECX","actionType":"out","name":"余额查询"},{"actionParam":"ZFB_LLCX","actionType":"out","name":"流量查询"},{"actionParam":"ZFB_HFCX","actionType":"out","name":"话费查询"}]},{"actionParam":"http://m.alipay.com","actionType":"link","name":"最新优惠"}]}`},
		{"app_auth_token", ""},
	}
}

func alipayDocNotify() url.Values {
	v := url.Values{}
	for _, kv := range [][2]string{
		{"app_id", "2015102700040153"}, {"body", "大乐透2.1"}, {"buyer_id", "2088102116773037"},
		{"charset", "utf-8"}, {"gmt_close", "2016-07-19 14:10:46"}, {"gmt_payment", "2016-07-19 14:10:47"},
		{"notify_id", "4a91b7a78a503640467525113fb7d8bg8e"}, {"notify_time", "2016-07-19 14:10:49"},
		{"notify_type", "trade_status_sync"}, {"out_trade_no", "0719141034-6418"}, {"refund_fee", "0.00"},
		{"seller_id", "2088102119685838"}, {"subject", "大乐透2.1"}, {"total_amount", "2.00"},
		{"trade_no", "2016071921001003030200089909"}, {"trade_status", "TRADE_SUCCESS"}, {"version", "1.0"},
		{"sign_type", "RSA2"}, {"sign", "ZZZ"},
	} {
		v.Set(kv[0], kv[1])
	}
	return v
}

func TestCanonical_AlipayDocumentationExamples(t *testing.T) {
	if got := Canonical(alipayDocRequest(), AlipayRequestCanonical()); got != alipayDocSignContent {
		t.Fatalf("request:\ngot  %s\nwant %s", got, alipayDocSignContent)
	}
	if got := Canonical(ParamsFromValues(alipayDocNotify()), AlipayNotifyCanonical()); got != alipayDocNotifyContent {
		t.Fatalf("notify:\ngot  %s\nwant %s", got, alipayDocNotifyContent)
	}
}

func TestCanonical_Variants(t *testing.T) {
	p := Params{{"b", "2"}, {"a", "1"}, {"sign", "S"}, {"sign_type", "RSA2"}, {"e", ""}, {"B", "upper"}}
	tests := []struct {
		name string
		opts CanonicalOptions
		want string
	}{
		{"zero options keep sign, drop empty, byte order", CanonicalOptions{}, "B=upper&a=1&b=2&sign=S&sign_type=RSA2"},
		{"alipay request", AlipayRequestCanonical(), "B=upper&a=1&b=2&sign_type=RSA2"},
		{"alipay notify", AlipayNotifyCanonical(), "B=upper&a=1&b=2"},
		{"java keep empty", CanonicalOptions{Exclude: []string{"sign", "sign_type"}, KeepEmpty: true}, "B=upper&a=1&b=2&e="},
		{"suffix", CanonicalOptions{Exclude: []string{"sign"}, Suffix: "&key=K"}, "B=upper&a=1&b=2&sign_type=RSA2&key=K"},
		{"unionpay excludes only signature", UnionPayCanonical(), "B=upper&a=1&b=2&sign=S&sign_type=RSA2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Canonical(p, tt.opts); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
	if p[0].Key != "b" {
		t.Fatal("Canonical must not reorder the caller's Params")
	}
}

func TestCanonical_EmptyAndSuffixOnly(t *testing.T) {
	if got := Canonical(nil, CanonicalOptions{}); got != "" {
		t.Fatalf("nil params: %q", got)
	}
	if got := Canonical(Params{{"a", ""}}, CanonicalOptions{Suffix: "&key=K"}); got != "&key=K" {
		t.Fatalf("suffix only: %q", got)
	}
	if got := CanonicalMap(map[string]string{"z": "1", "a": "2"}, CanonicalOptions{}); got != "a=2&z=1" {
		t.Fatalf("map: %q", got)
	}
}

func TestCanonical_ManyParamsSpillToHeapSorted(t *testing.T) {
	var p Params
	for i := 99; i >= 0; i-- {
		p = append(p, Param{Key: string(rune('A'+i/26)) + string(rune('a'+i%26)), Value: "v"})
	}
	got := Canonical(p, CanonicalOptions{})
	q := p.Clone()
	q.Sort()
	want := Canonical(q, CanonicalOptions{})
	if got != want || got[:4] != "Aa=v" {
		t.Fatalf("unsorted and sorted differ or wrong start: %q", got[:20])
	}
}

func TestParams_SetGetDel(t *testing.T) {
	var p Params
	p.Set("a", "1")
	p.Set("b", "2")
	p.Set("a", "3")
	if len(p) != 2 || p.Value("a") != "3" {
		t.Fatalf("Set did not replace: %v", p)
	}
	if _, ok := p.Get("zz"); ok {
		t.Fatal("Get of absent key reported present")
	}
	p.Del("a")
	if len(p) != 1 || p.Value("b") != "2" {
		t.Fatalf("Del: %v", p)
	}
	if m := p.Map(); m["b"] != "2" || len(m) != 1 {
		t.Fatalf("Map: %v", m)
	}
}

func TestAppendCanonical_NoAllocations(t *testing.T) {
	p := Params{{"z", "1"}, {"y", "2"}, {"x", "3"}, {"sign", "s"}, {"a", ""}}
	buf := make([]byte, 0, 256)
	opts := WeChatCanonical()
	n := testing.AllocsPerRun(100, func() { buf = AppendCanonical(buf[:0], p, opts) })
	if n != 0 {
		t.Fatalf("AppendCanonical allocated %.1f times per run", n)
	}
	if string(buf) != "x=3&y=2&z=1" {
		t.Fatalf("got %q", buf)
	}
}
