package bank_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/tongdao/tongdao/adapters/bank"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/simulator"
	simbank "github.com/tongdao/tongdao/simulator/bank"
	"github.com/tongdao/tongdao/simulator/demo"
)

// Example binds the simulator's demo card to a user (the SMS code read from the
// simulator's control API, as the cardholder would type it), pays 1.00 yuan with the
// agreement and refunds part of it.
func Example() {
	p, _ := simbank.New(simbank.Config{})
	sim, _ := simulator.New(simulator.Config{Protocols: []simulator.Protocol{p}, Seed: 1})
	hc := &http.Client{Transport: sim.Transport()}
	const base = "http://sim.test"
	ctx := context.Background()

	c, err := bank.New(bank.Config{
		MerchantID: simbank.DemoMerchantID, CertSerial: simbank.DemoCertSerial,
		MerchantKey: demo.MustFile(demo.BankMerchantPrivate), BankSignKey: demo.MustFile(demo.BankSignPublic),
		BankEncKey: demo.MustFile(demo.BankEncPublic), BankCertSerial: simbank.BankCertSerial,
		BaseURL: base, HTTPClient: hc, Clock: sim.Clock(), NotifyURL: "https://merchant.example/notify/bank",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	card := channel.Card{Number: "6216261000000000018", HolderName: "全渠道", IDType: "01", IDNumber: "341126197709218366", Mobile: "13552535506"}
	ch, err := c.SendBindSMS(ctx, &channel.BindRequest{BindNo: "B1", UserID: "U1", Card: card})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("code sent to", ch.MobileMasked)

	resp, _ := hc.Get(base + "/_sim/bank/sms?bind_no=B1")
	var sms simbank.SMS
	_ = json.NewDecoder(resp.Body).Decode(&sms)
	resp.Body.Close()
	b, err := c.ConfirmBind(ctx, &channel.BindConfirmRequest{BindNo: "B1", UserID: "U1", SMSCode: sms.Code})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("bound", b.CardMasked, b.CardType)

	res, err := c.Pay(ctx, &channel.PayRequest{OrderNo: "P1", Amount: money.Fen(100), Method: channel.MethodToken,
		Token: b.Token, PayerID: "U1", Subject: "coffee"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("pay", res.Status, res.Amount)
	rf, err := c.Refund(ctx, &channel.RefundRequest{RefundNo: "R1", OrderNo: "P1", Amount: money.Fen(30)})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("refund", rf.Status, rf.Amount)
	// Output:
	// code sent to 135****5506
	// bound 621626*********0018 debit
	// pay SUCCEEDED CNY 1.00
	// refund SUCCEEDED CNY 0.30
}
