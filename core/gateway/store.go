package gateway

import (
	"context"
	"time"

	"github.com/tongdao/tongdao/core/order"
)

// Store is the storage the gateway needs: the orders, and the merchant API's nonce replay
// cache and Idempotency-Key records. core/store implements it on SQLite and PostgreSQL.
type Store interface {
	order.Store
	order.Lookups
	order.Outbox
	order.Counter
	// EventByID returns an order event by its id (evt_…); order.ErrNotFound when unknown.
	EventByID(ctx context.Context, id string) (*order.Event, error)

	// RememberNonce records merchant's nonce until expires and reports true, or reports
	// false when the nonce is already recorded and not expired (a replay).
	RememberNonce(ctx context.Context, merchantID, nonce string, now, expires time.Time) (bool, error)
	// BeginIdempotent records an Idempotency-Key as in flight with the request's hash and
	// reports created=true; when the key exists (and has not expired) it returns the stored
	// record and created=false.
	BeginIdempotent(ctx context.Context, merchantID, key, hash string, now, expires time.Time) (rec IdemRecord, created bool, err error)
	// FinishIdempotent stores the response of an in-flight key; AbandonIdempotent removes an
	// in-flight key whose request changed nothing, so a retry runs again.
	FinishIdempotent(ctx context.Context, merchantID, key string, status int, response []byte) error
	AbandonIdempotent(ctx context.Context, merchantID, key string) error
	// PurgeAPI deletes nonces and Idempotency-Key records that expired before now.
	PurgeAPI(ctx context.Context, now time.Time) error
}

// IdemRecord is a stored Idempotency-Key.
type IdemRecord struct {
	Hash     string // SHA-256 of the request (method, path, body), hex
	Done     bool   // false while the first request is in flight
	Status   int    // the stored HTTP status (Done only)
	Response []byte // the stored body (Done only)
}
