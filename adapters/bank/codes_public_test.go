package bank

import (
	"errors"
	"testing"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/simulator"
)

// TestPublic_EveryCodeOfTheTable drives each §8.1 code through the public API (the
// simulator answers it for PAY, REFUND and PAY_QUERY) and checks the Kind and the
// Retryable rule: Pay is never retryable after an unknown outcome, refunds and queries
// are; definitive answers only where the code says the same request can succeed later.
func TestPublic_EveryCodeOfTheTable(t *testing.T) {
	const (
		U = channel.KindUnknown
		I = channel.KindInvalidRequest
		S = channel.KindSignature
		N = channel.KindNotFound
		A = channel.KindAlreadyDone
		D = channel.KindDeclined
		F = channel.KindInsufficientFunds
		R = channel.KindRateLimited
		V = channel.KindUnavailable
	)
	rows := []struct {
		code string
		kind channel.Kind
		// retryable for pay, refund, query
		pay, refund, query bool
	}{
		{"1001", S, false, false, false},
		{"1002", I, false, false, false},
		{"1003", I, false, false, false},
		{"1004", I, false, false, false},
		{"1005", A, false, false, false},
		{"1006", I, false, false, false},
		{"1007", I, false, false, false},
		{"1008", I, false, false, false},
		{"2001", F, false, false, false},
		{"2002", D, false, false, false},
		{"2003", D, false, false, false},
		{"2004", D, false, false, false},
		{"2005", D, false, false, false},
		{"2006", D, false, false, false},
		{"3001", D, false, false, false},
		{"3002", D, false, false, false},
		{"3003", D, false, false, false},
		{"3004", D, false, false, false},
		{"3005", D, false, false, false},
		{"3006", A, false, false, false},
		{"3007", D, false, false, false},
		{"3008", D, false, false, false},
		{"3009", R, true, true, true},
		{"4001", N, false, false, false},
		{"4002", D, false, false, false},
		{"4003", D, false, false, false},
		{"4004", D, false, false, false},
		{"4005", F, true, true, true},
		{"4006", V, true, true, true},
		{"9001", V, true, true, true},
		{"9002", U, false, true, true},
		{"9999", U, false, true, true},
		{"7777", U, false, true, true}, // unlisted: never assume nothing happened
	}
	if len(rows) != len(codes)-2+1 { // 0000 and 0001 are not errors; one unlisted code
		t.Fatalf("%d rows for %d codes: keep the table in step with codes.go", len(rows), len(codes))
	}
	e := newSimEnv(t, nil)
	token := e.bind("B1", "U1", cardQ)
	if _, err := e.pay("PAID", "U1", token, 100000); err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		t.Run(r.code, func(t *testing.T) {
			check := func(op string, err error, retry bool) {
				t.Helper()
				var ce *channel.Error
				if !errors.As(err, &ce) || ce.Kind != r.kind || ce.Code != r.code || ce.Retryable != retry {
					t.Errorf("%s answered %s: got %v (retryable %v); want kind %q, retryable %v", op, r.code, err, channel.IsRetryable(err), r.kind, retry)
				}
			}
			no := "C" + r.code
			for _, op := range []string{"PAY", "REFUND", "PAY_QUERY"} {
				if _, err := e.sim.AddFault(simulator.FaultPlan{Kind: simulator.FaultBusinessCode, Channel: "bank", Op: op, Code: r.code, First: 1}); err != nil {
					t.Fatal(err)
				}
			}
			_, err := e.pay(no, "U1", token, int64(100+i))
			check("pay", err, r.pay)
			_, err = e.c.Refund(e.ctx, &channel.RefundRequest{RefundNo: "R" + r.code, OrderNo: "PAID", Amount: money.Fen(1)})
			check("refund", err, r.refund)
			_, err = e.c.Query(e.ctx, &channel.QueryRequest{OrderNo: "PAID"})
			check("query", err, r.query)
		})
	}
}

// TestPublic_ProcessingIsNotFinal: 0001 on PAY is Processing, never Succeeded or Failed.
func TestPublic_ProcessingIsNotFinal(t *testing.T) {
	e := newSimEnv(t, nil)
	token := e.bind("B1", "U1", cardQ)
	if _, err := e.sim.AddFault(simulator.FaultPlan{Kind: simulator.FaultBusinessCode, Channel: "bank", Op: "PAY", Code: simulator.CodeUserPaying, First: 1, Process: true}); err != nil {
		t.Fatal(err)
	}
	res, err := e.pay("P1", "U1", token, 100)
	if err == nil && res.Status != channel.StatusProcessing {
		t.Fatalf("0001: %+v", res)
	}
	if err != nil && !errors.Is(err, channel.ErrUnknownOutcome) {
		t.Fatalf("0001: %v", err)
	}
}
