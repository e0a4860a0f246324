package clock

// timerHeap is a binary min-heap of pending timers ordered by (due, seq). Each
// timer records its index so Stop and Reset remove it in O(log n). Written out
// rather than via container/heap to avoid interface calls on the hot path of
// Advance.
type timerHeap []*vtimer

func (h timerHeap) less(i, j int) bool {
	if h[i].due != h[j].due {
		return h[i].due < h[j].due
	}
	return h[i].seq < h[j].seq
}

func (h timerHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx = i
	h[j].idx = j
}

func (h *timerHeap) push(t *vtimer) {
	t.idx = len(*h)
	*h = append(*h, t)
	h.up(t.idx)
}

// pop removes and returns the earliest timer; the heap must not be empty.
func (h *timerHeap) pop() *vtimer {
	return h.remove(0)
}

// remove removes and returns the timer at index i.
func (h *timerHeap) remove(i int) *vtimer {
	old := *h
	n := len(old) - 1
	t := old[i]
	if i != n {
		old.swap(i, n)
	}
	old[n] = nil
	*h = old[:n]
	if i != n {
		if !h.down(i) {
			h.up(i)
		}
	}
	t.idx = -1
	return t
}

func (h timerHeap) up(j int) {
	for j > 0 {
		p := (j - 1) / 2
		if !h.less(j, p) {
			break
		}
		h.swap(j, p)
		j = p
	}
}

// down sifts index i down and reports whether it moved.
func (h timerHeap) down(i int) bool {
	start := i
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			break
		}
		h.swap(i, m)
		i = m
	}
	return i > start
}
