package wechat

// orderTable indexes the store's orders by (merchant, out_trade_no) hash: open
// addressing with linear probing over one []uint64, 8 bytes a slot and no pointers for
// the GC to scan, at most 3/4 full. A map keyed by string would cost ~45 bytes an order
// at a million orders (docs/benchmarks/simulator.md).
//
// A slot holds (position+1)<<32 | tag, 0 when empty, where tag is 32 bits of the key's
// hash and the slot index is derived from the tag alone, so growing needs no order. A
// tag match is only a candidate: the caller compares the order itself.
type orderTable struct {
	slots []uint64
	bits  uint // len(slots) == 1<<bits
	n     int
}

const orderTableMinBits = 10

// home is the first slot a tag probes.
func (t *orderTable) home(tag uint32) uint64 {
	return uint64(tag*0x9e3779b1) >> (32 - t.bits)
}

// probe calls match with the position of every order whose tag equals tag, in probe
// order, until match returns true; it returns that position, or false when none did.
func (t *orderTable) probe(tag uint32, match func(pos uint32) bool) (uint32, bool) {
	if t.n == 0 {
		return 0, false
	}
	mask := uint64(len(t.slots) - 1)
	for i := t.home(tag); ; i = (i + 1) & mask {
		v := t.slots[i]
		if v == 0 {
			return 0, false
		}
		if uint32(v) == tag {
			if pos := uint32(v>>32) - 1; match(pos) {
				return pos, true
			}
		}
	}
}

// insert adds the order at position pos under tag; the caller has made sure the key is
// not in the table.
func (t *orderTable) insert(tag, pos uint32) {
	if (t.n+1)*4 > len(t.slots)*3 {
		t.grow()
	}
	t.put(uint64(pos+1)<<32 | uint64(tag))
	t.n++
}

func (t *orderTable) put(v uint64) {
	mask := uint64(len(t.slots) - 1)
	i := t.home(uint32(v))
	for t.slots[i] != 0 {
		i = (i + 1) & mask
	}
	t.slots[i] = v
}

func (t *orderTable) grow() {
	old := t.slots
	if t.bits == 0 {
		t.bits = orderTableMinBits
	} else {
		t.bits++
	}
	t.slots = make([]uint64, 1<<t.bits)
	for _, v := range old {
		if v != 0 {
			t.put(v)
		}
	}
}
