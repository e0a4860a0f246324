package main

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tongdao/tongdao/simulator"
)

// TestRunLoad_UnionPay: the UnionPay load target is accepted by the simulator (every
// answer respCode 00) and its bare cost is measurable.
func TestRunLoad_UnionPay(t *testing.T) {
	protos, err := simProtocols()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := simulator.New(simulator.Config{Protocols: protos, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	tgt, err := unionpayTarget()
	if err != nil {
		t.Fatal(err)
	}
	res, err := runLoad(context.Background(), hs.URL, time.Minute, 2, 0, "T", 20, tgt)
	if err != nil {
		t.Fatal(err)
	}
	if res.ok != 20 || res.bad != 0 || res.errs != 0 {
		t.Fatalf("ok %d bad %d errs %d: %s", res.ok, res.bad, res.errs, res.firstErr)
	}
}
