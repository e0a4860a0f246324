package clearing

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/posting"
)

// Batch is one settlement batch: what one merchant is owed in one currency for one clearing
// day, settled T+n. A day's first run makes batch 1 per merchant; a later run that finds
// more (a payment whose success arrived after the first run, with a paid time inside the
// day) makes batch 2 with the difference, and so on. Every amount is exact.
type Batch struct {
	ID         string         `json:"id"`          // "stl-YYYYMMDD-<merchant>-<currency>-<seq>": the ledger key and voucher
	MerchantID string         `json:"merchant_id"` //
	Day        clock.Date     `json:"day"`         // the clearing day T
	PayOn      clock.Date     `json:"pay_on"`      // T+n: when the net is due to the merchant
	Seq        int            `json:"seq"`         // 1 for the day's first batch; supplements count on
	Currency   money.Currency `json:"currency"`    //
	Payments   int64          `json:"payments"`    // succeeded payments counted
	Refunds    int64          `json:"refunds"`     // succeeded refunds counted
	Gross      money.Amount   `json:"gross"`       // sum of the payments
	Refunded   money.Amount   `json:"refunded"`    // sum of the refunds
	Fees       money.Amount   `json:"fees"`        // channel fees on the payments less the fees the refunds returned
	Net        money.Amount   `json:"net"`         // Gross − Refunded − Fees: credited to the merchant's settlement account
	EntrySeq   int64          `json:"entry_seq"`   // the ledger entry, once posted (0 before)
	CreatedAt  time.Time      `json:"created_at"`  //
}

// Config configures a Settler.
type Config struct {
	Store     Store          // required: the order side (clearing items) and the batches table
	Ledger    *ledger.Ledger // required: over the same database
	Clock     clock.Clock    // required
	Contracts Contracts      // required: every channel account that has payments
	// Channels lists the channels to settle with their day cut-off (channel.Info().DayCutoff):
	// {"wechat": clock.NaturalDay, "unionpay": clock.UnionPayCutoff}. Required.
	Channels map[string]time.Duration
	// T is the n of T+n: the batch of clearing day D is due to the merchant on D+n. Default 1.
	T int
	// Bank names the platform's bank deposit account that channel funds arrive in (1002);
	// default "bank".
	Bank string
	// Workers is how many batches are posted at once (the ledger's writer batches them);
	// default 64.
	Workers int
	// Readers is how many time slices of a channel's day are read at once; default 4.
	Readers int
}

// Settler makes settlement batches and posts them, and posts the channels' funds when they
// arrive. It is safe for concurrent use; two runs of one day in two processes cannot both
// store a batch (the batches table's unique key), so one of them fails and changes nothing.
type Settler struct {
	cfg  Config
	accs *accounts
}

// New validates cfg and returns a Settler.
func New(cfg Config) (*Settler, error) {
	switch {
	case cfg.Store == nil:
		return nil, errors.New("clearing: Config.Store is required")
	case cfg.Ledger == nil:
		return nil, errors.New("clearing: Config.Ledger is required")
	case cfg.Clock == nil:
		return nil, errors.New("clearing: Config.Clock is required")
	case len(cfg.Contracts) == 0:
		return nil, errors.New("clearing: Config.Contracts is required: the fee contract of every channel account")
	case len(cfg.Channels) == 0:
		return nil, errors.New("clearing: Config.Channels is required: every channel to settle with its day cut-off")
	case cfg.T < 0 || cfg.Workers < 0 || cfg.Readers < 0:
		return nil, errors.New("clearing: Config.T, Config.Workers and Config.Readers must not be negative")
	}
	for name, c := range cfg.Contracts {
		if err := c.ready(); err != nil {
			return nil, err
		}
		if name != c.Account {
			return nil, fmt.Errorf("clearing: Config.Contracts[%q] is the contract of account %q", name, c.Account)
		}
	}
	for ch, cut := range cfg.Channels {
		if _, _, err := DayWindow(clock.Date{Year: 2000, Month: 1, Day: 1}, cut); err != nil {
			return nil, fmt.Errorf("clearing: channel %q: %w", ch, err)
		}
	}
	if cfg.T == 0 {
		cfg.T = 1
	}
	if cfg.Bank == "" {
		cfg.Bank = "bank"
	}
	if cfg.Workers == 0 {
		cfg.Workers = 64
	}
	if cfg.Readers == 0 {
		cfg.Readers = 4
	}
	st, _ := cfg.Store.(ledger.Store)
	return &Settler{cfg: cfg, accs: &accounts{l: cfg.Ledger, st: st}}, nil
}

