package wallet

import (
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/posting"
)

// The chart codes of customer funds. Every payment account is two ledger accounts under
// them: its available funds (2241.01–.03 by kind) and its frozen funds (2241.09). Both are
// liabilities — money the platform owes the customer (应付客户款, backed by the customer
// reserve 客户备付金) — and neither may go negative, so the ledger refuses any movement that
// would overdraw them.
const (
	CodeCustomerFunds = "2241"    // 应付客户款 customer funds
	CodeWallet        = "2241.01" // 钱包 wallet (零钱)
	CodeStoredValue   = "2241.02" // 储值 stored value
	CodeSettlement    = "2241.03" // 结算 settlement
	CodeFrozen        = "2241.09" // 冻结 frozen funds of any account
)

// Chart is the part of the chart of accounts the wallet adds (posting.Chart's codes too,
// for top-ups, payments and payouts).
var Chart = []ledger.ChartAccount{
	{Code: CodeCustomerFunds, Name: "应付客户款 customer funds", Type: ledger.Liability, Normal: ledger.Credit},
	{Code: CodeWallet, Parent: CodeCustomerFunds, Name: "应付客户款-钱包 wallet accounts", Type: ledger.Liability, Normal: ledger.Credit},
	{Code: CodeStoredValue, Parent: CodeCustomerFunds, Name: "应付客户款-储值 stored-value accounts", Type: ledger.Liability, Normal: ledger.Credit},
	{Code: CodeSettlement, Parent: CodeCustomerFunds, Name: "应付客户款-结算 settlement accounts", Type: ledger.Liability, Normal: ledger.Credit},
	{Code: CodeFrozen, Parent: CodeCustomerFunds, Name: "应付客户款-冻结 frozen customer funds", Type: ledger.Liability, Normal: ledger.Credit},
}

func codeOf(k AccountKind) string {
	switch k {
	case KindStoredValue:
		return CodeStoredValue
	case KindSettlement:
		return CodeSettlement
	}
	return CodeWallet
}

// AvailableSpec is the ledger account of payment account id's available funds.
func AvailableSpec(id string, k AccountKind, cur money.Currency) ledger.AccountSpec {
	return ledger.AccountSpec{Code: codeOf(k), OwnerKind: ledger.OwnerUser, OwnerID: id, Currency: cur, Name: "应付客户款-" + string(k) + "-" + id}
}

// FrozenSpec is the ledger account of payment account id's frozen funds.
func FrozenSpec(id string, cur money.Currency) ledger.AccountSpec {
	return ledger.AccountSpec{Code: CodeFrozen, OwnerKind: ledger.OwnerUser, OwnerID: id, Currency: cur, Name: "应付客户款-冻结-" + id}
}

func allCharts() []ledger.ChartAccount {
	return append(append([]ledger.ChartAccount(nil), posting.Chart...), Chart...)
}
