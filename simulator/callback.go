package simulator

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

// Callback is one asynchronous notification the channel sends to a merchant, delivered by
// the engine like the real channel: first at Now()+Delay, then after each failed attempt
// (not acknowledged in the channel's format, error, or timeout) after the next gap of
// Schedule, until acknowledged or the schedule is exhausted. All on the simulator clock.
type Callback struct {
	// Kind names the event ("payment", "refund", "payout"...); fault plans' op matches it.
	Kind       string
	Merchant   string
	OutTradeNo string
	// URL is the order's notify URL.
	URL string
	// Method is the HTTP method; "" means POST.
	Method string
	// Delay before the first attempt (0 = now: in virtual mode, at the next clock movement
	// or as soon as the payer action that caused it returns).
	Delay time.Duration
	// Schedule are the gaps between attempts after a failed one, from the channel's spec
	// (WeChat wechat-v2.md §8, Alipay alipay.md §10.1, UnionPay unionpay.md §8, bank
	// bank-direct.md §10). len(Schedule)+1 attempts at most.
	Schedule []time.Duration
	// Timeout is how long the channel waits for the merchant's answer (wall time; WeChat
	// 5 s, UnionPay 10 s). 0 = Config.CallbackTimeout.
	Timeout time.Duration
	// Build makes the message of one attempt: signed with the channel's key, or wrongly
	// signed when a.Forged. Called once per attempt (fresh timestamps/nonces are fine).
	Build func(a Attempt) (Message, error)
	// Acked applies the channel's acknowledgement rule to the merchant's answer (WeChat:
	// <return_code>SUCCESS; Alipay: body "success"; UnionPay: status 200/302; bank "OK").
	Acked func(status int, body []byte) bool
}

// Attempt describes one delivery attempt to Callback.Build.
type Attempt struct {
	N         int       // 1-based attempt number of the genuine sequence (0 for forged)
	Time      time.Time // simulator time of the attempt
	Forged    bool      // sign with a wrong key: a forgery the merchant must reject
	Duplicate bool      // an extra copy injected by a duplicate_callbacks plan
	// Tamper is set on the extra attempt of a tampered_callback plan (TamperAmount or
	// TamperOrder): sign it correctly, with the merchant's key, but change that field —
	// to TamperedAmount / TamperedOrder of the genuine value. Attempt number 0.
	Tamper string
	// tamperAmount and tamperOrder are the plan's explicit targets (Amount, Code).
	tamperAmount *money.Amount
	tamperOrder  string
}

// TamperedAmount is what a tampered attempt carries instead of the genuine amount: the
// plan's amount, or one minor unit more. Without Tamper == TamperAmount it is genuine.
func (a Attempt) TamperedAmount(genuine money.Amount) money.Amount {
	if a.Tamper != TamperAmount {
		return genuine
	}
	if a.tamperAmount != nil {
		return *a.tamperAmount
	}
	if more, err := genuine.Add(money.New(1, genuine.Currency())); err == nil {
		return more
	}
	return money.New(genuine.Minor()-1, genuine.Currency()) // at the int64 limit: one less
}

// TamperedOrder is what a tampered attempt carries instead of the genuine order number:
// the plan's code, or the number with its last character changed (same length, so it
// still passes the channel's length rules). Without Tamper == TamperOrder it is genuine.
func (a Attempt) TamperedOrder(genuine string) string {
	if a.Tamper != TamperOrder {
		return genuine
	}
	if a.tamperOrder != "" {
		return a.tamperOrder
	}
	if genuine == "" {
		return "X"
	}
	last := byte('X')
	if genuine[len(genuine)-1] == 'X' {
		last = 'Y'
	}
	return genuine[:len(genuine)-1] + string(last)
}

// Message is the HTTP request body of one callback attempt.
type Message struct {
	ContentType string
	Header      http.Header
	Body        []byte
}

// delivery is one callback in flight.
type delivery struct {
	id     string
	cb     Callback
	e      *Engine
	gen    uint64
	n      int // genuine attempts made
	timer  clock.Timer
	faults []FaultPlan
	held   bool // waiting in the reorder queue
	done   bool
	due    time.Time // when the next attempt is due (wall mode: its lateness is measured)
	target *url.URL  // parsed cb.URL
	host   string    // target.Host, kept here so an attempt need not load target
	pv, nx *delivery // pending list links (nil when not pending)

	// per-attempt caches (a delivery's attempts never run concurrently)
	lastBody []byte
	lastText string
	lastLen  int
	lastResp string
	lastRLen int
	hdr      http.Header
	hdrCT    string
}

// notifier owns the callbacks in flight.
type notifier struct {
	mu      sync.Mutex
	gen     uint64
	next    int64
	pending pendingList            // deliveries with a timer pending (intrusive list: no hashing per attempt)
	retries retryQueue             // retries waiting for their due time
	clk     clock.Clock            // the simulator clock
	epoch   time.Time              // origin of the retry queue's int64 times (see rel)
	held    map[string][]*delivery // reorder queue by channel+"\x00"+merchant
	jobs    int                    // jobs handed to sendJob and not finished (being sent or queued)
}