// BatchID is the id of a merchant's batch seq of clearing day in cur.
func BatchID(day clock.Date, merchant string, cur money.Currency, seq int) string {
	return fmt.Sprintf("stl-%s-%s-%s-%d", day.Compact(), merchant, cur, seq)
}

type mkey struct {
	merchant string
	cur      money.Currency
}

// totals are a merchant's sums in minor units.
type totals struct {
	payments, refunds     int64
	gross, refunded, fees int64
}

func (t *totals) sub(b *Batch) {
	t.payments -= b.Payments
	t.refunds -= b.Refunds
	t.gross -= b.Gross.Minor()
	t.refunded -= b.Refunded.Minor()
	t.fees -= b.Fees.Minor()
}

func (t totals) zero() bool { return t == totals{} }

// Result is what Run did.
type Result struct {
	Day      clock.Date `json:"day"`
	Created  []Batch    `json:"created"`  // batches stored by this run
	Posted   int        `json:"posted"`   // batches posted to the ledger by this run (new ones and any left unposted before)
	Existing int        `json:"existing"` // batches of the day stored by earlier runs
	Items    int64      `json:"items"`    // payments and refunds read
	// Where the run's time went, by Config.Clock: reading the items and computing their fees,
	// storing the new batches, posting to the ledger (and recording the postings).
	Took struct {
		Read  time.Duration `json:"read_ns"`
		Store time.Duration `json:"store_ns"`
		Post  time.Duration `json:"post_ns"`
	} `json:"took"`
}

// ErrDayOpen is returned by Run for a clearing day that has not ended on every channel.
var ErrDayOpen = errors.New("clearing: clearing day not over")

// Run settles clearing day: it reads the day's succeeded payments and refunds of every
// channel (each channel's own day window), sums them per merchant and currency with each
// payment's fee under its account's contract and each refund's returned fee under the
// contract's refund policy, stores a batch for each merchant whose sums differ from the
// batches stored before (the first run: all of them), and posts every batch not yet posted:
//
//	Dr 2202 merchant payable   Gross − Refunded
//	Cr 2203 merchant settlement Net
//	Cr 6021 fee income          Fees
//
// (a negative figure goes to the other side), keyed and vouchered by the batch's id. A re-run
// with nothing new stores and posts nothing. The day must be over on every channel
// (ErrDayOpen): a batch of a running day would miss what comes after it.
func (s *Settler) Run(ctx context.Context, day clock.Date) (*Result, error) {
	now := s.cfg.Clock.Now()
	chans := s.channels()
	for _, ch := range chans {
		_, to, err := DayWindow(day, s.cfg.Channels[ch])
		if err != nil {
			return nil, err
		}
		if now.Before(to) {
			return nil, fmt.Errorf("%w: %s's day %s ends at %s", ErrDayOpen, ch, day, to.In(clock.Beijing()).Format(time.RFC3339))
		}
	}
	sums, items, err := s.sum(ctx, day, chans)
	if err != nil {
		return nil, err
	}
	read := s.cfg.Clock.Now()
	old, err := s.cfg.Store.SettlementBatches(ctx, day)
	if err != nil {
		return nil, fmt.Errorf("clearing: read the batches of %s: %w", day, err)
	}
	res := &Result{Day: day, Existing: len(old), Items: items}
	res.Took.Read = read.Sub(now)
	lastSeq := map[mkey]int{}
	for i := range old {
		b := &old[i]
		k := mkey{b.MerchantID, b.Currency}
		t := sums[k]
		if t == nil {
			t = &totals{}
			sums[k] = t
		}
		t.sub(b)
		lastSeq[k] = max(lastSeq[k], b.Seq)
	}
	keys := make([]mkey, 0, len(sums))
	for k, t := range sums {
		if !t.zero() {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].merchant != keys[j].merchant {
			return keys[i].merchant < keys[j].merchant
		}
		return keys[i].cur < keys[j].cur
	})
	payOn := day.AddDays(s.cfg.T)
	for _, k := range keys {
		t := sums[k]
		seq := lastSeq[k] + 1
		res.Created = append(res.Created, Batch{
			ID: BatchID(day, k.merchant, k.cur, seq), MerchantID: k.merchant, Day: day, PayOn: payOn, Seq: seq, Currency: k.cur,
			Payments: t.payments, Refunds: t.refunds, Gross: money.New(t.gross, k.cur), Refunded: money.New(t.refunded, k.cur),
			Fees: money.New(t.fees, k.cur), Net: money.New(t.gross-t.refunded-t.fees, k.cur), CreatedAt: now,
		})
	}
	if len(res.Created) > 0 {
		if err := s.cfg.Store.InsertSettlementBatches(ctx, res.Created); err != nil {
			return nil, fmt.Errorf("clearing: store %d batches of %s: %w", len(res.Created), day, err)
		}
	}
	stored := s.cfg.Clock.Now()
	res.Took.Store = stored.Sub(read)
	// Post what is not posted: this run's batches and any an earlier run stored but did not
	// post (it stopped in between). Posting again under the batch's id is harmless.
	var todo []*Batch
	for i := range old {
		if old[i].EntrySeq == 0 {
			todo = append(todo, &old[i])
		}
	}
	for i := range res.Created {
		todo = append(todo, &res.Created[i])
	}
	posted, err := s.post(ctx, todo)
	res.Posted = len(posted)
	if len(posted) > 0 {
		if merr := s.cfg.Store.MarkSettlementPosted(ctx, posted); merr != nil {
			err = errors.Join(err, fmt.Errorf("clearing: record the postings: %w", merr))
		}
	}
	res.Took.Post = s.cfg.Clock.Now().Sub(stored)
	return res, err
}

