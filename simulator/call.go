package simulator

import (
	"context"
	"crypto/x509"
	"net/http"
	"time"
)

// Call is one inbound protocol request as the engine hands it to a Handler. Body holds the
// whole request body (read up to the route's limit). A Call is used by one goroutine.
type Call struct {
	// Request is the HTTP request; its body has been read into Body.
	Request *http.Request
	// Body is the raw request body.
	Body []byte
	// Route is the route that matched.
	Route Route

	e          *Engine
	identified bool
	op         string
	merchant   string
	outTradeNo string
	faults     []FaultPlan // call faults that apply
	stop       *FaultPlan  // the fault that stopped processing in Identify
	tooLarge   bool
}

// BodyTooLarge reports whether the request body was over the route's size limit
// (Route.MaxBody, else Config.MaxBody). The engine stopped reading at the limit and Body
// is nil; the handler answers in the channel's own error format (the engine does not send
// a plain-text 413).
func (c *Call) BodyTooLarge() bool { return c.tooLarge }

// Context returns the request's context (cancelled when the client goes away).
func (c *Call) Context() context.Context { return c.Request.Context() }

// Now returns the simulator clock's time.
func (c *Call) Now() time.Time { return c.e.s.clk.Now() }

// Engine returns the engine of the protocol that serves this call.
func (c *Call) Engine() *Engine { return c.e }

// Op returns the operation named by Identify (or the route's Op).
func (c *Call) Op() string { return c.op }

// Identify names the call's operation, merchant and merchant order number (any may be "")
// and matches the fault plans against them. It returns stop=true when a fault plan acts
// before processing (timeout_before, reset, http_5xx, or a delay that ended because the
// client gave up): the handler must then return nil at once without changing any state, and
// the engine answers as the plan says. Only the first call of Identify matches plans; later
// calls only fill in the non-empty names for the record.
func (c *Call) Identify(op, merchant, outTradeNo string) (stop bool) {
	if c.identified {
		// Later calls only fill in names learnt since (e.g. an order number found by
		// transaction_id); plans are not matched again.
		if op != "" {
			c.op = op
		}
		if merchant != "" {
			c.merchant = merchant
		}
		if outTradeNo != "" {
			c.outTradeNo = outTradeNo
		}
		return c.stop != nil
	}
	if op != "" {
		c.op = op
	}
	c.merchant, c.outTradeNo = merchant, outTradeNo
	c.identified = true
	s := c.e.s
	c.faults = s.faults.match(event{cat: catCall, channel: c.e.name, op: c.op, merchant: merchant, outTradeNo: outTradeNo}, s.rand.Float64)
	if len(c.faults) == 0 {
		return false
	}
	if p, ok := findKind(c.faults, FaultDelay); ok && p.Stage == StageBefore {
		if !s.delay(c.Context(), p) {
			c.stop = &p
			return true
		}
	}
	for _, k := range []FaultKind{FaultTimeoutBefore, FaultReset, FaultHTTP5xx} {
		if p, ok := findKind(c.faults, k); ok && (k == FaultTimeoutBefore || p.Stage != StageAfter) {
			c.stop = &p
			return true
		}
	}
	return false
}

// BusinessFault is what a business_code fault plan asks the protocol to answer.
type BusinessFault struct {
	// Code is a generic Code* constant or the channel's raw code.
	Code string
	// Message is the text to put in the error message field ("" = the protocol's default).
	Message string
	// Process says the state change happens before the error answer (e.g. USER_PAYING
	// leaves the order waiting for the payer; SYSTEM_ERROR with Process = the order was
	// created but the client is told the system is busy).
	Process bool
	// Plan is the whole plan, for protocol-specific parameters.
	Plan FaultPlan
}

// BusinessFault returns the business error the protocol must answer with, if a
// business_code plan applies to this call.
func (c *Call) BusinessFault() (BusinessFault, bool) {
	p, ok := findKind(c.faults, FaultBusinessCode)
	if !ok {
		return BusinessFault{}, false
	}
	return BusinessFault{Code: p.Code, Message: p.Message, Process: p.Process, Plan: p}, true
}

// CorruptSignature reports whether the protocol must sign its reply wrongly (a
// bad_signature plan applies): the reply must look right but fail verification.
func (c *Call) CorruptSignature() bool {
	_, ok := findKind(c.faults, FaultBadSignature)
	return ok
}

// Fault returns the plan of kind k that applies to this call, for protocol-specific
// parameters.
func (c *Call) Fault(k FaultKind) (FaultPlan, bool) { return findKind(c.faults, k) }

// ClientCertificates returns the TLS client certificate chain the caller presented (nil
// over plain HTTP or when none was sent).
func (c *Call) ClientCertificates() []*x509.Certificate {
	if c.Request.TLS == nil {
		return nil
	}
	return c.Request.TLS.PeerCertificates
}
