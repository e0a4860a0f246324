package store_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/store/storetest"
)

func TestMovePayment_OnlyWhileCreatedAndAtItsVersion(t *testing.T) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) {
		db := storetest.Open(t, dsn)
		ctx := context.Background()
		p := newPayment("pay_mv1", "M1", "MV1", 100)
		mustPay(t, db, p)
		moved, err := db.MovePayment(ctx, p.ID, p.Version, "ali1", "alipay", t0)
		if err != nil {
			t.Fatal(err)
		}
		if moved.Account != "ali1" || moved.Channel != "alipay" || moved.Version != p.Version+1 || moved.State != order.Created {
			t.Fatalf("moved: %+v", moved)
		}
		if got, err := db.PaymentByChannelOrderNo(ctx, "ali1", p.ChannelOrderNo); err != nil || got.ID != p.ID {
			t.Errorf("look-up by the new account: %v %v", got, err)
		}
		// A stale version loses.
		if _, err := db.MovePayment(ctx, p.ID, p.Version, "wx2", "wechat", t0); !errors.Is(err, order.ErrConflict) {
			t.Errorf("stale version: %v, want ErrConflict", err)
		}
		// Once any channel may have seen it (pending), it never moves.
		pend, _, err := db.TransitionPayment(ctx, p.ID, moved.Version, order.Transition{To: order.Pending, Cause: order.CauseChannel, At: t0, Unresolved: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.MovePayment(ctx, p.ID, pend.Version, "wx2", "wechat", t0); !errors.Is(err, order.ErrConflict) {
			t.Errorf("pending payment moved: %v", err)
		}
		if got, _ := db.Payment(ctx, p.ID); got.Account != "ali1" {
			t.Errorf("account after refused move: %s", got.Account)
		}
	})
}
