package recon

import (
	"fmt"
	"hash/maphash"
	"math"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
)

// The index holds a day's statement records in a form the garbage collector never scans:
// fixed-size 40-byte rows without pointers in blocks of blockRows, the numbers and
// transaction ids in 1 MiB byte blocks, and an open-addressing table of 8-byte slots from a
// 64-bit hash of (kind, number) to the row. A 1,000,000-record day costs about 75 MiB, and
// growing it never copies the rows (blocks are appended; only the table doubles).
const (
	blockRows  = 1 << 14
	arenaBlock = 1 << 20
)

// row is one statement record, packed into 40 bytes without pointers.
type row struct {
	amount int64
	fee    int64
	keyOff uint32 // the number: OrderNo (payment) or RefundNo (refund), in the arena
	txnOff uint32 // ChannelTxnID (payment) or ChannelRefundID (refund), in the arena
	at     uint32 // channel time, Unix seconds (0 = none)
	line   int32
	keyLen uint16
	txnLen uint16
	kind   Kind8
	status uint8 // 1 = succeeded
	flags  uint8 // flagMatched, flagCarried
	curIdx uint8 // index into index.curs
}

func (r *row) key() strRef { return strRef{off: r.keyOff, n: r.keyLen} }
func (r *row) txn() strRef { return strRef{off: r.txnOff, n: r.txnLen} }

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

const (
	flagMatched = 1 // a local row matched it
	flagCarried = 2 // a waiting record of the previous day
)

// strRef points into the arena: offset (block × arenaBlock + offset in the block) and length.
type strRef struct {
	off uint32
	n   uint16
}

type index struct {
	seed  maphash.Seed
	rows  [][]row
	n     int
	arena [][]byte
	// slots is an open-addressing table (linear probing, at most half full) of the rows by
	// the hash of their kind and number: a look-up usually touches one cache line of it,
	// where a Go map touches its control word and then its slot.
	slots []slot
	curs  []money.Currency
}

// slot is one entry of the table: the high half of the hash, and the row's index plus one
// (0 = empty). The position comes from the low half.
type slot struct {
	tag uint32
	row int32
}

func newIndex(sizeHint int) *index {
	size := 1024
	for size < 2*sizeHint {
		size *= 2
	}
	return &index{seed: maphash.MakeSeed(), slots: make([]slot, size)}
}

// insert puts row i with hash h into the table, doubling it past half full.
func (ix *index) insert(h uint64, i int32) {
	if 2*(ix.n+1) > len(ix.slots) {
		old := ix.slots
		ix.slots = make([]slot, 2*len(old))
		for _, s := range old {
			if s.row != 0 {
				r := ix.at(s.row - 1)
				ix.place(ix.hashBytes(r.kind, ix.bytes(r.key())), s.row)
			}
		}
	}
	ix.place(h, i+1)
}

func (ix *index) place(h uint64, row int32) {
	mask := uint64(len(ix.slots) - 1)
	for j := h & mask; ; j = (j + 1) & mask {
		if ix.slots[j].row == 0 {
			ix.slots[j] = slot{tag: uint32(h >> 32), row: row}
			return
		}
	}
}

func (ix *index) hashBytes(k Kind8, no []byte) uint64 {
	var h maphash.Hash
	h.SetSeed(ix.seed)
	h.WriteByte(byte(k))
	h.Write(no)
	return h.Sum64()
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
	if len(s) > math.MaxUint16 {
		s = s[:math.MaxUint16] // numbers are short; a statement with a 64 KiB id is cut
	}
	last := len(ix.arena) - 1
	if last < 0 || len(ix.arena[last])+len(s) > cap(ix.arena[last]) {
		ix.arena = append(ix.arena, make([]byte, 0, arenaBlock))
		last++
	}
	b := ix.arena[last]
	off := len(b)
	ix.arena[last] = append(b, s...)
	return strRef{off: uint32(last)*arenaBlock + uint32(off), n: uint16(len(s))}
}

// bytes returns the stored bytes of r without copying.
func (ix *index) bytes(r strRef) []byte {
	if r.n == 0 {
		return nil
	}
	b, o := r.off/arenaBlock, r.off%arenaBlock
	return ix.arena[b][o : o+uint32(r.n)]
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
	if ix.lookup(h, k, no) >= 0 {
		return fmt.Errorf("recon: statement line %d: %s %s is listed twice", line, k.kind(), no)
	}
	ci, err := ix.cur(amount.Currency())
	if err != nil {
		return err
	}
	if ix.n%blockRows == 0 {
		ix.rows = append(ix.rows, make([]row, blockRows))
	}
	r := ix.at(int32(ix.n))
	if len(ix.arena) >= math.MaxUint32/arenaBlock-1 {
		return fmt.Errorf("recon: statement line %d: more than 4 GiB of numbers in one day's statement", line)
	}
	kr, tr := ix.put(no), ix.put(txn)
	*r = row{keyOff: kr.off, keyLen: kr.n, txnOff: tr.off, txnLen: tr.n, amount: amount.Minor(), fee: fee, line: int32(line),
		kind: k, status: status, curIdx: ci}
	if u := at.Unix(); !at.IsZero() && u > 0 && u <= math.MaxUint32 {
		r.at = uint32(u)
	}
	if carried {
		r.flags |= flagCarried
	}
	ix.insert(h, int32(ix.n))
	ix.n++
	return nil
}

// find returns the row of kind k and number no, or -1.
func (ix *index) find(k Kind8, no string) int32 { return ix.lookup(ix.hash(k, no), k, no) }

func (ix *index) lookup(h uint64, k Kind8, no string) int32 {
	mask := uint64(len(ix.slots) - 1)
	tag := uint32(h >> 32)
	for j := h & mask; ; j = (j + 1) & mask {
		s := ix.slots[j]
		if s.row == 0 {
			return -1
		}
		if s.tag == tag {
			r := ix.at(s.row - 1)
			if r.kind == k && string(ix.bytes(r.key())) == no { // the conversion does not allocate
				return s.row - 1
			}
		}
	}
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
	v := channelRow{Kind: r.kind.kind(), No: ix.str(r.key()), Txn: ix.str(r.txn()), Amount: money.New(r.amount, c), Fee: r.fee,
		Line: int(r.line), Status: r.status, Carried: r.flags&flagCarried != 0, Currency: c}
	if r.at != 0 {
		v.At = time.Unix(int64(r.at), 0)
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
