package store_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/risk"
	"github.com/tongdao/tongdao/core/store/storetest"
)

func TestRiskCases_RecordAndQueryNewestFirst(t *testing.T) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) {
		db := storetest.Open(t, dsn)
		ctx := context.Background()
		at := time.Date(2026, 12, 7, 4, 0, 0, 0, time.UTC)
		in := []risk.Case{
			{ID: "c1", At: at, MerchantID: "M1", OrderNo: "O1", Method: "qr", Amount: money.New(100, money.CNY), User: "U1", Verdict: gateway.Allow, Rule: "default-allow"},
			{ID: "c2", At: at.Add(time.Second), MerchantID: "M1", OrderNo: "O2", Method: "qr", Amount: money.New(999_00, money.CNY), User: "U1",
				CardFingerprint: "FP1", DeviceID: "D1", ClientIP: "10.0.0.1", Verdict: gateway.Block, Rule: "stolen",
				Hits: []risk.Hit{{Rule: "stolen", Verdict: gateway.Block, Detail: "card FP1 in list stolen"}, {Rule: "s", Verdict: gateway.Challenge, Shadow: true}}},
		}
		for i := range in {
			if err := db.RecordCase(ctx, &in[i]); err != nil {
				t.Fatal(err)
			}
		}
		all, err := db.Cases(ctx, risk.CaseQuery{MerchantID: "M1"})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 2 || all[0].ID != "c2" || all[1].ID != "c1" {
			t.Fatalf("cases %+v", all)
		}
		got := all[0]
		if !got.At.Equal(in[1].At) || got.Amount != in[1].Amount || got.CardFingerprint != "FP1" || len(got.Hits) != 2 || !got.Hits[1].Shadow || got.Hits[0].Detail != in[1].Hits[0].Detail {
			t.Errorf("round trip: %+v", got)
		}
		blocked, _ := db.Cases(ctx, risk.CaseQuery{Verdict: gateway.Block})
		byOrder, _ := db.Cases(ctx, risk.CaseQuery{OrderNo: "O1"})
		if len(blocked) != 1 || len(byOrder) != 1 || byOrder[0].Hits != nil {
			t.Errorf("filters: blocked %d, by order %+v", len(blocked), byOrder)
		}
	})
}
