package recon

import (
	"fmt"
	"hash/maphash"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
)

// The index holds a day's statement records in a form the garbage collector never scans:
// fixed-size rows without pointers in blocks of blockRows, the numbers and transaction ids
// in byte blocks, and a map from a 64-bit hash of (kind, number) to the row. Rows whose
// hashes collide are chained through next. A 1,000,000-record day costs about 64 bytes a
// row plus its numbers, and growing it never copies what is stored (blocks are appended).
const (
	blockRows  = 1 << 14
	arenaBlock = 1 << 20
)

// row is one statement record, packed.
type row struct {
	key     strRef // the number: OrderNo (payment) or RefundNo (refund)
	txn     strRef // ChannelTxnID (payment) or ChannelRefundID (refund)
	amount  int64
	fee     int64
	at      int64 // channel time, Unix seconds (0 = none)
	line    int32
	next    int32 // the next row with the same hash, -1 = none
	kind    Kind8
	status  uint8 // 1 = succeeded
	flags   uint8
	curIdx  uint8 // index into index.curs
	carried uint8 // 1 = a waiting record of the previous day
}

// Kind8 is Kind packed into a byte.
type Kind8 uint8

const (
	k8Payment Kind8 = 1
	k8Refund  Kind8 = 2
)

func (k Kind8) kind() Kind {
	if k == k8Refund {
		return KindRefund
	}
	return KindPayment
}

const flagMatched = 1

// strRef points into the arena: block, offset, length.
type strRef struct {
	block uint32
	off   uint32
	n     uint32
}

type index struct {
	seed   maphash.Seed
	rows   [][]row
	n      int
	arena  [][]byte
	byHash map[uint64]int32
	curs   []money.Currency
}

func newIndex(sizeHint int) *index {
	return &index{seed: maphash.MakeSeed(), byHash: make(map[uint64]int32, sizeHint)}
}

func (ix *index) hash(k Kind8, no string) uint64 {
	var h maphash.Hash
	h.SetSeed(ix.seed)
	h.WriteByte(byte(k))
	h.WriteString(no)
	return h.Sum64()
}

func (ix *index) put(s string) strRef {
	if len(s) == 0 {
		return strRef{}
	}
	if len(s) > arenaBlock {
		s = s[:arenaBlock] // numbers are short; a statement with a megabyte-long id is cut
	}
	last := len(ix.arena) - 1
	if last < 0 || len(ix.arena[last])+len(s) > cap(ix.arena[last]) {
		ix.arena = append(ix.arena, make([]byte, 0, arenaBlock))
		last++
	}
	b := ix.arena[last]
	off := len(b)
	ix.arena[last] = append(b, s...)
	return strRef{block: uint32(last), off: uint32(off), n: uint32(len(s))}
}

// bytes returns the stored bytes of r without copying.
func (ix *index) bytes(r strRef) []byte {
	if r.n == 0 {
		return nil
	}
	return ix.arena[r.block][r.off : r.off+r.n]
}

func (ix *index) str(r strRef) string { return string(ix.bytes(r)) }

func (ix *index) at(i int32) *row { return &ix.rows[i/blockRows][i%blockRows] }

func (ix *index) cur(c money.Currency) (uint8, error) {
	for i, x := range ix.curs {
		if x == c {
			return uint8(i), nil
		}
	}
	if len(ix.curs) == 255 {
		return 0, fmt.Errorf("recon: more than 255 currencies in one statement")
	}
	ix.curs = append(ix.curs, c)
	return uint8(len(ix.curs) - 1), nil
}

// add stores a record of kind k under number no; a second record with the same kind and number
// is an error (a statement lists each payment and refund once).
func (ix *index) add(k Kind8, no, txn string, amount money.Amount, fee int64, at time.Time, status uint8, line int, carried bool) error {
	h := ix.hash(k, no)
	first, exists := ix.byHash[h]
	for i := first; exists && i >= 0; i = ix.at(i).next {
		if string(ix.bytes(ix.at(i).key)) == no {
			return fmt.Errorf("recon: statement line %d: %s %s is listed twice", line, k.kind(), no)
		}
	}
	ci, err := ix.cur(amount.Currency())
	if err != nil {
		return err
	}
	if ix.n%blockRows == 0 {
		ix.rows = append(ix.rows, make([]row, blockRows))
	}
	r := ix.at(int32(ix.n))
	*r = row{key: ix.put(no), txn: ix.put(txn), amount: amount.Minor(), fee: fee, line: int32(line), next: -1,
		kind: k, status: status, curIdx: ci}
	if !at.IsZero() {
		r.at = at.Unix()
	}
	if carried {
		r.carried = 1
	}
	if exists {
		r.next = first
	}
	ix.byHash[h] = int32(ix.n)
	ix.n++
	return nil
}

// find returns the row of kind k and number no, or -1.
func (ix *index) find(k Kind8, no string) int32 {
	i, ok := ix.byHash[ix.hash(k, no)]
	if !ok {
		return -1
	}
	for ; i >= 0; i = ix.at(i).next {
		if string(ix.bytes(ix.at(i).key)) == no { // the conversion does not allocate
			return i
		}
	}
	return -1
}

// channelRow is a row with its strings materialised, for the few rows that become items.
type channelRow struct {
	Kind     Kind
	No, Txn  string
	Amount   money.Amount
	Fee      int64
	At       time.Time
	Line     int
	Status   uint8
	Carried  bool
	Currency money.Currency
}

func (ix *index) view(i int32) channelRow {
	r := ix.at(i)
	c := ix.curs[r.curIdx]
	v := channelRow{Kind: r.kind.kind(), No: ix.str(r.key), Txn: ix.str(r.txn), Amount: money.New(r.amount, c), Fee: r.fee,
		Line: int(r.line), Status: r.status, Carried: r.carried == 1, Currency: c}
	if r.at != 0 {
		v.At = time.Unix(r.at, 0)
	}
	return v
}

// kind8Of maps a statement record type to the kind reconciled, or 0 for types not matched.
func kind8Of(t channel.RecordType) Kind8 {
	switch t {
	case channel.RecordPayment, channel.RecordCapture:
		return k8Payment
	case channel.RecordRefund:
		return k8Refund
	}
	return 0
}
