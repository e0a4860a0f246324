package recon_test

import (
	"context"
	"io"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/recon"
)

// sliceStatement is a channel.StatementReader over records in memory.
type sliceStatement struct {
	recs   []channel.StatementRecord
	i      int
	totals *channel.StatementTotals
}

func (s *sliceStatement) Next(r *channel.StatementRecord) error {
	if s.i >= len(s.recs) {
		return io.EOF
	}
	*r = s.recs[s.i]
	s.i++
	r.Line = s.i
	return nil
}
func (s *sliceStatement) Totals() *channel.StatementTotals { return s.totals }
func (s *sliceStatement) Close() error                     { return nil }

// sliceSource is a recon.Source over rows in memory; it hands out only rows in [from, to).
type sliceSource []recon.Local

func (s sliceSource) ReconLocal(_ context.Context, _ string, from, to time.Time, fn func(*recon.Local) error) error {
	for i := range s {
		l := s[i]
		if l.At.Before(from) || !l.At.Before(to) {
			continue
		}
		if err := fn(&l); err != nil {
			return err
		}
	}
	return nil
}
