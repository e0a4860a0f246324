// Package router chooses the channel account of a payment for the gateway: it implements
// gateway.Router (and gateway.AttemptObserver, through which the gateway reports each
// channel call).
//
// A decision runs in three stages, every one of them explained in the Decision:
//
//  1. Candidates: the first Rule whose conditions all hold (method, card type and issuer
//     from the BIN table, amount range, merchant and merchant class, Beijing time of day)
//     names the candidate accounts; an account that does not declare the method
//     (Channel.Methods) or a capability the rule requires is skipped.
//  2. Filters: per-transaction, per-day and per-month limits (exact, in money.Amount),
//     maintenance windows, and health (a circuit breaker per account that counts only the
//     channel's own faults: unknown outcomes and unavailability, never declines or invalid
//     requests).
//  3. Choice: by priority, by weight (smooth weighted round-robin), or by lowest fee.
//
// The ordered eligible accounts become RouteDecision.Candidates: the gateway tries the next
// one only when an attempt surely did not reach its channel.
//
// Limits and health are kept in memory, per process. With several gateway processes each
// process counts only the payments it sent, so a per-day limit of L is enforced as at most
// L per process; give each process its share (L/N) or run one router process.
package router
