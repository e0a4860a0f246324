package main

import (
	"context"
	"time"

	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/wallet"
	"github.com/tongdao/tongdao/simulator"
)

// demoTopUpMerchant is the demo's wallet top-up merchant: its payment orders are top-ups,
// credited to wallets by the wallet Service, so the ledger poster skips them.
const demoTopUpMerchant = "wallet-topups"

// walletDay is the demo's wallet segment: two customers with wallets, a top-up by WeChat QR,
// a transfer and a payment from the balance, each one ledger entry.
func (d *gatewayDay) walletDay(ctx context.Context) {
	w := d.wallet
	d.step("wallets: 张三 and 李四 register with the shop, each with a wallet (零钱) and a payment password")
	open := func(no, name, idNo string) (*wallet.Customer, *wallet.Account) {
		c, err := w.CreateCustomer(ctx, "M1", wallet.CustomerRequest{CustomerNo: no, Kind: wallet.Individual, Name: name, IDNo: idNo})
		if err != nil {
			d.check(false, "customer %s: %v", no, err)
			return nil, nil
		}
		a, err := w.OpenAccount(ctx, "M1", c.ID, wallet.KindWallet, money.CNY)
		if err != nil {
			d.check(false, "wallet of %s: %v", no, err)
			return nil, nil
		}
		if err := w.SetPassword(ctx, "M1", c.ID, "", "135790"); err != nil {
			d.check(false, "password of %s: %v", no, err)
			return nil, nil
		}
		return c, a
	}
	_, zhang := open("CUST-001", "张三", "11010519491231002X")
	_, li := open("CUST-002", "李四", "110101199003070011")
	if zhang == nil || li == nil {
		return
	}
	balance := func(a *wallet.Account) int64 {
		v, err := w.View(ctx, "M1", a.ID)
		if err != nil {
			d.check(false, "balance: %v", err)
			return -1
		}
		return v.Available.Minor()
	}

	d.step("张三 tops up 150.00 by WeChat QR; WeChat notifies; the wallet is credited once")
	tu, err := w.TopUp(ctx, "M1", wallet.TopUpRequest{RequestNo: "TOPUP-001", AccountID: zhang.ID, Amount: 150_00, Method: "qr",
		Subject: "wallet top-up", ClientIP: "127.0.0.1"})
	if err != nil {
		d.check(false, "top-up: %v", err)
		return
	}
	d.check(tu.Payment.State == order.Pending && tu.Action != nil && tu.Action.QRCode != "", "a payment order %s under merchant %s, QR code for the payer",
		tu.Payment.ID, tu.Payment.MerchantID)
	d.advance(ctx, time.Second)
	d.check(balance(zhang) == 0, "nothing credited while the payment is pending")
	if _, err := d.sim.Pay(ctx, simulator.PayerAction{Channel: "wechat", OutTradeNo: tu.Payment.ChannelOrderNo}); err != nil {
		d.check(false, "payer pays the top-up: %v", err)
	}
	d.advance(ctx, time.Second)
	d.check(balance(zhang) == 150_00, "张三's wallet: %s (Dr 1122 应收待清算-wechat, Cr 2241 wallet)", money.New(balance(zhang), money.CNY).Decimal())

	d.step("张三 transfers 50.00 to 李四; the shop's retry of the same request moves nothing more")
	tr, err := w.Transfer(ctx, "M1", wallet.TransferRequest{RequestNo: "TR-001", From: zhang.ID, To: li.ID, Amount: 50_00, Memo: "dinner"})
	again, err2 := w.Transfer(ctx, "M1", wallet.TransferRequest{RequestNo: "TR-001", From: zhang.ID, To: li.ID, Amount: 50_00, Memo: "dinner"})
	d.check(err == nil && err2 == nil && tr.State == wallet.OpDone && again.EntrySeq == tr.EntrySeq && balance(zhang) == 100_00 && balance(li) == 50_00,
		"one entry (#%d): 张三 %s, 李四 %s", entrySeq(tr), money.New(balance(zhang), money.CNY).Decimal(), money.New(balance(li), money.CNY).Decimal())

	d.step("李四 pays the shop 30.00 from the wallet (账户支付), with the payment password")
	pay, err := w.Pay(ctx, "M1", wallet.PaymentRequest{RequestNo: "PAY-001", AccountID: li.ID, Amount: 30_00, Password: "135790", Subject: "tea"})
	d.check(err == nil && pay.State == wallet.OpDone && balance(li) == 20_00,
		"one entry (#%d): Dr 2241 李四's wallet, Cr 2202 应付商户款-M1; 李四 %s", entrySeq(pay), money.New(balance(li), money.CNY).Decimal())
	_, err = w.Pay(ctx, "M1", wallet.PaymentRequest{RequestNo: "PAY-002", AccountID: li.ID, Amount: 30_00, Password: "135790", Subject: "more tea"})
	d.check(err != nil && balance(li) == 20_00, "30.00 more is refused: %v", err)

	st, err := w.Statement(ctx, "M1", zhang.ID, "", 10)
	if err != nil {
		d.check(false, "statement: %v", err)
		return
	}
	tied := len(st.Lines) == 2
	for _, l := range st.Lines {
		tied = tied && l.EntrySeq > 0 && l.VoucherID != ""
	}
	d.check(tied, "张三's statement (流水): %d lines, each naming its ledger entry and voucher", len(st.Lines))
}

func entrySeq(o *wallet.Op) int64 {
	if o == nil {
		return 0
	}
	return o.EntrySeq
}
