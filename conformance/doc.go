// Package conformance holds the reusable suite every channel adapter passes, in the spirit
// of testing/fstest.TestFS: an adapter's own test builds a Harness (the channel under test,
// configured against the simulator, and a Simulator driver) and calls TestChannel once.
//
//	func TestConformance(t *testing.T) {
//		ts := simulator.Start(t, simulator.Config{…})
//		ch, _ := wechat.New(wechat.Config{BaseURL: ts.URL, …})
//		conformance.TestChannel(t, conformance.Harness{Channel: ch, Sim: conformance.HTTPSimulator(ts.URL, nil)})
//	}
//
// The suite runs the contract's behaviours as subtests and skips what the channel does not
// claim to support: pay/query/close; an unknown outcome after a timeout that the channel
// processed, resolved by query; duplicate, reordered and forged notifications; partial
// refunds with retries and over-refund; statements across midnight; business error codes
// mapped to error kinds; card binding with an SMS code, an already bound card, a resent
// code and an idempotent unbind (channel.Binder); payouts, their query, a returned payout
// that becomes Reversed and a Succeeded payout that is not final (channel.Payouter). Each
// failure says what the channel did and what the contract expected.
//
// A channel without a payer-driven method (QR, H5, Web, App, JSAPI) but with MethodToken
// and channel.Binder — the bank direct-connect — runs the pay, notification, refund and
// statement behaviours with MethodToken: give the Harness a BindCard and a Sim that
// implements SMSReader (HTTPSim does, through the simulator's /_sim/{channel}/sms), and
// the suite binds the card once and pays with its token.
package conformance
