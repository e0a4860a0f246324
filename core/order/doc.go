// Package order holds the payment core's payment, refund and payout orders, card bindings,
// and their state machines.
//
// A Payment moves through the states of its transition table (PaymentTransitions):
//
//	created ─► pending ─► succeeded ─► partially_refunded ─► refunded
//	   │          │  └──► failed            └───────────────────┘
//	   │          └─────► closed ──(late success)──► succeeded
//	   └─► succeeded | failed | closed
//
// A Refund moves created ─► pending ─► succeeded | failed (or straight to a final state).
//
// A Payout (PayoutTransitions) moves created ─► processing ─► succeeded ─► returned, or to
// failed; succeeded is not final for a payout, since the receiving bank can return it days
// later. A Binding (BindingTransitions) moves created ─► sms_sent ─► bound ─► unbound, or to
// failed; it keeps the card's elements sealed only while it waits for its SMS code.
//
// Every change is a Transition: a target state, its Cause (the merchant's API call, the
// channel's answer, a notification, a query, the expiry, an operator) and a reference that
// makes it idempotent (the notification's de-duplication key, the API request's key, the
// query's attempt). A Store applies a transition as a compare-and-set on the order's stored
// version, in one database transaction with the order's history row and its outbox event, so
// several gateway processes on one database never lose or double a change, and an event is
// written if and only if its state change is.
//
// Unknown is not failed: there is no transition to failed with cause CauseChannel from an
// unknown outcome — an order whose outcome is unknown stays pending and is queried (the
// Store's query-back queue) until the channel says what happened. A success that arrives
// after the order was closed or failed is still a success (a late success), recorded with an
// alert for a refund or manual handling.
package order