func (s *Settler) channels() []string {
	out := make([]string, 0, len(s.cfg.Channels))
	for ch := range s.cfg.Channels {
		out = append(out, ch)
	}
	sort.Strings(out)
	return out
}

// sum streams the day's items of every channel into per-merchant totals. Each channel's day
// is read in Config.Readers time slices at once (each into its own totals, merged at the end):
// reading rows is most of a large day's work, and the store serves several readers.
func (s *Settler) sum(ctx context.Context, day clock.Date, chans []string) (map[mkey]*totals, int64, error) {
	type part struct {
		sums map[mkey]*totals
		n    int64
		err  error
	}
	var parts []*part
	var wg sync.WaitGroup
	for _, ch := range chans {
		from, to, _ := DayWindow(day, s.cfg.Channels[ch])
		step := to.Sub(from) / time.Duration(s.cfg.Readers)
		for i := 0; i < s.cfg.Readers; i++ {
			lo, hi := from.Add(time.Duration(i)*step), from.Add(time.Duration(i+1)*step)
			if i == s.cfg.Readers-1 {
				hi = to
			}
			p := &part{sums: map[mkey]*totals{}}
			parts = append(parts, p)
			wg.Add(1)
			go func() {
				defer wg.Done()
				p.err = s.cfg.Store.ClearingItems(ctx, ch, lo, hi, func(it *Item) error {
					p.n++
					k := mkey{it.MerchantID, it.Amount.Currency()}
					t := p.sums[k]
					if t == nil {
						t = &totals{}
						p.sums[k] = t
					}
					return s.add(t, it)
				})
				if p.err != nil {
					p.err = fmt.Errorf("clearing: read the items of %s on %s: %w", ch, day, p.err)
				}
			}()
		}
	}
	wg.Wait()
	sums := map[mkey]*totals{}
	var n int64
	var errs []error
	for _, p := range parts {
		errs = append(errs, p.err)
		n += p.n
		for k, t := range p.sums {
			if have := sums[k]; have != nil {
				have.payments += t.payments
				have.refunds += t.refunds
				have.gross += t.gross
				have.refunded += t.refunded
				have.fees += t.fees
			} else {
				sums[k] = t
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, 0, err
	}
	return sums, n, nil
}

// add adds one item to t: a payment's amount and fee, or a refund's amount and returned fee.
func (s *Settler) add(t *totals, it *Item) error {
	c, err := s.cfg.Contracts.For(it.Account)
	if err != nil {
		return fmt.Errorf("%w (%s)", err, it.ID)
	}
	if !it.Refund {
		fee, err := c.Fee(it.Amount)
		if err != nil {
			return fmt.Errorf("payment %s: %w", it.ID, err)
		}
		t.payments++
		t.gross += it.Amount.Minor()
		t.fees += fee.Minor()
		return nil
	}
	ret, err := refundFee(c, it)
	if err != nil {
		return err
	}
	t.refunds++
	t.refunded += it.Amount.Minor()
	t.fees -= ret.Minor()
	return nil
}

// refundFee is the fee a refund returns: the growth, from the refunds before it to the
// refunds including it, of what the contract's policy returns for the cumulative refunded
// amount (posting.FeeReturned depends only on that cumulative sum).
func refundFee(c *FeeContract, it *Item) (money.Amount, error) {
	fee, err := c.Fee(it.PaymentAmount)
	if err != nil {
		return money.Amount{}, fmt.Errorf("refund %s: fee of its payment: %w", it.ID, err)
	}
	zero := money.New(0, it.Amount.Currency())
	before := zero
	if it.RefundedBefore.IsPositive() {
		if before, err = c.Returned(it.PaymentAmount, fee, zero, zero, it.RefundedBefore); err != nil {
			return money.Amount{}, fmt.Errorf("refund %s: %w", it.ID, err)
		}
	} else {
		it.RefundedBefore = zero
	}
	ret, err := c.Returned(it.PaymentAmount, fee, it.RefundedBefore, before, it.Amount)
	if err != nil {
		return money.Amount{}, fmt.Errorf("refund %s: %w", it.ID, err)
	}
	return ret, nil
}

// post posts batches concurrently and returns the entry of each one posted.
func (s *Settler) post(ctx context.Context, bs []*Batch) (map[string]int64, error) {
	out := make(map[string]int64, len(bs))
	if len(bs) > 100 {
		if err := s.accs.prefetch(ctx); err != nil {
			return out, err
		}
		specs := make([]ledger.AccountSpec, 0, 2*len(bs)+1)
		for _, b := range bs {
			specs = append(specs, posting.PayableSpec(b.MerchantID, b.Currency), SettlementSpec(b.MerchantID, b.Currency), FeeIncomeSpec(b.Currency))
		}
		if err := s.accs.openAll(ctx, specs); err != nil {
			return out, err
		}
	}
	var mu sync.Mutex
	var errs []error
	next := make(chan *Batch)
	var wg sync.WaitGroup
	for range min(s.cfg.Workers, len(bs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range next {
				seq, err := s.post1(ctx, b)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else if seq > 0 {
					out[b.ID] = seq
					b.EntrySeq = seq
				}
				mu.Unlock()
			}
		}()
	}
	for _, b := range bs {
		next <- b
	}
	close(next)
	wg.Wait()
	return out, errors.Join(errs...)
}

func (s *Settler) post1(ctx context.Context, b *Batch) (int64, error) {
	cur := b.Currency
	payable, err := s.accs.id(ctx, posting.PayableSpec(b.MerchantID, cur))
	if err != nil {
		return 0, err
	}
	settle, err := s.accs.id(ctx, SettlementSpec(b.MerchantID, cur))
	if err != nil {
		return 0, err
	}
	income, err := s.accs.id(ctx, FeeIncomeSpec(cur))
	if err != nil {
		return 0, err
	}
	lines, debits := signedLines(cur,
		signed{payable, b.Gross.Minor() - b.Refunded.Minor()},
		signed{settle, -b.Net.Minor()},
		signed{income, -b.Fees.Minor()},
	)
	if len(lines) == 0 {
		return 0, nil // nothing moves (counts changed, amounts net to zero)
	}
	e, err := s.cfg.Ledger.Post(ctx, ledger.Posting{
		Key:     b.ID,
		Voucher: ledger.Voucher{Kind: ledger.VoucherSettlement, ID: b.ID, Amount: debits},
		Lines:   lines,
		Memo: fmt.Sprintf("settlement %s merchant %s day %s pay on %s: gross %s refunded %s fees %s net %s", b.ID, b.MerchantID,
			b.Day, b.PayOn, b.Gross.Decimal(), b.Refunded.Decimal(), b.Fees.Decimal(), b.Net.Decimal()),
	})
	if err != nil {
		return 0, fmt.Errorf("clearing: post batch %s: %w", b.ID, err)
	}
	return e.Seq, nil
}
