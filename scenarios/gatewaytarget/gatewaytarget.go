// Package gatewaytarget builds the in-process tongdao gateway that `target: gateway`
// scenarios test: one gateway per scenario on its own SQLite file, wired to the scenario's
// simulator through the adapters the caller hands in (scenarios.ChannelFactory), with the
// query-back/expiry worker and the merchant webhooks run after every clock move. Behind it
// is the payment core on the same store: the ledger and its poster, the wallet routes
// (core/wallet), the balance query with its audit log (core/balance, core/audit), and
// reconciliation and settlement (core/recon, core/clearing), which the scenarios' core
// steps reach through scenarios.GatewayTarget.Core. It is the scenarios.GatewayStarter
// that cmd/tongdao and the tests use.
package gatewaytarget

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/notify"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/scenarios"
)

// Merchant is the gateway merchant every `target: gateway` scenario calls the API as.
const (
	MerchantID = "M1"
	Secret     = "scenario-merchant-secret-0123456789"
)

// walletSecret is the HMAC secret of the wallet's own merchant (top-ups are made in
// process through gateway.Pay; nobody calls the API as it).
const walletSecret = "scenario-wallet-secret-0123456789"

// Routes maps payment methods to channels: the account of each channel is named after it
// ("wechat", "alipay", ...). A method not listed goes to the first channel served.
var Routes = map[channel.Method]string{
	channel.MethodQR:      "wechat",
	channel.MethodJSAPI:   "wechat",
	channel.MethodBarcode: "alipay",
	channel.MethodApp:     "alipay",
	channel.MethodWeb:     "alipay",
	channel.MethodH5:      "alipay",
	channel.MethodToken:   "unionpay",
}

// webhookTypes are the events the merchant receives webhooks for (as `tongdao gateway
// serve` sends them).
var webhookTypes = []string{"payment.succeeded", "payment.failed", "payment.closed", "payment.partially_refunded",
	"payment.refunded", "refund.pending", "refund.succeeded", "refund.failed"}

