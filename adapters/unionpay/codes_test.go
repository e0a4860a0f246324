package unionpay

import (
	"testing"

	"github.com/tongdao/tongdao/core/channel"
)

// TestClassify_EveryRespCodeRow has one case per row of the respCode table
// (unionpay.md §7), for a money operation and for a synchronous one.
func TestClassify_EveryRespCodeRow(t *testing.T) {
	F, U, P, S := outFailed, outUnknown, outProcessing, outSucceeded
	tests := []struct {
		code         string
		money, sync  outcome
		kind         channel.Kind // of the money case (outFailed / outUnknown)
		retry, alert bool
	}{
		{"00", P, S, channel.KindUnknown, false, false},
		{"A6", P, S, channel.KindUnknown, false, false},
		{"01", F, F, channel.KindDeclined, false, false},
		{"02", F, F, channel.KindUnavailable, true, false},
		{"03", U, U, channel.KindUnknown, true, false},
		{"04", U, U, channel.KindUnknown, true, false},
		{"05", U, U, channel.KindUnknown, true, false},
		{"06", U, F, channel.KindUnknown, true, false},
		{"10", F, F, channel.KindInvalidRequest, false, false},
		{"11", F, F, channel.KindSignature, false, false},
		{"12", F, F, channel.KindAlreadyDone, false, false},
		{"13", F, F, channel.KindInvalidRequest, false, false},
		{"14", F, F, channel.KindInvalidRequest, false, false},
		{"30", F, F, channel.KindDeclined, false, false},
		{"31", F, F, channel.KindInvalidRequest, false, false},
		{"32", F, F, channel.KindInvalidRequest, false, false},
		{"33", F, F, channel.KindDeclined, false, false},
		{"34", F, F, channel.KindNotFound, false, false},
		{"35", F, F, channel.KindInvalidRequest, false, false},
		{"36", F, F, channel.KindInvalidRequest, false, false},
		{"37", F, F, channel.KindRateLimited, true, false},
		{"38", F, F, channel.KindDeclined, false, false},
		{"39", F, F, channel.KindDeclined, true, false},
		{"40", F, F, channel.KindDeclined, false, false},
		{"41", F, F, channel.KindNotFound, false, false},
		{"42", U, U, channel.KindUnknown, false, true},
		{"43", F, F, channel.KindInvalidRequest, false, false},
		{"44", F, F, channel.KindInvalidRequest, false, false},
		{"45", F, F, channel.KindAlreadyDone, false, false},
		{"46", F, F, channel.KindAlreadyDone, false, false},
		{"60", F, F, channel.KindDeclined, false, false},
		{"61", F, F, channel.KindDeclined, false, false},
		{"62", F, F, channel.KindDeclined, false, false},
		{"63", F, F, channel.KindDeclined, false, false},
		{"64", F, F, channel.KindInsufficientFunds, false, false},
		{"65", F, F, channel.KindDeclined, false, false},
		{"66", F, F, channel.KindDeclined, false, false},
		{"67", F, F, channel.KindDeclined, false, false},
		{"68", F, F, channel.KindDeclined, false, false},
		{"69", F, F, channel.KindDeclined, false, false},
		{"70", P, P, channel.KindUnknown, true, false},
		{"71", F, F, channel.KindDeclined, true, false},
		{"72", F, F, channel.KindDeclined, false, false},
		{"73", F, F, channel.KindDeclined, false, false},
		{"74", U, U, channel.KindUnknown, false, false},
		{"75", F, F, channel.KindDeclined, false, false},
		{"76", F, F, channel.KindDeclined, false, false},
		{"77", F, F, channel.KindDeclined, false, false},
		{"78", F, F, channel.KindDeclined, false, false},
		{"79", F, F, channel.KindDeclined, false, false},
		{"80", F, F, channel.KindDeclined, false, false},
		{"81", F, F, channel.KindDeclined, false, false},
		{"82", F, F, channel.KindDeclined, false, false},
		{"83", U, U, channel.KindUnknown, true, false},
		{"85", F, F, channel.KindDeclined, false, false},
		{"86", F, F, channel.KindDeclined, false, false},
		{"87", F, F, channel.KindDeclined, false, false},
		{"88", F, F, channel.KindDeclined, false, false},
		{"89", F, F, channel.KindDeclined, false, false},
		{"90", F, F, channel.KindDeclined, false, false},
		{"91", F, F, channel.KindDeclined, false, false},
		{"98", F, F, channel.KindNotFound, true, false},
		{"99", U, F, channel.KindUnknown, true, false},
		{"Z9", U, F, channel.KindUnknown, true, false}, // unrecognised: never failed for money
	}
	for _, tc := range tests {
		t.Run(tc.code, func(t *testing.T) {
			m := classify(tc.code, opMoney)
			if m.outcome != tc.money || m.retryable != tc.retry || m.alert != tc.alert {
				t.Errorf("money op: %+v, want outcome %v retry %v alert %v", m, tc.money, tc.retry, tc.alert)
			}
			if (m.outcome == outFailed || m.outcome == outUnknown) && m.kind != tc.kind {
				t.Errorf("money op: kind %v, want %v", m.kind, tc.kind)
			}
			if s := classify(tc.code, opSync); s.outcome != tc.sync {
				t.Errorf("sync op: outcome %v, want %v", s.outcome, tc.sync)
			}
			if tc.money == outUnknown && m.kind != channel.KindUnknown {
				t.Errorf("an unknown outcome must carry KindUnknown, got %v", m.kind)
			}
		})
	}
}

func TestTransport_TimeoutOrDroppedIsUnknown(t *testing.T) {
	r := transportRule()
	if r.outcome != outUnknown || r.kind != channel.KindUnknown || !r.retryable {
		t.Errorf("%+v", r)
	}
}

func TestQueryOutcome_KeepQueryingIsNeverFailed(t *testing.T) {
	tests := []struct {
		resp, orig string
		want       outcome
		kind       channel.Kind
	}{
		{"00", "00", outSucceeded, 0},
		{"00", "A6", outSucceeded, 0},
		{"00", "03", outProcessing, channel.KindUnknown},
		{"00", "04", outProcessing, channel.KindUnknown},
		{"00", "05", outProcessing, channel.KindUnknown},
		{"00", "64", outFailed, channel.KindInsufficientFunds},
		{"00", "01", outFailed, channel.KindDeclined},
		{"00", "Z9", outFailed, channel.KindDeclined}, // any other origRespCode: failed (§7.2)
		{"00", "42", outUnknown, channel.KindUnknown},
		{"00", "74", outUnknown, channel.KindUnknown},
		{"03", "", outUnknown, channel.KindUnknown},
		{"04", "", outUnknown, channel.KindUnknown},
		{"05", "", outUnknown, channel.KindUnknown},
		{"34", "", outFailed, channel.KindNotFound},
		{"10", "", outFailed, channel.KindInvalidRequest},
	}
	for _, tc := range tests {
		t.Run(tc.resp+"/"+tc.orig, func(t *testing.T) {
			r := queryOutcome(&verified{p: fieldsOf(map[string]string{"respCode": tc.resp, "origRespCode": tc.orig})})
			if r.outcome != tc.want || r.outcome != outSucceeded && r.kind != tc.kind {
				t.Errorf("%+v, want %v %v", r, tc.want, tc.kind)
			}
		})
	}
}
