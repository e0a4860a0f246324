// Package balancetest has an in-memory balance.Source for tests, examples and the load
// command, until a real wallet is wired in.
package balancetest

import (
	"context"
	"errors"
	"sync"

	"github.com/tongdao/tongdao/core/balance"
)

// Source is an in-memory balance.Source: accounts by id with their owner. Safe for
// concurrent use.
type Source struct {
	mu       sync.RWMutex
	accounts map[string]entry
	down     error
	calls    int64
}

type entry struct {
	owner string
	view  balance.View
}

// New returns an empty Source.
func New() *Source { return &Source{accounts: map[string]entry{}} }

// Put stores v (v.AccountID names it) as owned by user.
func (s *Source) Put(user string, v balance.View) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accounts[v.AccountID] = entry{owner: user, view: v}
}

// SetDown makes every Balance call fail with err (nil: answer again).
func (s *Source) SetDown(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = err
}

// Calls returns how many Balance calls were made.
func (s *Source) Calls() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.calls
}

// Balance implements balance.Source.
func (s *Source) Balance(_ context.Context, user, account string) (balance.View, error) {
	s.mu.Lock()
	s.calls++
	e, ok := s.accounts[account]
	down := s.down
	s.mu.Unlock()
	switch {
	case down != nil:
		return balance.View{}, down
	case !ok:
		return balance.View{}, balance.ErrNotFound
	case e.owner != user:
		return balance.View{}, balance.ErrNotOwner
	}
	v := e.view
	v.Cards = append([]balance.Card(nil), v.Cards...)
	return v, nil
}

var _ balance.Source = (*Source)(nil)

// ErrDown is a ready-made outage for SetDown.
var ErrDown = errors.New("balancetest: source down")
