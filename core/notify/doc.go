// Package notify delivers merchant webhooks from the order outbox.
//
// Every order transition writes an event and, in the same transaction, one outbox delivery
// per consumer (core/store). A Notifier claims the "webhook" deliveries, builds each event's
// JSON envelope from the order store and POSTs it, signed, to the merchant:
//
//	POST <merchant webhook URL>
//	Content-Type: application/json
//	Tongdao-Event-Id: evt_…
//	Tongdao-Event-Type: payment.succeeded
//	Tongdao-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
//
//	{"id":"evt_…","type":"payment.succeeded","created":"…+08:00","data":{"object":"payment",…}}
//
// Guarantees:
//   - At least once: a 2xx answer within Config.Timeout completes a delivery; anything else
//     (another status, a redirect, a timeout, a refused connection) is retried on
//     Config.Schedule (DefaultSchedule: 15s, 1m, 5m, 30m, 2h, 6h, 12h, 24h) and dead-lettered
//     after the last try. Every retry and redelivery carries the same event id: merchants
//     de-duplicate by it.
//   - In order per payment: a payment's next event (its refunds' included) goes out only when
//     the previous one is delivered or dead-lettered.
//   - One sender at a time: claims are leased (Config.Lease > Config.Timeout), so several
//     Notifiers on one PostgreSQL never send one delivery concurrently.
//   - Fairness: at most Config.Workers requests in flight, at most Config.PerHost per merchant
//     host; a slow merchant cannot hold the others up.
//   - A merchant without a webhook URL (and a payment without NotifyURL), an unknown merchant,
//     and the event types not selected (by default payment.created, payment.pending and
//     refund.created) complete without sending. A merchant with a URL but no secret is never
//     sent an unsigned request: its deliveries fail, are retried and dead-lettered.
//   - No secret, and no URL beyond its host, is logged.
//
// Merchants verify a webhook with VerifyWebhook. Operators redeliver with Redeliver (or
// `tongdao webhooks redeliver`). Package natspub publishes the same envelopes to NATS
// JetStream from the "nats" consumer.
package notify
