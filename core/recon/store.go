package recon

import (
	"context"
	"errors"
	"time"

	"github.com/tongdao/tongdao/core/clock"
)

// Action is what a resolution did.
type Action string

// Resolution actions.
const (
	// ActionConfirm: the channel's Query was asked and its answer applied to the order
	// (cause "query"): a pending payment the channel has as paid is completed.
	ActionConfirm Action = "confirm"
	// ActionException: a person accepts the item as an exception with a reason (handled
	// outside, e.g. with the channel), which closes it.
	ActionException Action = "exception"
	// ActionAdjust: the ledger is corrected by a reversal and a correction entry.
	ActionAdjust Action = "adjust"
	// ActionNextDay: matched on the next day's statement (the cross-day window).
	ActionNextDay Action = "next_day"
)

// Resolution is one audited step of the workflow on an item.
type Resolution struct {
	ID     int64     `json:"id"`
	ItemID int64     `json:"item_id"`
	Action Action    `json:"action"`
	Actor  string    `json:"actor"`  // who: a person's id, or "recon" for the run itself
	Reason string    `json:"reason"` // why, in the actor's words
	Detail string    `json:"detail"` // what was done: the query's answer, ledger entry ids
	At     time.Time `json:"at"`
}

// ItemFilter selects items for a report or a listing. Zero fields select everything.
type ItemFilter struct {
	Account string
	Day     clock.Date
	Status  ItemStatus
	Limit   int // 0 = no limit
}

// Store is the storage reconciliation needs; core/store implements it on SQLite and
// PostgreSQL.
type Store interface {
	Source
	// ReconStart and ReconFinish bracket a run of (account, day): an open or waiting item a
	// previous run left that this run does not find again is removed by ReconFinish (unless
	// it has an audit row); one found again keeps its id. Resolved items stay.
	ReconStart(ctx context.Context, account string, day clock.Date) error
	ReconFinish(ctx context.Context, account string, day clock.Date) error
	// ReconAbort undoes ReconStart after a run failed: the day's items are as before it.
	ReconAbort(ctx context.Context, account string, day clock.Date) error
	// ReconSaveItem stores an item found by a run (ID 0; ID is set). An item stored under
	// the same account, day, kind, number and class is updated in place and keeps its id;
	// if it is resolved it stays resolved (it.Status is set so). With an ID, the item's
	// status, note and carried day are updated.
	ReconSaveItem(ctx context.Context, it *Item, carriedTo clock.Date) error
	// ReconWaiting returns the items of day−1 that wait for day: status waiting, or carried
	// into an earlier run of day (whatever their status now).
	ReconWaiting(ctx context.Context, account string, day clock.Date) ([]Item, error)
	ReconItems(ctx context.Context, f ItemFilter) ([]Item, error)
	ReconItem(ctx context.Context, id int64) (*Item, error)
	// ReconResolve appends r to the audit and sets the item's status and note, in one
	// transaction.
	ReconResolve(ctx context.Context, r Resolution, status ItemStatus, note string) error
	ReconResolutions(ctx context.Context, itemID int64) ([]Resolution, error)
	// ReconSaveRun keeps a run's summary (JSON) for (account, day); ReconRun reads it back.
	ReconSaveRun(ctx context.Context, account string, day clock.Date, summary []byte, at time.Time) error
	ReconRun(ctx context.Context, account string, day clock.Date) ([]byte, error)
}

// ErrNoItem: no such item (or run).
var ErrNoItem = errors.New("recon: no such item")
