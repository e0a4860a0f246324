package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"time"

	"github.com/tongdao/tongdao/core/audit"
	"github.com/tongdao/tongdao/core/balance"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/wallet"
)

// walletFile is the gateway config's wallet block (docs/WALLETS.md): customers, payment
// accounts, top-ups, withdrawals, transfers and balance payments under /v1/wallet/….
type walletFile struct {
	Enabled bool `yaml:"enabled"`
	// TopUpMerchant is the merchant (one of merchants) whose payment orders are top-ups: their
	// successes are credited to wallets, not to the merchant, so use it for nothing else.
	TopUpMerchant string `yaml:"topup_merchant"`
	// PayoutAccount is the channel account (bank) withdrawals are paid out through; empty =
	// withdrawals are refused.
	PayoutAccount string `yaml:"payout_account"`
	// BalanceTokenKey, when set (at least 32 bytes, the same in every gateway process),
	// serves the customer's balance query (docs/BALANCE.md): POST /v1/balance-tokens for the
	// merchant, GET /v1/customer/accounts/{account_id}/balance with the token for the
	// customer's app, every query in the hash-chained audit log (tongdao audit verify).
	BalanceTokenKey string `yaml:"balance_token_key"`
}

// walletOn reports whether the wallet block is there and enabled.
func (f *gatewayFile) walletOn() bool { return f.Wallet != nil && f.Wallet.Enabled }

// checkWallet adds the wallet block's problems to errs (at names the file and line).
func (f *gatewayFile) checkWallet(at func(line int, format string, a ...any)) {
	if !f.walletOn() {
		return
	}
	w := f.Wallet
	if w.TopUpMerchant == "" {
		at(1, "wallet.topup_merchant is required (a merchant of merchants used for top-ups only)")
	} else if !slices.ContainsFunc(f.Merchants, func(m merchantFile) bool { return m.ID == w.TopUpMerchant }) {
		at(1, "wallet.topup_merchant %q is not one of merchants", w.TopUpMerchant)
	}
	if w.PayoutAccount != "" {
		i := slices.IndexFunc(f.Accounts, func(a accountFile) bool { return a.ID == w.PayoutAccount })
		if i < 0 {
			at(1, "wallet.payout_account %q is not one of accounts", w.PayoutAccount)
		} else if f.Accounts[i].Channel != "bank" {
			at(f.Accounts[i].line, "wallet.payout_account %q is a %s account; withdrawals pay out through a bank account", w.PayoutAccount, f.Accounts[i].Channel)
		}
	}
	if k := w.BalanceTokenKey; k != "" && len(k) < 32 {
		at(1, "wallet.balance_token_key is %d bytes; it signs customers' balance tokens, so give at least 32", len(k))
	}
	if f.Options.CardKeys == nil {
		at(1, "wallet needs options.card_keys (ID numbers, card numbers and mobiles are sealed at rest)")
	}
}

// outboxSetup queues order events for the consumers this config runs (call before the
// first write; every process of one database must agree).
func (f *gatewayFile) outboxSetup(db *store.DB, nats bool) {
	cons := slices.Clone(store.DefaultOutboxConsumers)
	if nats {
		cons = append(cons, "nats")
	}
	if f.walletOn() {
		cons = append(cons, "wallet")
		db.SetOutboxTypes("wallet", "payment.succeeded")
	}
	db.SetOutboxConsumers(cons...)
}

// skipMerchants are the merchants whose payments the ledger poster leaves to the wallet.
func (f *gatewayFile) skipMerchants() []string {
	if !f.walletOn() {
		return nil
	}
	return []string{f.Wallet.TopUpMerchant}
}

// newWallet makes the wallet Service over db and led and mounts its routes on gw.
func (f *gatewayFile) newWallet(db *store.DB, gw *gateway.Gateway, led *ledger.Ledger, clk clock.Clock, log *slog.Logger) (*wallet.Service, error) {
	kr, err := f.Options.CardKeys.keyring()
	if err != nil {
		return nil, err
	}
	// Top-ups are credited net of the fee the account's contract charges, as the poster books it.
	cs, err := f.contracts(gw.Accounts())
	if err != nil {
		return nil, err
	}
	cfg := wallet.Config{Store: db, Ledger: led, Clock: clk, Keyring: kr, Pay: gw.Pay, Orders: db, Fees: cs.FeeFunc(),
		TopUpMerchant: f.Wallet.TopUpMerchant, Binders: map[string]channel.Binder{}, Logger: log}
	accts := gw.Accounts()
	ids := make([]string, 0, len(accts))
	for id := range accts {
		ids = append(ids, id)
	}
	sort.Strings(ids) // the first account of a channel binds its cards
	for _, id := range ids {
		if b, ok := accts[id].(channel.Binder); ok {
			if _, dup := cfg.Binders[accts[id].Name()]; !dup {
				cfg.Binders[accts[id].Name()] = b
			}
		}
	}
	if id := f.Wallet.PayoutAccount; id != "" {
		p, ok := accts[id].(channel.Payouter)
		if !ok {
			return nil, fmt.Errorf("wallet.payout_account %s does not pay out", id)
		}
		cfg.Payouter = p
	}
	svc, err := wallet.New(cfg)
	if err != nil {
		return nil, err
	}
	svc.Mount(gw)
	return svc, nil
}

// walletRun is the wallet's background work for coreWork.extra: top-up credits, payout
// queries, re-drives.
func walletRun(svc *wallet.Service, interval time.Duration) func(context.Context) error {
	return func(ctx context.Context) error { return svc.Run(ctx, interval) }
}

// newBalance serves the customer balance query over the wallet when the wallet block has
// a balance_token_key: it mounts the token route on gw and returns the handler to serve
// (the balance route, then gw), and a func that closes the audit log.
func (f *gatewayFile) newBalance(ctx context.Context, db *store.DB, gw *gateway.Gateway, w *wallet.Service, clk clock.Clock, log *slog.Logger) (http.Handler, func(), error) {
	lg, err := audit.New(ctx, audit.Config{Store: db, Logger: log})
	if err != nil {
		return nil, nil, err
	}
	svc, err := balance.New(balance.Config{Source: w.BalanceSource(), Audit: lg, TokenKey: []byte(f.Wallet.BalanceTokenKey), Clock: clk, Logger: log})
	if err != nil {
		_ = lg.Close()
		return nil, nil, err
	}
	return svc.Mount(gw), func() { _ = lg.Close() }, nil
}
