package main

import (
	"testing"

	"github.com/tongdao/tongdao/core/clearing"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/posting"
	"github.com/tongdao/tongdao/core/wallet"
)

// TestCharts_OneMeaningPerCode: the parts that open ledger accounts in one database (the
// poster, clearing, the wallet) never give one chart code two meanings. Code 2241 once
// meant both merchant settlements and customer funds, and the trial balance added them up.
func TestCharts_OneMeaningPerCode(t *testing.T) {
	seen := map[string]ledger.ChartAccount{}
	from := map[string]string{}
	for name, chart := range map[string][]ledger.ChartAccount{"posting": posting.Chart, "clearing": clearing.Chart, "wallet": wallet.Chart} {
		for _, c := range chart {
			if prev, ok := seen[c.Code]; ok && (prev.Name != c.Name || prev.Type != c.Type) {
				t.Errorf("chart code %s is %q (%s) in %s and %q (%s) in %s", c.Code, prev.Name, prev.Type, from[c.Code], c.Name, c.Type, name)
			}
			seen[c.Code], from[c.Code] = c, name
		}
	}
}
