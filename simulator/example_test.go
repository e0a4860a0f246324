package simulator_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/simulator"
	simwechat "github.com/tongdao/tongdao/simulator/wechat"
)

// wxMessage is a flat WeChat Pay v2 XML message.
type wxMessage map[string]string

func (m wxMessage) encode(key string) string {
	p := make(sign.Params, 0, len(m))
	for k, v := range m {
		p.Set(k, v)
	}
	s, err := sign.WeChatSign(p, key, sign.WeChatMD5)
	if err != nil {
		log.Fatal(err)
	}
	p.Set("sign", s)
	sort.Slice(p, func(i, j int) bool { return p[i].Key < p[j].Key })
	var b strings.Builder
	b.WriteString("<xml>")
	for _, kv := range p {
		fmt.Fprintf(&b, "<%s><![CDATA[%s]]></%s>", kv.Key, kv.Value, kv.Key)
	}
	b.WriteString("</xml>")
	return b.String()
}

func decodeXML(r io.Reader) wxMessage {
	m := wxMessage{}
	dec := xml.NewDecoder(r)
	var key string
	for {
		tok, err := dec.Token()
		if err != nil {
			return m
		}
		switch t := tok.(type) {
		case xml.StartElement:
			key = t.Name.Local
		case xml.CharData:
			if key != "" && key != "xml" {
				m[key] += string(t)
			}
		case xml.EndElement:
			key = ""
		}
	}
}

func postXML(url, body string) wxMessage {
	resp, err := http.Post(url, "text/xml", strings.NewReader(body))
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	return decodeXML(resp.Body)
}

// Example drives the simulator the way any merchant code does — plain signed WeChat Pay v2
// requests over HTTP, no tongdao adapter — and plays the payer through the Go API (the same
// as POST /_sim/payer/pay): a QR order, its notification, and a refund.
func Example() {
	proto, err := simwechat.New(simwechat.Config{})
	if err != nil {
		log.Fatal(err)
	}
	sim, err := simulator.New(simulator.Config{Protocols: []simulator.Protocol{proto}, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(sim) // in a test: simulator.Start(t, cfg)
	defer srv.Close()
	demo := simwechat.DemoMerchant()

	// The merchant's notify URL: verify the signature, then acknowledge.
	notified := make(chan string, 1)
	notify := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := decodeXML(r.Body)
		p := sign.Params{}
		for k, v := range m {
			if k != "sign" {
				p.Set(k, v)
			}
		}
		if err := sign.WeChatVerify(p, demo.Key, sign.WeChatMD5, m["sign"]); err != nil {
			http.Error(w, "bad signature", http.StatusBadRequest)
			return
		}
		notified <- fmt.Sprintf("notified: %s %s total_fee=%s", m["out_trade_no"], m["result_code"], m["total_fee"])
		io.WriteString(w, "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>")
	}))
	defer notify.Close()

	order := postXML(srv.URL+"/pay/unifiedorder", wxMessage{
		"appid": demo.AppIDs[0], "mch_id": demo.MchID, "nonce_str": "n1", "body": "Coffee",
		"out_trade_no": "SIM1001", "total_fee": "1999", "spbill_create_ip": "127.0.0.1",
		"notify_url": notify.URL, "trade_type": "NATIVE",
	}.encode(demo.Key))
	fmt.Println("unifiedorder:", order["return_code"], order["result_code"], strings.HasPrefix(order["code_url"], "weixin://"))

	if _, err := sim.Pay(context.Background(), simulator.PayerAction{Channel: "wechat", OutTradeNo: "SIM1001"}); err != nil {
		log.Fatal(err)
	}
	fmt.Println(<-notified)

	refund := postXML(srv.URL+"/secapi/pay/refund", wxMessage{
		"appid": demo.AppIDs[0], "mch_id": demo.MchID, "nonce_str": "n2", "out_trade_no": "SIM1001",
		"out_refund_no": "SIM1001R1", "total_fee": "1999", "refund_fee": "500",
	}.encode(demo.Key))
	fmt.Println("refund:", refund["return_code"], refund["result_code"], refund["refund_fee"])
	// Output:
	// unifiedorder: SUCCESS SUCCESS true
	// notified: SIM1001 SUCCESS total_fee=1999
	// refund: SUCCESS SUCCESS 500
}