func (n *notifier) jobStarted() {
	n.mu.Lock()
	n.jobs++
	n.mu.Unlock()
}

func (n *notifier) jobDone() {
	n.mu.Lock()
	n.jobs--
	n.mu.Unlock()
}

func (n *notifier) init(clk clock.Clock) {
	n.clk = clk
	n.epoch = clk.Now()
	n.pending.init()
	n.held = make(map[string][]*delivery)
	n.retries.init()
}

// Notify schedules cb for delivery and returns its id ("cb1", "cb2"...). Fault plans for
// callbacks are matched here. It never blocks on the network.
func (e *Engine) Notify(cb Callback) (string, error) {
	switch {
	case cb.URL == "":
		return "", fieldErr("URL", "callback needs a URL")
	case cb.Build == nil:
		return "", fieldErr("Build", "callback needs Build")
	case cb.Acked == nil:
		return "", fieldErr("Acked", "callback needs Acked")
	}
	target, err := url.Parse(cb.URL)
	if err != nil || (target.Scheme != "http" && target.Scheme != "https") || target.Host == "" {
		return "", fieldErr("URL", "callback URL %q: want an absolute http(s) URL", cb.URL)
	}
	s := e.s
	faults := s.faults.match(event{cat: catCallback, channel: e.name, op: cb.Kind, merchant: cb.Merchant, outTradeNo: cb.OutTradeNo}, s.rand.Float64)
	n := &s.notify
	n.mu.Lock()
	n.next++
	d := &delivery{id: "cb" + strconv.FormatInt(n.next, 10), cb: cb, e: e, gen: n.gen, faults: faults, target: target, host: target.Host}
	n.mu.Unlock()

	if p, ok := findKind(faults, FaultMissingCallbacks); ok {
		s.record(Record{Kind: RecordFault, Channel: e.name, Op: cb.Kind, Merchant: cb.Merchant, OutTradeNo: cb.OutTradeNo,
			URL: cb.URL, Faults: []string{faultTag(p)}, Note: "callback " + d.id + " dropped: never sent"})
		return d.id, nil
	}
	if p, ok := findKind(faults, FaultReorderCallbacks); ok {
		hold := time.Duration(p.Delay)
		if hold == 0 {
			hold = time.Hour
		}
		d.held = true
		key := e.name + "\x00" + cb.Merchant
		n.mu.Lock()
		n.held[key] = append(n.held[key], d)
		n.mu.Unlock()
		s.record(Record{Kind: RecordFault, Channel: e.name, Op: cb.Kind, Merchant: cb.Merchant, OutTradeNo: cb.OutTradeNo,
			URL: cb.URL, Faults: []string{faultTag(p)}, Note: "callback " + d.id + " held until the next callback (at most " + hold.String() + ")"})
		d.schedule(cb.Delay+hold, d.release)
		return d.id, nil
	}
	d.schedule(cb.Delay, d.first)
	return d.id, nil
}

// schedule arms the delivery's timer.
func (d *delivery) schedule(after time.Duration, f func()) {
	n := &d.e.s.notify
	n.mu.Lock()
	if d.gen != n.gen {
		n.mu.Unlock()
		return
	}
	n.pending.add(d)
	d.due = d.e.s.clk.Now().Add(after)
	d.timer = d.e.s.clk.AfterFunc(after, f)
	n.mu.Unlock()
}

// scheduleRetry queues the next attempt after gap (see retryQueue).
func (d *delivery) scheduleRetry(after time.Duration) {
	n := &d.e.s.notify
	n.mu.Lock()
	defer n.mu.Unlock()
	if d.gen != n.gen {
		return
	}
	n.pending.add(d)
	d.due = d.e.s.clk.Now().Add(after)
	n.pushRetry(d, after, d.e.s.clk)
}

// live reports whether the delivery still belongs to the current generation (no Reset
// since it was created) and takes it out of the pending set.
func (d *delivery) live() bool {
	n := &d.e.s.notify
	n.mu.Lock()
	defer n.mu.Unlock()
	n.pending.remove(d)
	return d.gen == n.gen && !d.done
}

func (d *delivery) finish() {
	n := &d.e.s.notify
	n.mu.Lock()
	d.done = true
	n.mu.Unlock()
}

// release sends a held (reordered) callback: its hold expired or a later one went out.
func (d *delivery) release() {
	n := &d.e.s.notify
	n.mu.Lock()
	if !d.held {
		n.mu.Unlock()
		return
	}
	d.held = false
	key := d.e.name + "\x00" + d.cb.Merchant
	q := n.held[key]
	for i, x := range q {
		if x == d {
			n.held[key] = append(q[:i:i], q[i+1:]...)
			break
		}
	}
	if len(n.held[key]) == 0 {
		delete(n.held, key)
	}
	n.mu.Unlock()
	d.first()
}

