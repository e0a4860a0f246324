package clearing

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/posting"
)

// The chart codes clearing posts to, beside posting's 1122 (receivable from the channel,
// awaiting clearing) and 2202 (merchant payable).
const (
	CodeBank       = posting.CodeBankDeposit // 1002 银行存款: the platform's bank deposit (asset; posting's chart has it)
	CodeSettlement = "2203"                  // 应付结算款: settled to the merchant, due on the batch's pay-on day (liability)
	CodeFeeIncome  = "6021"                  // 手续费收入: channel fees recovered from merchants at settlement (revenue)
)

// Chart is posting.Chart (which has 1002 银行存款) plus clearing's own codes.
var Chart = append(append([]ledger.ChartAccount(nil), posting.Chart...),
	ledger.ChartAccount{Code: CodeSettlement, Name: "应付结算款 merchant settlements due", Type: ledger.Liability, Normal: ledger.Credit},
	ledger.ChartAccount{Code: CodeFeeIncome, Name: "手续费收入 fees recovered from merchants", Type: ledger.Revenue, Normal: ledger.Credit},
)

// SettlementSpec is a merchant's settlement account: what a batch credits and the payout to
// the merchant's bank account later debits.
func SettlementSpec(merchant string, cur money.Currency) ledger.AccountSpec {
	return ledger.AccountSpec{Code: CodeSettlement, OwnerKind: ledger.OwnerMerchant, OwnerID: merchant, Currency: cur,
		Name: "应付结算款-" + merchant, Flags: ledger.AllowNegative}
}

// FeeIncomeSpec is the account that recovers channel fees from merchants.
func FeeIncomeSpec(cur money.Currency) ledger.AccountSpec {
	return ledger.AccountSpec{Code: CodeFeeIncome, OwnerKind: ledger.OwnerInternal, OwnerID: "clearing", Currency: cur,
		Name: "手续费收入", Flags: ledger.AllowNegative}
}

// BankSpec is the platform's bank deposit account named bank (e.g. "icbc-001").
func BankSpec(bank string, cur money.Currency) ledger.AccountSpec {
	return ledger.AccountSpec{Code: CodeBank, OwnerKind: ledger.OwnerInternal, OwnerID: bank, Currency: cur,
		Name: "银行存款-" + bank, Flags: ledger.AllowNegative}
}

// accounts finds or opens ledger accounts and caches their ids (ids never change).
type accounts struct {
	l     *ledger.Ledger
	st    ledger.Store // reads the chart; nil: PutChart every code (unchanged codes store nothing)
	mu    sync.Mutex
	chart bool
	ids   map[string]ledger.AccountID
}

func (a *accounts) ensureChart(ctx context.Context) error {
	if a.chart {
		return nil
	}
	have := map[string]ledger.ChartAccount{}
	if a.st != nil {
		if err := a.st.Read(ctx, func(tx ledger.ReadTx) error {
			cs, err := tx.Chart(ctx)
			for _, c := range cs {
				have[c.Code] = c
			}
			return err
		}); err != nil {
			return fmt.Errorf("clearing: read the chart: %w", err)
		}
	}
	for _, c := range Chart {
		// A code another component added first is used as it is (its name is theirs), if
		// its type and side agree.
		if h, ok := have[c.Code]; ok {
			if h.Type != c.Type || h.Normal != c.Normal {
				return fmt.Errorf("clearing: chart code %s is %s/%s, clearing needs %s/%s", c.Code, h.Type, h.Normal, c.Type, c.Normal)
			}
			continue
		}
		if err := a.l.PutChart(ctx, c); err != nil {
			return fmt.Errorf("clearing: chart code %s: %w", c.Code, err)
		}
	}
	a.chart = true
	return nil
}

func acctKey(code string, kind ledger.OwnerKind, owner string, cur money.Currency) string {
	return code + "\x00" + string(kind) + "\x00" + owner + "\x00" + string(cur)
}

