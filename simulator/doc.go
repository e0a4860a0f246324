// Package simulator is tongdao's channel simulator engine: one http.Handler that serves the
// server side of every channel protocol at the channel's real paths (so a real SDK in any
// language needs only its host changed), with a virtual clock, seeded randomness, fault
// plans, callbacks sent like the real channel, statements derived from channel-side state,
// a transcript of everything, and a JSON control API under /_sim/.
//
// # Using it
//
//	wx, _ := wechat.New(wechat.Config{})     // simulator/wechat
//	s, err := simulator.New(simulator.Config{Protocols: []simulator.Protocol{wx}, Seed: 1})
//	http.ListenAndServe(":8080", s)           // or, in a Go test:
//	sim := simulator.Start(t, cfg)            // loopback listener, closed at t.Cleanup
//	sim.Advance(90 * time.Second)             // virtual time; due callbacks are delivered
//
// Server.Transport returns an in-process http.RoundTripper to the simulator, and
// HandlerTransport delivers callbacks to an in-process merchant handler
// (Config.CallbackTransport), so a whole payment flow can run without sockets.
//
// # Writing a protocol
//
// A channel's server side implements [Protocol] (Name, Register, Reset, AddMerchant,
// Merchants) and, where the channel has them, the optional [Payer] (the payer's actions),
// [StatementSource] / [StatementRenderer] (statements) and [Controller] (control endpoints
// of its own under /_sim/{channel}/). In Register it receives its
// [Engine] and adds its routes:
//
//	func (p *Proto) Register(e *simulator.Engine) error {
//		p.e = e
//		return e.Handle(simulator.Route{Path: "/pay/unifiedorder", Op: "unifiedorder"}, p.unifiedOrder)
//	}
//
// A [Handler] receives a [Call] with the whole body read. It decodes the body; a malformed
// request gets the channel's own error reply. As soon as it knows the operation, merchant
// and merchant order number it calls Identify, which matches the fault plans:
//
//	if c.Identify("unifiedorder", mchID, outTradeNo) {
//		return nil // a plan acts before processing: change nothing, the engine answers
//	}
//	if bf, ok := c.BusinessFault(); ok { ... answer the channel's code for bf.Code ... }
//	... process, commit state ...
//	sig := sign(...); if c.CorruptSignature() { sig = wrong(sig) }
//	return &simulator.Reply{ContentType: "text/xml", Body: body}
//
// The engine then applies what acts after processing (delay, timeout after processing,
// reset or 5xx after processing, malformed or truncated body) and records the exchange.
// Dispatching protocols (Alipay's /gateway.do by method, the bank's /bdc/gateway by txCode)
// register one route with an empty Op and name the operation in Identify. Routes can be
// restricted by Host (UnionPay's file host is served at "/" of filedownload.*) and marked
// ClientCert where the real channel demands a TLS client certificate (WeChat /secapi/).
//
// Time comes only from Engine.Clock; ids and nonces only from Engine.Rand. Callbacks go
// through Engine.Notify with the channel's retry schedule and acknowledgement rule; the
// engine owns timing, retries, callback faults and recording. Statements: the protocol
// returns the records of an accounting day from its own state (StatementSource); its
// download handler calls Engine.Statement, which refuses before the availability time
// (*NotReadyError) and applies statement faults, and renders the result in its format.
//
// # Faults
//
// A [FaultPlan] (POST /_sim/faults) matches events by channel, operation, merchant and
// merchant order number, then by occurrence: the first N, every Nth, with probability p from
// the seeded source. Call faults act on inbound calls; callback faults on Notify; the
// complete_after_midnight fault on payer actions; statement faults on Engine.Statement. See
// the Fault* constants for what each kind does.
//
// Timeouts: "timeout after processing" commits the state change and then closes the
// connection without writing a byte (Hold keeps it open until the client gives up, at most
// Config.HoldMax); "timeout before processing" does the same without calling the
// processing. A delay in virtual mode advances the virtual clock by the delay before
// answering (DelayMode "advance"), never sleeping on the wall clock; DelayMode "wait" holds
// the answer until the clock passes the delay instead.
//
// # Determinism
//
// With a virtual clock, one seed and a sequential scenario (each request answered before
// the next is sent), the transcript (Server.WriteTranscript, GET /_sim/records?format=jsonl)
// is identical byte for byte across runs. In virtual mode a callback due "now" is delivered
// when the clock next moves (Advance(0) suffices) or, for payer actions, before the action
// returns; retries fire as Advance passes their due times, synchronously, in due order.
// Config.Clock = clock.Real() gives the wall-clock mode for running beside an application.
package simulator
