package ledger

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
)

// replayControl reads the change log, checks its chain and rebuilds the chart and the
// accounts' attributes as logged.
func (v *verifier) replayControl(ctx context.Context) error {
	v.chart = map[string]ChartAccount{}
	v.attrs = map[AccountID]AccountSpec{}
	v.cwant = map[int64][]byte{0: zeroHash}
	last, lastHash := int64(0), zeroHash
	err := v.tx.Changes(ctx, func(c *Change) error {
		rec := fmt.Sprintf("change %d", c.Seq)
		if c.Seq != last+1 {
			v.rp.add(CheckControl, rec, "sequence gap: previous change is %d", last)
		}
		if !bytes.Equal(c.PrevHash, lastHash) {
			v.rp.add(CheckControl, rec, "prev_hash %x does not match the hash %x of change %d", short(c.PrevHash), short(lastHash), last)
		}
		if h := ChangeHash(c); !bytes.Equal(h, c.Hash) {
			v.rp.add(CheckControl, rec, "content hash %x differs from stored %x: the change was edited", short(h), short(c.Hash))
		}
		switch {
		case c.Chart != nil:
			v.chart[c.Chart.Code] = *c.Chart
		case c.Account != nil:
			v.attrs[c.Account.ID] = c.Account.AccountSpec
		default:
			v.rp.add(CheckControl, rec, "changes nothing")
		}
		v.cwant[c.Seq] = c.Hash
		last, lastHash = c.Seq, c.Hash
		return nil
	})
	v.clast = last
	return err
}

// checkControl compares the stored chart and account attributes with the change log, and
// from then on has Verify use the logged ones (so an age limit zeroed in place still ages,
// and a flipped normal side does not flip the balances it reports).
func (v *verifier) checkControl(ctx context.Context) error {
	stored, err := v.tx.Chart(ctx)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, c := range stored {
		seen[c.Code] = true
		rec := "chart " + c.Code
		logged, ok := v.chart[c.Code]
		switch {
		case !ok:
			v.rp.add(CheckControl, rec, "not in the change log: added behind the ledger's back")
		case logged != c:
			v.rp.add(CheckControl, rec, "stored %s, the change log says %s: changed behind the ledger's back", chartText(c), chartText(logged))
		}
	}
	for _, code := range sortedKeys(v.chart) {
		if !seen[code] {
			v.rp.add(CheckControl, "chart "+code, "in the change log but missing from the chart")
		}
	}
	for _, id := range sortedIDs(v.accts) {
		a := v.accts[id]
		rec := fmt.Sprintf("account %d", id)
		logged, ok := v.attrs[id]
		if !ok {
			v.rp.add(CheckControl, rec, "not in the change log: opened behind the ledger's back")
			continue
		}
		if logged != a.AccountSpec {
			v.rp.add(CheckControl, rec, "stored %s, the change log says %s: changed behind the ledger's back", specText(a.AccountSpec), specText(logged))
			a.AccountSpec = logged
		}
		if c, ok := v.chart[logged.Code]; ok {
			a.Type, a.Normal = c.Type, c.Normal
		}
	}
	for _, id := range sortedIDs(v.attrs) {
		if _, ok := v.accts[id]; !ok {
			v.rp.add(CheckControl, fmt.Sprintf("account %d", id), "in the change log but missing from the accounts")
		}
	}
	return nil
}

func chartText(c ChartAccount) string {
	return fmt.Sprintf("%s parent %q %q %s normal %s", c.Code, c.Parent, c.Name, c.Type, c.Normal)
}

func specText(s AccountSpec) string {
	var flags []string
	for _, f := range []struct {
		f Flags
		n string
	}{{AllowNegative, "allow-negative"}, {Frozen, "frozen"}, {Closed, "closed"}} {
		if s.Flags&f.f != 0 {
			flags = append(flags, f.n)
		}
	}
	return fmt.Sprintf("%s %s:%s %s %q flags [%s] age limit %ds", s.Code, s.OwnerKind, s.OwnerID, s.Currency, s.Name, strings.Join(flags, ","), s.AgeLimitSeconds)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedIDs[V any](m map[AccountID]V) []AccountID {
	out := make([]AccountID, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