// Start is a scenarios.GatewayStarter: it opens a fresh SQLite file under dir ("" = the
// system's temporary folder), builds an adapter for each merchant of env, and returns the
// gateway with its signer, its background work and its clean-up.
func Start(dir string) scenarios.GatewayStarter {
	return func(ctx context.Context, env scenarios.GatewayEnv) (*scenarios.GatewayTarget, error) {
		tmp, err := os.MkdirTemp(dir, "tongdao-scenario-gw-")
		if err != nil {
			return nil, err
		}
		cleanup := func() { _ = os.RemoveAll(tmp) }
		db, err := store.Open(ctx, "sqlite:"+filepath.Join(tmp, "gateway.db")+"?sync=normal")
		if err != nil {
			cleanup()
			return nil, err
		}
		closeAll := func() error {
			err := db.Close()
			cleanup()
			return err
		}
		coreConsumers(db, notify.Consumer)
		db.SetOutboxTypes(notify.Consumer, webhookTypes...)
		var accounts []gateway.Account
		served := map[string]bool{}
		for _, m := range env.Merchants {
			f := env.Factories[m.Channel]
			if f == nil {
				continue
			}
			// The gateway's own callback endpoint for the account: payments name it per
			// request; wallet payouts rely on the adapter's default (the bank requires one).
			m.NotifyURL = env.PublicURL + "/notify/" + m.Channel + "/" + m.Channel
			ch, err := f(env.SimURL, m, env.HTTPClient)
			if err != nil {
				_ = closeAll()
				return nil, fmt.Errorf("adapter for %s: %w", m.Channel, err)
			}
			accounts = append(accounts, gateway.Account{ID: m.Channel, Channel: ch})
			served[m.Channel] = true
		}
		if len(accounts) == 0 {
			_ = closeAll()
			return nil, errors.New("no channel account: the simulator serves no channel this build has an adapter for")
		}
		var routes []gateway.Route
		for _, method := range channel.Methods() {
			acc := Routes[method]
			if !served[acc] {
				acc = accounts[0].ID
			}
			routes = append(routes, gateway.Route{Merchant: "*", Method: method, Account: acc})
		}
		gw, err := gateway.New(gateway.Config{
			Store: db, Clock: env.Clock, PublicURL: env.PublicURL,
			Merchants: []gateway.Merchant{{ID: MerchantID, Name: "Scenario shop", HMACSecret: Secret, RatePerSecond: 10000, Burst: 10000},
				{ID: WalletMerchant, Name: "Wallet top-ups", HMACSecret: walletSecret}},
			Accounts: accounts, Routes: routes,
		})
		if err != nil {
			_ = closeAll()
			return nil, err
		}
		co, err := newCore(ctx, db, env.Clock, gw, accounts)
		if err != nil {
			_ = closeAll()
			return nil, fmt.Errorf("payment core: %w", err)
		}
		prevClose := closeAll
		closeAll = func() error {
			co.close()
			return prevClose()
		}
		handler := co.balance.Mount(gw)
		hooks := notify.StaticDirectory{}
		if env.WebhookURL != "" {
			hooks[MerchantID] = notify.Endpoint{URL: env.WebhookURL, Secret: env.WebhookSecret}
		}
		n, err := notify.New(notify.Config{Outbox: db, Orders: db, Directory: hooks, Clock: env.Clock, Client: env.WebhookClient})
		if err != nil {
			_ = closeAll()
			return nil, err
		}
		work := func(ctx context.Context) error {
			if _, err := gw.WorkOnce(ctx); err != nil {
				return err
			}
			if err := co.work(ctx); err != nil {
				return err
			}
			// Send every webhook due now; the rest wait for their retry time (a later clock move).
			for i := 0; i < 100; i++ {
				sent, err := n.RunOnce(ctx)
				if err != nil {
					return fmt.Errorf("webhooks: %w", err)
				}
				if sent == 0 {
					return nil
				}
			}
			return nil
		}
		var nonce signer
		sign := func(req *http.Request, body []byte) error {
			ts := strconv.FormatInt(env.Clock.Now().Unix(), 10)
			nc := nonce.next()
			req.Header.Set(gateway.HeaderMerchant, MerchantID)
			req.Header.Set(gateway.HeaderTimestamp, ts)
			req.Header.Set(gateway.HeaderNonce, nc)
			req.Header.Set(gateway.HeaderSignature, gateway.SignHMAC(Secret, gateway.StringToSign(req.Method, req.URL.RequestURI(), ts, nc, body)))
			return nil
		}
		verify := func(h http.Header, body []byte, now time.Time) error {
			return notify.VerifyWebhook(env.WebhookSecret, h, body, now, notify.DefaultTolerance)
		}
		return &scenarios.GatewayTarget{Handler: handler, Sign: sign, Work: work, Close: closeAll, VerifyWebhook: verify, Core: co.run}, nil
	}
}

// Signer signs requests to a running gateway as one merchant with HMAC-SHA256, on the
// real clock (the --target-url mode of `tongdao scenario run`).
func Signer(merchantID, secret string) func(req *http.Request, body []byte) error {
	var nonce signer
	return func(req *http.Request, body []byte) error {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		nc := nonce.next()
		req.Header.Set(gateway.HeaderMerchant, merchantID)
		req.Header.Set(gateway.HeaderTimestamp, ts)
		req.Header.Set(gateway.HeaderNonce, nc)
		req.Header.Set(gateway.HeaderSignature, gateway.SignHMAC(secret, gateway.StringToSign(req.Method, req.URL.RequestURI(), ts, nc, body)))
		return nil
	}
}

// signer makes nonces unique across runs (a random prefix) and within one (a counter).
type signer struct {
	prefix atomic.Pointer[string]
	seq    atomic.Int64
}

func (s *signer) next() string {
	p := s.prefix.Load()
	if p == nil {
		var b [6]byte
		_, _ = rand.Read(b[:])
		v := hex.EncodeToString(b[:])
		s.prefix.CompareAndSwap(nil, &v)
		p = s.prefix.Load()
	}
	return fmt.Sprintf("%s-%d", *p, s.seq.Add(1))
}