// first makes the first genuine attempt, after any forged or tampered one, then releases
// callbacks held for reordering behind it and schedules duplicates.
func (d *delivery) first() {
	if !d.live() {
		return
	}
	s := d.e.s
	var steps []*step
	if p, ok := findKind(d.faults, FaultForgedCallback); ok {
		steps = append(steps, &step{a: Attempt{N: 0, Forged: true}, p: p})
	}
	if p, ok := findKind(d.faults, FaultTamperedCallback); ok {
		what := p.Tamper
		if what == "" {
			what = TamperAmount
		}
		steps = append(steps, &step{a: Attempt{N: 0, Tamper: what, tamperAmount: p.Amount, tamperOrder: p.Code}, p: p})
	}
	d.n++
	steps = append(steps, &step{a: Attempt{N: d.n}})
	// Callbacks held for reordering behind this one go out right after it (same instant,
	// later in order).
	if !d.held {
		n := &s.notify
		key := d.e.name + "\x00" + d.cb.Merchant
		n.mu.Lock()
		q := n.held[key]
		delete(n.held, key)
		timers := make([]clock.Timer, len(q))
		for i, h := range q {
			timers[i] = h.timer
		}
		n.mu.Unlock()
		for i, h := range q {
			if timers[i] != nil {
				timers[i].Stop()
			}
			h.schedule(0, h.release)
		}
	}
	if p, ok := findKind(d.faults, FaultDuplicateCallbacks); ok {
		count := p.Count
		if count == 0 {
			count = 1
		}
		for i := 1; i <= count; i++ {
			dup := &delivery{id: fmt.Sprintf("%s.dup%d", d.id, i), cb: d.cb, e: d.e, gen: d.gen, target: d.target, host: d.host}
			pp := p
			dup.schedule(time.Duration(p.Spacing)*time.Duration(i), func() {
				if dup.live() {
					s.sendJob(&job{d: dup, steps: []*step{{a: Attempt{N: 1, Duplicate: true}, p: pp}}})
				}
			})
		}
	}
	s.sendJob(&job{d: d, steps: steps, after: (*delivery).afterGenuine})
}

// afterGenuine follows a genuine attempt (the job's last step): done when acknowledged,
// given up when the schedule is exhausted, else the retry after the next gap.
func (d *delivery) afterGenuine(acked bool) {
	if acked {
		d.finish()
		return
	}
	if d.n > len(d.cb.Schedule) {
		d.e.s.record(Record{Kind: RecordCallback, Channel: d.e.name, Op: d.cb.Kind, Merchant: d.cb.Merchant,
			OutTradeNo: d.cb.OutTradeNo, URL: d.cb.URL, Attempt: d.n, Note: "callback " + d.id + ": schedule exhausted, giving up"})
		d.e.s.log.Warn("callback never acknowledged: giving up", "channel", d.e.name, "kind", d.cb.Kind, "merchant", d.cb.Merchant,
			"out_trade_no", d.cb.OutTradeNo, "url", d.cb.URL, "attempts", d.n)
		d.finish()
		return
	}
	d.scheduleRetry(d.cb.Schedule[d.n-1])
}

func (d *delivery) retry() {
	if d.live() {
		d.n++
		d.e.s.sendJob(&job{d: d, steps: []*step{{a: Attempt{N: d.n}}}, after: (*delivery).afterGenuine})
	}
}

// pendingList is an intrusive doubly linked list of deliveries, guarded by notifier.mu.
type pendingList struct {
	head delivery // sentinel
	n    int
}

func (l *pendingList) init() {
	l.head.pv, l.head.nx, l.n = &l.head, &l.head, 0
}

func (l *pendingList) add(d *delivery) {
	if d.nx != nil {
		return
	}
	d.pv, d.nx = l.head.pv, &l.head
	l.head.pv.nx = d
	l.head.pv = d
	l.n++
}

func (l *pendingList) remove(d *delivery) {
	if d.nx == nil {
		return
	}
	d.pv.nx, d.nx.pv = d.nx, d.pv
	d.pv, d.nx = nil, nil
	l.n--
}

// reset cancels every callback in flight.
func (n *notifier) reset() {
	n.mu.Lock()
	n.gen++
	var timers []clock.Timer
	for d := n.pending.head.nx; d != &n.pending.head; d = d.nx {
		if d.timer != nil {
			timers = append(timers, d.timer)
		}
	}
	n.retries.init()
	n.pending.init()
	n.held = make(map[string][]*delivery)
	n.next = 0
	n.mu.Unlock()
	for _, t := range timers {
		t.Stop()
	}
}

// count returns the number of callbacks waiting for an attempt (first, retry, duplicate
// or held) or with an attempt under way.
func (n *notifier) count() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.pending.n + n.jobs
}

func faultTag(p FaultPlan) string { return string(p.Kind) + ":" + p.ID }
