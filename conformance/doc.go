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
// mapped to error kinds. Each failure says what the channel did and what the contract
// expected.
package conformance
