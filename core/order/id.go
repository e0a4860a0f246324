package order

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"
)

// NewID returns prefix + 24 hex digits: 12 of the wall-clock time in milliseconds, then 12
// random (48 bits, so ids made in one millisecond collide with odds of one in 10^14 per
// pair; the stores' unique keys refuse a collision rather than overwrite). Ids made later
// sort later, as in UUIDv7: inserts into the id indexes land on the last page instead of a
// random one, which keeps the pages a commit dirties, and so its WAL frames, few. Ids are
// opaque: nothing may read the time back out of one.
func NewID(prefix string) string {
	var b [12]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixMilli())<<16)
	if _, err := rand.Read(b[6:]); err != nil {
		panic(fmt.Sprintf("order: crypto/rand: %v", err)) // never happens on supported systems
	}
	return prefix + hex.EncodeToString(b[:])
}
