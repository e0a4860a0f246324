package notify

import (
	"context"
	"sync"
)

// completer records delivered webhooks. Where the outbox is a BatchCompleter, tries that
// finish while a completion is being written are completed together in the next write (one
// commit for many, instead of one each); every caller returns once its own delivery is
// recorded, so nothing is claimable again before its predecessor is done.
type completer struct {
	ob       BatchCompleter // nil: one CompleteDelivery per delivery
	one      func(ctx context.Context, seq int64) error
	consumer string

	mu       sync.Mutex
	pending  []completion
	flushing bool
}

type completion struct {
	seq  int64
	done chan error
}

func (c *completer) complete(ctx context.Context, seq int64) error {
	if c.ob == nil {
		return c.one(ctx, seq)
	}
	me := completion{seq: seq, done: make(chan error, 1)}
	c.mu.Lock()
	c.pending = append(c.pending, me)
	if c.flushing {
		c.mu.Unlock()
		return <-me.done
	}
	c.flushing = true
	for len(c.pending) > 0 {
		batch := c.pending
		c.pending = nil
		c.mu.Unlock()
		seqs := make([]int64, len(batch))
		for i, b := range batch {
			seqs[i] = b.seq
		}
		err := c.ob.CompleteDeliveries(ctx, c.consumer, seqs)
		for _, b := range batch {
			b.done <- err
		}
		c.mu.Lock()
	}
	c.flushing = false
	c.mu.Unlock()
	return <-me.done
}
