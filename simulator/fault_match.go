package simulator

import (
	"strconv"
	"sync"
	"sync/atomic"
)

// faultSet holds the active fault plans and their occurrence counters. Plans are matched in
// the order they were added.
type faultSet struct {
	mu     sync.Mutex
	plans  []*planState
	nextID int
	n      atomic.Int32 // len(plans), read without the lock on the hot path
}

type planState struct {
	plan FaultPlan
	cat  faultCategory
	seen int64 // matching events so far
}

// event is what a plan is matched against.
type event struct {
	cat        faultCategory
	channel    string
	op         string
	merchant   string
	outTradeNo string // ignored for statements (there it selects a record)
}

func (f *faultSet) add(p FaultPlan) (string, error) {
	if err := p.Validate(); err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	p.ID = "f" + strconv.Itoa(f.nextID)
	f.plans = append(f.plans, &planState{plan: p, cat: kindCategory[p.Kind]})
	f.n.Store(int32(len(f.plans)))
	return p.ID, nil
}

func (f *faultSet) remove(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, ps := range f.plans {
		if ps.plan.ID == id {
			f.plans = append(f.plans[:i], f.plans[i+1:]...)
			f.n.Store(int32(len(f.plans)))
			return true
		}
	}
	return false
}

func (f *faultSet) list() []FaultPlan {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]FaultPlan, len(f.plans))
	for i, ps := range f.plans {
		out[i] = ps.plan
	}
	return out
}

func (f *faultSet) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.plans = nil
	f.nextID = 0
	f.n.Store(0)
}

// match returns the plans that apply to ev, at most one per kind (the earliest added), and
// advances the occurrence counters of every plan whose filter matched. draw supplies the
// seeded probability source.
func (f *faultSet) match(ev event, draw func() float64) []FaultPlan {
	if f.n.Load() == 0 {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []FaultPlan
	for _, ps := range f.plans {
		p := &ps.plan
		if ps.cat != ev.cat ||
			(p.Channel != "" && p.Channel != ev.channel) ||
			(p.Op != "" && p.Op != ev.op) ||
			(p.Merchant != "" && p.Merchant != ev.merchant) ||
			(ev.cat != catStatement && p.OutTradeNo != "" && p.OutTradeNo != ev.outTradeNo) {
			continue
		}
		ps.seen++
		if p.First > 0 && ps.seen > int64(p.First) {
			continue
		}
		if p.Every > 0 && ps.seen%int64(p.Every) != 0 {
			continue
		}
		if p.Probability > 0 && draw() >= p.Probability {
			continue
		}
		dup := false
		for _, o := range out {
			if o.Kind == p.Kind {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, *p)
		}
	}
	return out
}

// findKind returns the plan of kind k in ps.
func findKind(ps []FaultPlan, k FaultKind) (FaultPlan, bool) {
	for _, p := range ps {
		if p.Kind == k {
			return p, true
		}
	}
	return FaultPlan{}, false
}
