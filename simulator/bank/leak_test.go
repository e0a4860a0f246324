package bank_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongdao/tongdao/simulator"
	"github.com/tongdao/tongdao/simulator/bank"
	"github.com/tongdao/tongdao/simulator/demo"
)

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// TestNoCardDataInLogsRecordsOrAnswers drives binding (good and bad elements), payment,
// payout, notifications and a statement with every log record captured, then checks that
// no full card number, mobile or ID number appears in the logs, the transcript, the
// answers or the notifications.
func TestNoCardDataInLogsRecordsOrAnswers(t *testing.T) {
	var logs lockedBuf
	b, _ := bank.New(bank.Config{})
	sk := &sink{fail: 1}
	sim := simulator.Start(t, simulator.Config{Protocols: []simulator.Protocol{b}, Seed: 9,
		CallbackTransport: simulator.HandlerTransport(sk),
		Logger:            slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	e := &env{t: t, sim: sim, bank: b, sink: sk}
	e.c = &client{t: t, sim: sim, hc: &http.Client{Transport: sim.Transport()}, merchantID: bank.DemoMerchantID,
		certSerial: bank.DemoCertSerial, key: mustPriv(t, demo.MustFile(demo.BankMerchantPrivate)),
		bankSign: mustPub(t, demo.MustFile(demo.BankSignPublic)), bankEnc: mustPub(t, demo.MustFile(demo.BankEncPublic)),
		prof: cprof{uid: []byte("1234567812345678"), timeFmt: "20060102150405"}}

	var answers bytes.Buffer
	keep := func(a answer) { answers.Write(a.raw); answers.WriteByte('\n') }
	keep(e.c.call(bank.TxBindApply, bindData("B0", "U1", merge(g1Card, map[string]string{"mobile": "13552535507"}))))
	pno := e.bind("B1", "U1", g1Card)
	sim.AddFault(simulator.FaultPlan{Kind: simulator.FaultBusinessCode, Channel: bank.Name, Op: bank.TxPay, Code: "9999", Process: true, First: 1})
	keep(e.c.call(bank.TxPay, payData("P1", "U1", pno, "100")))
	keep(e.c.call(bank.TxPayout, map[string]string{"payoutNo": "O1", "cardNo": "6216261000000000034", "holderName": "李四",
		"amount": "100", "purpose": "p", "notifyUrl": "http://merchant.test/notify"}))
	keep(e.c.call(bank.TxPayout, map[string]string{"payoutNo": "O2", "cardNo": "6216261000000000011", "holderName": "李四",
		"amount": "100", "purpose": "p", "notifyUrl": "http://merchant.test/notify"}))
	e.advance(25 * time.Hour)
	body := e.statement("20240603")

	var transcript bytes.Buffer
	if err := sim.WriteTranscript(&transcript, simulator.RecordFilter{}); err != nil {
		t.Fatal(err)
	}
	if transcript.Len() == 0 || answers.Len() == 0 {
		t.Fatal("nothing captured")
	}
	var notes bytes.Buffer
	for _, n := range sk.all() {
		notes.Write(n)
	}
	logs.mu.Lock()
	logText := logs.b.String()
	logs.mu.Unlock()
	for name, text := range map[string]string{"logs": logText, "transcript": transcript.String(), "answers": answers.String(),
		"notifications": notes.String(), "statement": body} {
		for _, secret := range []string{"6216261000000000018", "6216261000000000034", "6216261000000000011", "13552535506",
			"13552535507", "13900139000", "341126197709218366"} {
			if strings.Contains(text, secret) {
				t.Errorf("%s contain %s", name, secret)
			}
		}
	}
	if !strings.Contains(transcript.String(), "135****5506") {
		t.Error("the SMS record does not show the masked mobile")
	}
}
