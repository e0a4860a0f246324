package posting

import (
	"context"

	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/order"
)

// Store is what the Poster reads and claims: the orders, their outbox and the ledger's journal,
// in one database (core/store's *store.DB implements all three).
type Store interface {
	order.Store
	order.Outbox
	ledger.Store
}

// BatchCompleter is optionally implemented by a Store that can mark many deliveries done in
// one transaction (core/store's *store.DB does). The Poster then completes a claimed batch with
// one commit instead of one per delivery.
type BatchCompleter interface {
	CompleteDeliveries(ctx context.Context, consumer string, seqs []int64) error
}

// PaymentBatch is optionally implemented by a Store that reads many payments in one query
// (core/store's *store.DB does). The Poster then reads the payments of a claimed batch at once
// instead of one per delivery, which on PostgreSQL spares each posting a wait for a pooled
// connection.
type PaymentBatch interface {
	PaymentsByID(ctx context.Context, ids []string) (map[string]*order.Payment, error)
}