// prefetch caches the ids of every existing account under the codes clearing posts to, in
// one scan: a day's batches touch two accounts per merchant, and one look-up each would
// cost more than the postings.
func (a *accounts) prefetch(ctx context.Context) error {
	if a.st == nil {
		return nil
	}
	codes := map[string]bool{posting.CodePayable: true, CodeSettlement: true, CodeFeeIncome: true}
	found := map[string]ledger.AccountID{}
	if err := a.st.Read(ctx, func(tx ledger.ReadTx) error {
		return tx.Accounts(ctx, func(acc ledger.Account) error {
			if codes[acc.Code] {
				found[acctKey(acc.Code, acc.OwnerKind, acc.OwnerID, acc.Currency)] = acc.ID
			}
			return nil
		})
	}); err != nil {
		return fmt.Errorf("clearing: read the accounts: %w", err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ids == nil {
		a.ids = map[string]ledger.AccountID{}
	}
	for k, id := range found {
		a.ids[k] = id
	}
	return nil
}

func (a *accounts) id(ctx context.Context, s ledger.AccountSpec) (ledger.AccountID, error) {
	k := acctKey(s.Code, s.OwnerKind, s.OwnerID, s.Currency)
	a.mu.Lock()
	id, ok := a.ids[k]
	a.mu.Unlock()
	if ok {
		return id, nil
	}
	acc, err := a.l.FindAccount(ctx, s.Code, s.OwnerKind, s.OwnerID, s.Currency)
	if errors.Is(err, ledger.ErrNotFound) {
		a.mu.Lock()
		err = a.ensureChart(ctx)
		a.mu.Unlock()
		if err != nil {
			return 0, err
		}
		acc, err = a.l.CreateAccount(ctx, s)
		if err != nil {
			if found, ferr := a.l.FindAccount(ctx, s.Code, s.OwnerKind, s.OwnerID, s.Currency); ferr == nil {
				acc, err = found, nil
			}
		}
	}
	if err != nil {
		return 0, fmt.Errorf("clearing: account %s %s/%s %s: %w", s.Code, s.OwnerKind, s.OwnerID, s.Currency, err)
	}
	a.mu.Lock()
	if a.ids == nil {
		a.ids = map[string]ledger.AccountID{}
	}
	a.ids[k] = acc.ID
	a.mu.Unlock()
	return acc.ID, nil
}

// signedLines turns signed amounts (positive: debit) into ledger lines, leaving zeros out,
// and returns the debit total (the voucher's amount).
func signedLines(cur money.Currency, ls ...signed) ([]ledger.Line, money.Amount) {
	var out []ledger.Line
	var debits int64
	for _, l := range ls {
		switch {
		case l.v > 0:
			out = append(out, ledger.Line{Account: l.acct, Side: ledger.Debit, Amount: money.New(l.v, cur)})
			debits += l.v
		case l.v < 0:
			out = append(out, ledger.Line{Account: l.acct, Side: ledger.Credit, Amount: money.New(-l.v, cur)})
		}
	}
	return out, money.New(debits, cur)
}

type signed struct {
	acct ledger.AccountID
	v    int64
}

// openAll opens, in one ledger transaction, those of specs not cached yet, and caches their
// ids: the first settlement of 10,000 new merchants opened 10,000 settlement accounts one
// commit each (11–24 s on SQLite, 64–150 s on PostgreSQL) before this.
func (a *accounts) openAll(ctx context.Context, specs []ledger.AccountSpec) error {
	a.mu.Lock()
	var missing []ledger.AccountSpec
	seen := map[string]bool{}
	for _, s := range specs {
		k := acctKey(s.Code, s.OwnerKind, s.OwnerID, s.Currency)
		if _, ok := a.ids[k]; !ok && !seen[k] {
			seen[k] = true
			missing = append(missing, s)
		}
	}
	if len(missing) == 0 {
		a.mu.Unlock()
		return nil
	}
	err := a.ensureChart(ctx)
	a.mu.Unlock()
	if err != nil {
		return err
	}
	accs, err := a.l.CreateAccounts(ctx, missing)
	if err != nil {
		return fmt.Errorf("clearing: open %d accounts: %w", len(missing), err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ids == nil {
		a.ids = map[string]ledger.AccountID{}
	}
	for _, acc := range accs {
		a.ids[acctKey(acc.Code, acc.OwnerKind, acc.OwnerID, acc.Currency)] = acc.ID
	}
	return nil
}
