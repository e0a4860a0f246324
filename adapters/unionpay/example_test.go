package unionpay_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/tongdao/tongdao/adapters/unionpay"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/simulator"
	"github.com/tongdao/tongdao/simulator/demo"
	simunionpay "github.com/tongdao/tongdao/simulator/unionpay"
)

// Example binds the demo credit card, pays 25.00 with the token, reads the back
// notification, and shows the undo refused once the clearing day has turned at 23:00 —
// against the simulator in process, on its virtual clock.
func Example() {
	ctx := context.Background()
	up, _ := simunionpay.New(simunionpay.Config{})
	var notes [][]byte
	sim, err := simulator.New(simulator.Config{Protocols: []simulator.Protocol{up},
		Start: time.Date(2026, 3, 10, 22, 50, 0, 0, clock.Beijing()),
		CallbackTransport: simulator.HandlerTransport(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			notes = append(notes, b)
		}))})
	if err != nil {
		panic(err)
	}
	c, err := unionpay.New(unionpay.Config{
		MerID:       simunionpay.DemoMerID,
		SignCertPFX: demo.MustFile(demo.UnionPayMerchantPFX), SignCertPassword: demo.UnionPayPFXPassword,
		RootCert: demo.MustFile(demo.UnionPayRootCert), MiddleCert: demo.MustFile(demo.UnionPayMiddleCert),
		EncryptCert: demo.MustFile(demo.UnionPayEncCert),
		BaseURL:     "http://unionpay.sim", HTTPClient: &http.Client{Transport: simulator.HandlerTransport(sim)},
		Clock: sim.Clock(), NotifyURL: "https://merchant.example/unionpay/notify",
	})
	if err != nil {
		panic(err)
	}
	now := func() time.Time { return sim.Clock().Now().Truncate(time.Second) }
	card := channel.Card{Number: simunionpay.DemoCreditCard, Mobile: simunionpay.DemoPhone, CVN2: "123", Expiry: "2311"}

	bindAt := now()
	if _, err := c.SendBindSMS(ctx, &channel.BindRequest{BindNo: "BIND0001", BindTime: bindAt, UserID: "u1", Card: card}); err != nil {
		panic(err)
	}
	b, err := c.ConfirmBind(ctx, &channel.BindConfirmRequest{BindNo: "BIND0001", BindTime: bindAt, UserID: "u1", SMSCode: "111111", Card: card})
	if err != nil {
		panic(err)
	}
	fmt.Println("bound", b.CardMasked, b.Status)

	payAt := now()
	pay := &channel.PayRequest{OrderNo: "ORDER0001", OrderTime: payAt, Amount: money.Fen(2500), Method: channel.MethodToken, Token: b.Token}
	if _, err := c.SendPaySMS(ctx, &channel.PaySMSRequest{OrderNo: pay.OrderNo, OrderTime: payAt, Amount: pay.Amount, Token: b.Token}); err != nil {
		panic(err)
	}
	pay.SMSCode = "111111" // as the cardholder read it
	r, err := c.Pay(ctx, pay)
	if err != nil {
		panic(err)
	}
	fmt.Println("pay", r.Status)
	_ = sim.Advance(0) // deliver the notification
	n, err := c.ParseNotification(ctx, nil, notes[0])
	if err != nil {
		panic(err)
	}
	fmt.Println("notified", n.Payment.OrderNo, n.Payment.Amount, n.Payment.Status, n.Check(channel.Expectation{OrderNo: "ORDER0001", Amount: money.Fen(2500)}) == nil)

	_ = sim.SetTime(time.Date(2026, 3, 10, 23, 0, 1, 0, clock.Beijing()))
	_, err = c.Cancel(ctx, &channel.CancelRequest{OrderNo: "ORDER0001", OrderTime: payAt, CancelNo: "UNDO0001", CancelTime: now()})
	fmt.Println("undo after 23:00 refused:", errors.Is(err, unionpay.ErrUndoAfterCutoff))
	// Output:
	// bound 622155******0000 SUCCEEDED
	// pay PROCESSING
	// notified ORDER0001 CNY 25.00 SUCCEEDED true
	// undo after 23:00 refused: true
}
