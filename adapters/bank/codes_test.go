package bank

import (
	"errors"
	"testing"

	"github.com/tongdao/tongdao/core/channel"
)

// TestCodes_OneRowPerCode pins every row of the §8.1 table: the outcome class, the Kind a
// caller sees and whether resending the same request is safe.
func TestCodes_OneRowPerCode(t *testing.T) {
	tests := []struct {
		code      string
		outcome   outcome
		kind      channel.Kind
		retryable bool
	}{
		{"0000", outcomeSuccess, 0, false},
		{"0001", outcomeProcessing, 0, false},
		{"1001", outcomeRejected, channel.KindSignature, false},
		{"1002", outcomeRejected, channel.KindInvalidRequest, false},
		{"1003", outcomeRejected, channel.KindInvalidRequest, false},
		{"1004", outcomeRejected, channel.KindInvalidRequest, false},
		{"1005", outcomeRejected, channel.KindAlreadyDone, false},
		{"1006", outcomeRejected, channel.KindInvalidRequest, false},
		{"1007", outcomeRejected, channel.KindInvalidRequest, false},
		{"1008", outcomeRejected, channel.KindInvalidRequest, false},
		{"2001", outcomeDeclined, channel.KindInsufficientFunds, false},
		{"2002", outcomeDeclined, channel.KindDeclined, false},
		{"2003", outcomeDeclined, channel.KindDeclined, false},
		{"2004", outcomeDeclined, channel.KindDeclined, false},
		{"2005", outcomeDeclined, channel.KindDeclined, false},
		{"2006", outcomeDeclined, channel.KindDeclined, false},
		{"3001", outcomeDeclined, channel.KindDeclined, false},
		{"3002", outcomeDeclined, channel.KindDeclined, false},
		{"3003", outcomeDeclined, channel.KindDeclined, false},
		{"3004", outcomeDeclined, channel.KindDeclined, false},
		{"3005", outcomeDeclined, channel.KindDeclined, false},
		{"3006", outcomeDeclined, channel.KindAlreadyDone, false},
		{"3007", outcomeDeclined, channel.KindDeclined, false},
		{"3008", outcomeDeclined, channel.KindDeclined, false},
		{"3009", outcomeDeclined, channel.KindRateLimited, true},
		{"4001", outcomeNotFound, channel.KindNotFound, false},
		{"4002", outcomeDeclined, channel.KindDeclined, false},
		{"4003", outcomeDeclined, channel.KindDeclined, false},
		{"4004", outcomeDeclined, channel.KindDeclined, false},
		{"4005", outcomeDeclined, channel.KindInsufficientFunds, true},
		{"4006", outcomeRetryLater, channel.KindUnavailable, true},
		{"9001", outcomeRetryLater, channel.KindUnavailable, true},
		{"9002", outcomeUnknown, channel.KindUnknown, true},
		{"9999", outcomeUnknown, channel.KindUnknown, true},
		{"5555", outcomeUnknown, channel.KindUnknown, true}, // unlisted: never "nothing happened"
	}
	if len(tests)-1 != len(codes) {
		t.Fatalf("table has %d codes, test %d rows: keep them in step", len(codes), len(tests)-1)
	}
	for _, tc := range tests {
		t.Run(tc.code, func(t *testing.T) {
			r := classify(tc.code)
			if r.outcome != tc.outcome || r.retryable != tc.retryable {
				t.Fatalf("classify = %+v", r)
			}
			err := codeError("pay", &response{Code: tc.code, Msg: "msg " + tc.code})
			if tc.outcome == outcomeSuccess || tc.outcome == outcomeProcessing {
				if err != nil {
					t.Fatalf("codeError = %v, want nil", err)
				}
				return
			}
			var ce *channel.Error
			if !errors.As(err, &ce) || ce.Kind != tc.kind || ce.Code != tc.code || ce.Retryable != tc.retryable || ce.Channel != "bank" || ce.Op != "pay" {
				t.Fatalf("codeError = %#v", err)
			}
			if tc.kind == channel.KindUnknown && !errors.Is(err, channel.ErrUnknownOutcome) {
				t.Fatal("unknown outcome not matched by ErrUnknownOutcome")
			}
		})
	}
}

func TestUnverifiedError_IsUnknownOutcome(t *testing.T) {
	err := unverifiedError("pay", errUnverified)
	if !errors.Is(err, channel.ErrUnknownOutcome) || !errors.Is(err, errUnverified) || channel.KindOf(err) != channel.KindUnknown {
		t.Fatalf("%v", err)
	}
}
