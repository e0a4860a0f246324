package bank

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/simulator"
)

// syncBuffer collects log output from every goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestNoCardDataInLogsErrorsOrResults drives the whole bank flow — bind (debit and credit),
// resend, confirm, pay, refund, payout and its return, notifications, statements, balance —
// and failures with bad input, bad elements and injected faults, with one slog handler at
// debug level receiving every record of the adapter and the simulator. Every log line,
// every error string (and its Raw), every result and notification (printed with %+v) and
// the simulator's transcript is scanned for the test cards' numbers, mobiles and ID
// numbers in full.
func TestNoCardDataInLogsErrorsOrResults(t *testing.T) {
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := newSimEnv(t, log)

	var seen []string // every error and result, printed
	note := func(v any, err error) {
		if err != nil {
			seen = append(seen, err.Error())
			var ce *channel.Error
			if errors.As(err, &ce) {
				seen = append(seen, string(ce.Raw), fmt.Sprintf("%+v", ce))
			}
		}
		if v != nil {
			seen = append(seen, fmt.Sprintf("%+v", v), fmt.Sprintf("%#v", v))
		}
	}
	bind := func(bindNo, user string, c channel.Card) string {
		ch, err := e.c.SendBindSMS(e.ctx, &channel.BindRequest{BindNo: bindNo, UserID: user, Card: c})
		note(ch, err)
		if err != nil {
			return ""
		}
		if ch.AlreadyBound != nil {
			note(ch.AlreadyBound, nil)
			return ch.AlreadyBound.Token
		}
		b, err := e.c.ConfirmBind(e.ctx, &channel.BindConfirmRequest{BindNo: bindNo, UserID: user, SMSCode: e.smsCode(bindNo)})
		note(b, err)
		if err != nil {
			return ""
		}
		return b.Token
	}

	// Happy paths.
	tq := bind("LB1", "U1", cardQ)
	tc := bind("LB2", "U1", cardC)
	note(e.c.SendBindSMS(e.ctx, &channel.BindRequest{BindNo: "LB3", UserID: "U1", Card: cardQ})) // already bound
	for i, tok := range []string{tq, tc} {
		no := fmt.Sprintf("LP%d", i)
		note(e.pay(no, "U1", tok, 5000))
		note(e.c.Query(e.ctx, &channel.QueryRequest{OrderNo: no}))
		note(e.c.Refund(e.ctx, &channel.RefundRequest{RefundNo: "LR" + no, OrderNo: no, Amount: money.Fen(100)}))
		note(e.c.QueryRefund(e.ctx, &channel.RefundQueryRequest{RefundNo: "LR" + no}))
	}
	note(e.c.Payout(e.ctx, &channel.PayoutRequest{PayoutNo: "LO1", Card: cardL, Amount: money.Fen(300), Purpose: "p"}))
	note(e.c.Payout(e.ctx, &channel.PayoutRequest{PayoutNo: "LO2", Card: cardZ, Amount: money.Fen(300), Purpose: "p"}))
	note(e.c.QueryBalance(e.ctx, nil))
	note(e.c.QueryBinding(e.ctx, &channel.BindingQuery{UserID: "U1"}))

	// Bad input and declines.
	bad := []channel.Card{
		{Number: "6216261000000000019", HolderName: "全渠道", IDNumber: "341126197709218366", Mobile: "13552535506"},              // Luhn
		{Number: cardQ.Number, HolderName: "全渠道", IDNumber: "341126197709218366", Mobile: "13552535599"},                       // mobile mismatch (3001)
		{Number: cardQ.Number, HolderName: "全渠道", IDNumber: "341126197709218367", Mobile: "13552535506"},                       // ID check char
		{Number: cardQ.Number, HolderName: "qu", IDNumber: "341126197709218366", Mobile: "1355253550"},                         // name, mobile format
		{Number: "6216261000000000059", HolderName: "赵六", IDNumber: "310101198001010018", Mobile: "13600136000"},               // frozen (2002)
		{Number: cardC.Number, HolderName: "全渠道", IDNumber: cardC.IDNumber, Mobile: cardC.Mobile, CVN2: "999", Expiry: "3012"}, // wrong CVN2
	}
	for i, c := range bad {
		note(e.c.SendBindSMS(e.ctx, &channel.BindRequest{BindNo: fmt.Sprintf("LX%d", i), UserID: "U2", Card: c}))
	}
	note(e.c.Payout(e.ctx, &channel.PayoutRequest{PayoutNo: "LO3", Card: cardC, Amount: money.Fen(1), Purpose: "p"}))    // credit card 3008
	note(e.c.Payout(e.ctx, &channel.PayoutRequest{PayoutNo: "LO4", Card: bad[0], Amount: money.Fen(1), Purpose: "p"}))   // Luhn
	note(e.c.Payout(e.ctx, &channel.PayoutRequest{PayoutNo: "LO5", Card: cardZ, Amount: money.Fen(1e12), Purpose: "p"})) // amount
	note(e.c.ConfirmBind(e.ctx, &channel.BindConfirmRequest{BindNo: "LX1", UserID: "U2", SMSCode: "000000"}))

	// Faults: unverifiable, lost and malformed answers on card-carrying calls.
	for _, k := range []simulator.FaultKind{simulator.FaultBadSignature, simulator.FaultTimeoutAfter, simulator.FaultMalformedBody, simulator.FaultHTTP5xx} {
		for _, op := range []string{"BIND_APPLY", "PAYOUT"} {
			if _, err := e.sim.AddFault(simulator.FaultPlan{Kind: k, Channel: "bank", Op: op, First: 1}); err != nil {
				t.Fatal(err)
			}
		}
		note(e.c.SendBindSMS(e.ctx, &channel.BindRequest{BindNo: "LF" + string(k)[:3], UserID: "U3", Card: cardZ}))
		note(e.c.Payout(e.ctx, &channel.PayoutRequest{PayoutNo: "LF" + string(k)[:3], Card: cardZ, Amount: money.Fen(1), Purpose: "p"}))
	}
	if _, err := e.sim.AddFault(simulator.FaultPlan{Kind: simulator.FaultForgedCallback, Channel: "bank", Op: "PAY_RESULT", First: 1}); err != nil {
		t.Fatal(err)
	}
	note(e.pay("LP9", "U1", tq, 100))
	note(e.c.ParseNotification(e.ctx, nil, []byte(`{"cardNo":"6216261000000000018","mobile":"13552535506"}`)))

	// Time passes: payouts settle and one returns; notifications; statements.
	e.advance(10 * time.Second)
	e.advance(25 * time.Hour)
	e.advance(24 * time.Hour)
	for _, n := range e.in.all() {
		note(n, nil)
	}
	e.in.mu.Lock()
	for _, err := range e.in.errs {
		note(nil, err)
	}
	e.in.mu.Unlock()
	day := e.sim.Clock().Now().AddDate(0, 0, -2)
	for d := 0; d < 3; d++ {
		rd, err := e.c.DownloadStatement(e.ctx, &channel.StatementRequest{Date: clock.DateOf(day.AddDate(0, 0, d), clock.Beijing())})
		note(nil, err)
		if err != nil {
			continue
		}
		var r channel.StatementRecord
		for rd.Next(&r) == nil {
			note(r, nil)
		}
		note(rd.Totals(), nil)
		rd.Close()
	}

	var transcript bytes.Buffer
	if err := e.sim.WriteTranscript(&transcript, simulator.RecordFilter{}); err != nil {
		t.Fatal(err)
	}
	if len(logs.String()) == 0 || len(seen) < 40 {
		t.Fatalf("the test saw too little: %d bytes of logs, %d results and errors", len(logs.String()), len(seen))
	}
	secrets := map[string]bool{}
	for _, c := range append([]channel.Card{cardQ, cardZ, cardL, cardW, cardC}, bad...) {
		for _, s := range []string{c.Number, c.Mobile, c.IDNumber} {
			if s != "" {
				secrets[s] = true
			}
		}
	}
	sources := map[string]string{"log": logs.String(), "transcript": transcript.String(), "results and errors": strings.Join(seen, "\n")}
	for name, text := range sources {
		for s := range secrets {
			if i := strings.Index(text, s); i >= 0 {
				lo, hi := max(0, i-80), min(len(text), i+len(s)+40)
				t.Errorf("%s contains a full card number, mobile or ID number %s…: %q", name, s[:4], text[lo:hi])
			}
		}
	}
}
