package posting

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
)

// The chart codes the Poster posts to.
const (
	CodeReceivable = "1122" // 应收待清算: receivable from the channel, awaiting clearing (asset)
	CodePayable    = "2202" // 应付商户款: owed to the merchant (liability)
	CodeFees       = "6602" // 渠道手续费: the channel's fees (expense)
)

// Chart is the part of the chart of accounts the Poster needs. It adds a code that is
// missing and leaves one that exists alone (another component may have named it), but a code
// of another type is an error.
var Chart = []ledger.ChartAccount{
	{Code: CodeReceivable, Name: "应收待清算 receivables from channels awaiting clearing", Type: ledger.Asset, Normal: ledger.Debit},
	{Code: CodePayable, Name: "应付商户款 merchant payables", Type: ledger.Liability, Normal: ledger.Credit},
	{Code: CodeFees, Name: "渠道手续费 channel fees", Type: ledger.Expense, Normal: ledger.Debit},
	{Code: CodeBankDeposit, Name: "银行存款 deposits at paying banks and channels", Type: ledger.Asset, Normal: ledger.Debit},
}

// ReceivableSpec, FeesSpec and PayableSpec are the accounts the Poster opens: one
// receivable and one fee account per channel, one payable per merchant, per currency.
func ReceivableSpec(ch string, cur money.Currency) ledger.AccountSpec {
	return ledger.AccountSpec{Code: CodeReceivable, OwnerKind: ledger.OwnerChannel, OwnerID: ch, Currency: cur,
		Name: "应收待清算-" + ch, Flags: ledger.AllowNegative}
}

// FeesSpec: see ReceivableSpec.
func FeesSpec(ch string, cur money.Currency) ledger.AccountSpec {
	return ledger.AccountSpec{Code: CodeFees, OwnerKind: ledger.OwnerInternal, OwnerID: ch, Currency: cur, Name: "渠道手续费-" + ch}
}

// PayableSpec: see ReceivableSpec.
func PayableSpec(merchant string, cur money.Currency) ledger.AccountSpec {
	return ledger.AccountSpec{Code: CodePayable, OwnerKind: ledger.OwnerMerchant, OwnerID: merchant, Currency: cur,
		Name: "应付商户款-" + merchant, Flags: ledger.AllowNegative}
}

type acctKey struct {
	code  string
	owner string
	cur   money.Currency
}

// accounts opens accounts lazily and caches their ids. Ids never change, so a cached id is
// never stale.
type accounts struct {
	l  *ledger.Ledger
	st ledger.Store

	mu    sync.Mutex // guards ids and chart; held while opening, which is rare
	chart bool
	ids   map[acctKey]ledger.AccountID
}

func (a *accounts) ensureChart(ctx context.Context) error {
	if a.chart {
		return nil
	}
	var have []ledger.ChartAccount
	if err := a.st.Read(ctx, func(tx ledger.ReadTx) error {
		var err error
		have, err = tx.Chart(ctx)
		return err
	}); err != nil {
		return fmt.Errorf("posting: read the chart: %w", err)
	}
	for _, c := range Chart {
		found := false
		for _, h := range have {
			if h.Code == c.Code {
				if h.Type != c.Type || h.Normal != c.Normal {
					return fmt.Errorf("posting: chart code %s is %s/%s, the poster needs %s/%s", c.Code, h.Type, h.Normal, c.Type, c.Normal)
				}
				found = true
			}
		}
		if !found {
			if err := a.l.PutChart(ctx, c); err != nil {
				return fmt.Errorf("posting: add chart code %s: %w", c.Code, err)
			}
		}
	}
	a.chart = true
	return nil
}

// id returns the id of the account of spec, opening it if it does not exist. An account that
// exists is used as it is (its name and flags are whoever opened it first's business).
func (a *accounts) id(ctx context.Context, s ledger.AccountSpec) (ledger.AccountID, error) {
	k := acctKey{s.Code, string(s.OwnerKind) + "/" + s.OwnerID, s.Currency}
	a.mu.Lock()
	defer a.mu.Unlock()
	if id, ok := a.ids[k]; ok {
		return id, nil
	}
	if err := a.ensureChart(ctx); err != nil {
		return 0, err
	}
	acc, err := a.l.FindAccount(ctx, s.Code, s.OwnerKind, s.OwnerID, s.Currency)
	if errors.Is(err, ledger.ErrNotFound) {
		acc, err = a.l.CreateAccount(ctx, s)
		if err != nil {
			// Another process may have opened it between our look-up and our insert (the
			// store's unique key refused ours): then it exists now.
			if found, ferr := a.l.FindAccount(ctx, s.Code, s.OwnerKind, s.OwnerID, s.Currency); ferr == nil {
				acc, err = found, nil
			}
		}
	}
	if err != nil {
		return 0, fmt.Errorf("posting: account %s %s/%s %s: %w", s.Code, s.OwnerKind, s.OwnerID, s.Currency, err)
	}
	if a.ids == nil {
		a.ids = map[acctKey]ledger.AccountID{}
	}
	a.ids[k] = acc.ID
	return acc.ID, nil
}

// set is the three accounts one order posts to.
type set struct {
	recv, fees, payable ledger.AccountID
}

func (a *accounts) set(ctx context.Context, ch, merchant string, cur money.Currency) (set, error) {
	var s set
	var err error
	if ch == "" || merchant == "" {
		return s, fmt.Errorf("posting: order without a channel (%q) or merchant (%q)", ch, merchant)
	}
	if s.recv, err = a.id(ctx, ReceivableSpec(ch, cur)); err != nil {
		return s, err
	}
	if s.fees, err = a.id(ctx, FeesSpec(ch, cur)); err != nil {
		return s, err
	}
	s.payable, err = a.id(ctx, PayableSpec(merchant, cur))
	return s, err
}
