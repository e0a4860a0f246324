package bank

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/simulator"
	simbank "github.com/tongdao/tongdao/simulator/bank"
	"github.com/tongdao/tongdao/simulator/demo"
)

// notes collects notifications posted by the simulator.
type notes struct {
	mu  sync.Mutex
	got [][]byte
}

func (n *notes) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	n.mu.Lock()
	n.got = append(n.got, b)
	n.mu.Unlock()
	_, _ = w.Write([]byte("OK"))
}

// simWire talks to simulator/bank with the demo merchant: the two sides were written
// independently from the wire reference, so this checks one against the other.
type simWire struct {
	t   *testing.T
	w   *wire
	s   serials
	sim *simulator.TestServer
	hc  *http.Client
	n   *notes
}

func newSimWire(t *testing.T) *simWire {
	b, err := simbank.New(simbank.Config{})
	if err != nil {
		t.Fatal(err)
	}
	n := &notes{}
	sim := simulator.Start(t, simulator.Config{Protocols: []simulator.Protocol{b}, Seed: 3, CallbackTransport: simulator.HandlerTransport(n)})
	mk, _ := sign.ParseSM2PrivateKey(demo.MustFile(demo.BankMerchantPrivate), nil)
	bs, _ := sign.ParseSM2PublicKey(demo.MustFile(demo.BankSignPublic))
	be, _ := sign.ParseSM2PublicKey(demo.MustFile(demo.BankEncPublic))
	w, err := newWire(wireConfig{MerchantID: simbank.DemoMerchantID, CertSerial: simbank.DemoCertSerial, MerchantKey: mk,
		BankSignKey: bs, BankEncKey: be, BankCertSerial: simbank.BankCertSerial})
	if err != nil {
		t.Fatal(err)
	}
	return &simWire{t: t, w: w, s: newSerials(simbank.DemoMerchantID, mk), sim: sim, hc: &http.Client{Transport: sim.Transport()}, n: n}
}

func (c *simWire) call(tx string, data map[string]string, serialParts ...string) *response {
	c.t.Helper()
	serial := c.s.fresh()
	if len(serialParts) > 0 {
		var err error
		if serial, err = c.s.derive(tx, serialParts...); err != nil {
			c.t.Fatal(err)
		}
	}
	req := request{TxCode: tx, ReqSerial: serial, ReqTime: c.sim.Clock().Now(), Data: data}
	body, err := c.w.seal(req)
	if err != nil {
		c.t.Fatal(err)
	}
	resp, err := c.hc.Post(c.sim.URL+simbank.GatewayPath, "application/json; charset=utf-8", bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r, err := c.w.open(raw, req)
	if err != nil {
		c.t.Fatalf("%s: %v", tx, err)
	}
	return r
}

func TestWire_AgainstSimulator(t *testing.T) {
	c := newSimWire(t)
	r := c.call("BIND_APPLY", map[string]string{"bindNo": "B1", "userId": "U1", "idType": "01", "cardNo": "6216261000000000018",
		"holderName": "全渠道", "idNo": "341126197709218366", "mobile": "13552535506"}, "B1")
	if r.Code != "0000" || r.str("bankCode") == "" {
		t.Fatalf("BIND_APPLY: %s %s", r.Code, r.Msg)
	}
	resp, _ := c.hc.Get(c.sim.URL + "/_sim/bank/sms?bind_no=B1")
	var sms simbank.SMS
	_ = json.NewDecoder(resp.Body).Decode(&sms)
	resp.Body.Close()
	if r := c.call("BIND_CONFIRM", map[string]string{"bindNo": "B1", "smsCode": "000000"}, "B1", "000000"); r.Code != "3002" || codeError("bind", r) == nil {
		t.Fatalf("wrong code: %s", r.Code)
	}
	r = c.call("BIND_CONFIRM", map[string]string{"bindNo": "B1", "smsCode": sms.Code}, "B1", sms.Code)
	pno := r.str("protocolNo")
	if r.Code != "0000" || pno == "" || r.str("cardNoMasked") != "621626*********0018" {
		t.Fatalf("BIND_CONFIRM: %s %s", r.Code, r.Msg)
	}
	pay := map[string]string{"orderNo": "P1", "userId": "U1", "protocolNo": pno, "amount": "10000", "subject": "s", "notifyUrl": "http://m.test/n"}
	first := c.call("PAY", pay, "P1")
	// A retry after a lost answer derives the same serial: the bank replays, never pays twice.
	again := c.call("PAY", pay, "P1")
	if first.Code != "0000" || again.str("bankSerial") != first.str("bankSerial") {
		t.Fatalf("PAY replay: %v / %v", first.Data, again.Data)
	}
	if r := c.call("REFUND", map[string]string{"refundNo": "R1", "orderNo": "P1", "amount": "2500"}, "R1"); r.Code != "0000" {
		t.Fatalf("REFUND: %s", r.Code)
	}
	if r := c.call("PAYOUT", map[string]string{"payoutNo": "O1", "cardNo": "6216261000000000026", "holderName": "张三", "amount": "800",
		"purpose": "p", "notifyUrl": "http://m.test/n"}, "O1"); r.Code != "0001" {
		t.Fatalf("PAYOUT: %s", r.Code)
	}
	if err := c.sim.Advance(24 * time.Hour); err != nil {
		t.Fatal(err)
	}
	// Notifications verify as the bank's.
	c.n.mu.Lock()
	got := append([][]byte(nil), c.n.got...)
	c.n.mu.Unlock()
	if len(got) != 2 {
		t.Fatalf("%d notifications", len(got))
	}
	for _, b := range got {
		if _, err := c.w.openNotification(b); err != nil {
			t.Fatalf("notification: %v", err)
		}
	}
	st := c.call("STMT_APPLY", map[string]string{"stmtDate": "20240603", "stmtType": "TRADE"})
	if st.Code != "0000" {
		t.Fatalf("STMT_APPLY: %s %s", st.Code, st.Msg)
	}
	resp, _ = c.hc.Get(c.sim.URL + simbank.FilesPrefix + st.str("fileId") + "?token=" + st.str("downloadToken"))
	gz, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	raw, err := openStatementFile(gz, st.str("fileSm3"))
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := parseStatement(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	tot := parsed.Totals
	if tot.Records != 3 || tot.PayAmount.Minor() != 10000 || tot.RefundAmount.Minor() != 2500 || tot.PayoutAmount.Minor() != 800 || tot.FeeTotal.Minor() != 30 {
		t.Fatalf("totals %+v\n%s", tot, raw)
	}
	if r := c.call("STMT_APPLY", map[string]string{"stmtDate": "20240604"}); codeError("statement", r) == nil || classify(r.Code).outcome != outcomeRetryLater {
		t.Fatalf("tomorrow's statement: %s", r.Code)
	}
}
