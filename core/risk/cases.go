package risk

import (
	"context"
	"sync"
	"time"

	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/money"
)

// Case is one assessment kept for review: the inputs, every rule that fired (shadow ones
// included) and the verdict.
type Case struct {
	ID              string
	At              time.Time
	MerchantID      string
	OrderNo         string
	Method          string
	Amount          money.Amount
	User            string
	CardFingerprint string
	DeviceID        string
	ClientIP        string
	Verdict         gateway.Verdict
	Rule            string // the rule that decided ("" = none fired: allowed by default)
	Hits            []Hit
}

// Hit is a rule that fired, with what it saw.
type Hit struct {
	Rule    string          `json:"rule"`
	Verdict gateway.Verdict `json:"verdict"`
	Shadow  bool            `json:"shadow,omitempty"`
	Detail  string          `json:"detail,omitempty"` // e.g. "user velocity 6 payments / 120.00 in 10m0s"
}

// CaseQuery selects cases, newest first. Empty fields match everything.
type CaseQuery struct {
	MerchantID string
	OrderNo    string
	Verdict    gateway.Verdict
	Limit      int // default 100
}

// CaseLog stores every assessment for review. MemoryCases keeps them in process;
// core/store's DB stores them in the database (table risk_cases).
type CaseLog interface {
	RecordCase(ctx context.Context, c *Case) error
	Cases(ctx context.Context, q CaseQuery) ([]Case, error)
}

// MemoryCases is a CaseLog holding the latest Max cases (default 100 000) in memory.
type MemoryCases struct {
	Max   int
	mu    sync.Mutex
	cases []Case
	next  int
}

// RecordCase implements CaseLog.
func (m *MemoryCases) RecordCase(_ context.Context, c *Case) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	limit := m.Max
	if limit <= 0 {
		limit = 100_000
	}
	if len(m.cases) < limit {
		m.cases = append(m.cases, *c)
		return nil
	}
	m.cases[m.next] = *c
	m.next = (m.next + 1) % limit
	return nil
}

// Cases implements CaseLog.
func (m *MemoryCases) Cases(_ context.Context, q CaseQuery) ([]Case, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	var out []Case
	n := len(m.cases)
	for i := 0; i < n && len(out) < limit; i++ {
		c := m.cases[(m.next-1-i+2*n)%n]
		if (q.MerchantID == "" || c.MerchantID == q.MerchantID) && (q.OrderNo == "" || c.OrderNo == q.OrderNo) && (q.Verdict == "" || c.Verdict == q.Verdict) {
			out = append(out, c)
		}
	}
	return out, nil
}
