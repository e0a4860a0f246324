package main

import (
	"context"
	"log/slog"

	"github.com/nats-io/nats.go"

	"github.com/tongdao/tongdao/core/notify/natspub"
	"github.com/tongdao/tongdao/core/store"
)

// newNATSPublisher connects to url and returns the outbox's NATS publisher and a closer.
func newNATSPublisher(ctx context.Context, url string, db *store.DB, log *slog.Logger) (*natspub.Publisher, func(), error) {
	nc, err := nats.Connect(url, nats.Name("tongdao gateway"))
	if err != nil {
		return nil, nil, err
	}
	pub, err := natspub.New(ctx, natspub.Config{Outbox: db, Orders: db, Conn: nc, Logger: log})
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return pub, nc.Close, nil
}
