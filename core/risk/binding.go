package risk

import (
	"context"
	"sync"
	"time"
)

// BindKind is what happened to a card binding.
type BindKind string

// Binding events.
const (
	BindAttempt BindKind = "attempt" // a bind SMS was asked for (or a bind was tried)
	BindDone    BindKind = "bound"   // the binding was confirmed
	BindRemoved BindKind = "unbound"
)

// BindEvent is one binding event, reported by whoever runs card binding (the gateway's
// binding API) through Engine.Bind.
type BindEvent struct {
	User string
	Card string // fingerprint
	Kind BindKind
	At   time.Time
}

// BindingStore keeps what binding rules read. MemoryBindings is the in-process one.
type BindingStore interface {
	Apply(ctx context.Context, ev BindEvent) error
	// CardsOf returns how many cards user has bound; BoundAt when card was last bound (zero:
	// never); Attempts how many bind attempts card had in (at-window, at].
	CardsOf(ctx context.Context, user string) (int, error)
	BoundAt(ctx context.Context, card string) (time.Time, error)
	Attempts(ctx context.Context, card string, window time.Duration, at time.Time) (int, error)
}

// MemoryBindings is the in-process BindingStore (per process; attempts older than a day
// are forgotten). Safe for concurrent use.
type MemoryBindings struct {
	mu       sync.Mutex
	cards    map[string]map[string]bool // user → cards
	bound    map[string]time.Time       // card → when bound
	attempts map[string][]time.Time     // card → attempt times, oldest first
}

// NewMemoryBindings returns an empty MemoryBindings.
func NewMemoryBindings() *MemoryBindings {
	return &MemoryBindings{cards: map[string]map[string]bool{}, bound: map[string]time.Time{}, attempts: map[string][]time.Time{}}
}

// Apply implements BindingStore.
func (m *MemoryBindings) Apply(_ context.Context, ev BindEvent) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch ev.Kind {
	case BindAttempt:
		a := m.attempts[ev.Card]
		for len(a) > 0 && !a[0].After(ev.At.Add(-24*time.Hour)) {
			a = a[1:]
		}
		m.attempts[ev.Card] = append(a, ev.At)
	case BindDone:
		if m.cards[ev.User] == nil {
			m.cards[ev.User] = map[string]bool{}
		}
		m.cards[ev.User][ev.Card] = true
		m.bound[ev.Card] = ev.At
	case BindRemoved:
		delete(m.cards[ev.User], ev.Card)
	}
	return nil
}

// CardsOf implements BindingStore.
func (m *MemoryBindings) CardsOf(_ context.Context, user string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.cards[user]), nil
}

// BoundAt implements BindingStore.
func (m *MemoryBindings) BoundAt(_ context.Context, card string) (time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.bound[card], nil
}

// Attempts implements BindingStore.
func (m *MemoryBindings) Attempts(_ context.Context, card string, window time.Duration, at time.Time) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, t := range m.attempts[card] {
		if t.After(at.Add(-window)) && !t.After(at) {
			n++
		}
	}
	return n, nil
}
