package scenarios

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/tongdao/tongdao/simulator"
)

// simDriver is what the runner needs from a simulator: the control operations, in-process
// (localSim, calling *simulator.Server) or remote (remoteSim, over /_sim/).
type simDriver interface {
	Reset(ctx context.Context) error
	Now(ctx context.Context) (time.Time, error)
	SetTime(ctx context.Context, t time.Time) error
	Advance(ctx context.Context, d time.Duration) error
	// NextDue is the due time of the earliest pending timer (a callback attempt, a deferred
	// completion); false when none is pending.
	NextDue(ctx context.Context) (time.Time, bool, error)
	AddMerchant(ctx context.Context, raw json.RawMessage) (id string, err error)
	// Merchants lists each channel's merchants as the simulator shows them.
	Merchants(ctx context.Context) (map[string][]json.RawMessage, error)
	AddFault(ctx context.Context, p simulator.FaultPlan) (string, error)
	ClearFaults(ctx context.Context) error
	Payer(ctx context.Context, op string, a simulator.PayerAction) (simulator.PayOutcome, error)
	Records(ctx context.Context, f simulator.RecordFilter) ([]simulator.Record, error)
	// Control calls a channel's own control endpoint, /_sim/{channel}/{path} (the bank's
	// SMS codes and payout returns), decoding the JSON answer into out (if not nil).
	Control(ctx context.Context, method, chName, path string, q url.Values, in, out any) error
}

// localSim drives an in-process simulator.
type localSim struct{ s *simulator.Server }

func (l localSim) Reset(context.Context) error { l.s.Reset(); return nil }

func (l localSim) Now(context.Context) (time.Time, error) { return l.s.Clock().Now(), nil }

func (l localSim) SetTime(_ context.Context, t time.Time) error { return l.s.SetTime(t) }

func (l localSim) Advance(_ context.Context, d time.Duration) error { return l.s.Advance(d) }

func (l localSim) NextDue(context.Context) (time.Time, bool, error) {
	v := l.s.Virtual()
	if v == nil {
		return time.Time{}, false, simulator.ErrNotVirtual
	}
	t, ok := v.NextDue()
	return t, ok, nil
}

func (l localSim) AddMerchant(_ context.Context, raw json.RawMessage) (string, error) {
	_, id, err := l.s.AddMerchant(raw)
	return id, err
}

func (l localSim) Merchants(context.Context) (map[string][]json.RawMessage, error) {
	out := map[string][]json.RawMessage{}
	for ch, list := range l.s.Merchants() {
		for _, m := range list {
			b, err := json.Marshal(m)
			if err != nil {
				return nil, fmt.Errorf("merchant of %s: %w", ch, err)
			}
			out[ch] = append(out[ch], b)
		}
	}
	return out, nil
}

func (l localSim) AddFault(_ context.Context, p simulator.FaultPlan) (string, error) {
	return l.s.AddFault(p)
}

func (l localSim) ClearFaults(context.Context) error {
	for _, p := range l.s.Faults() {
		l.s.RemoveFault(p.ID)
	}
	return nil
}

func (l localSim) Payer(ctx context.Context, op string, a simulator.PayerAction) (simulator.PayOutcome, error) {
	if op == "cancel" {
		return l.s.Cancel(ctx, a)
	}
	return l.s.Pay(ctx, a)
}

func (l localSim) Records(_ context.Context, f simulator.RecordFilter) ([]simulator.Record, error) {
	return l.s.Records(f), nil
}

func (l localSim) Control(ctx context.Context, method, chName, path string, q url.Values, in, out any) error {
	ctl, ok := l.s.Protocol(chName).(simulator.Controller)
	if !ok {
		return fmt.Errorf("simulator: %s has no control endpoints: %w", chName, simulator.ErrNotFound)
	}
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	v, err := ctl.Control(ctx, method, path, q, body)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// merchantID picks a merchant's id out of a simulator merchant document by the id field
// names the protocols use.
func merchantID(raw json.RawMessage) string {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return ""
	}
	for _, k := range []string{"mch_id", "app_id", "appid", "mer_id", "merId", "merchant_id", "merchantId", "id"} {
		if s, ok := m[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

// simError is a control-API failure with the simulator's HTTP status.
type simError struct {
	Status int
	Field  string
	Msg    string
}

func (e *simError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("simulator: %d: %s (field %s)", e.Status, e.Msg, e.Field)
	}
	return fmt.Sprintf("simulator: %d: %s", e.Status, e.Msg)
}

// Is maps the status to the simulator's error kinds, so payer failures classify the same in
// both modes.
func (e *simError) Is(target error) bool {
	switch target {
	case simulator.ErrInvalid:
		return e.Status == 400
	case simulator.ErrNotFound:
		return e.Status == 404
	case simulator.ErrConflict:
		return e.Status == 409
	}
	return false
}
