package clock

import (
	_ "embed"
	"sync"
	"time"
)

// shanghaiTZif is the IANA Asia/Shanghai zone (TZif, tzdata 2025c as shipped
// in Go 1.26's lib/time/zoneinfo.zip). Embedded so Beijing time never depends
// on the machine's zoneinfo (containers often have none) or on ZONEINFO.
//
//go:embed zoneinfo/Asia_Shanghai
var shanghaiTZif string // a string, so the embedded bytes are immutable

// beijing parses the embedded zone once; the *time.Location is immutable.
var beijing = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocationFromTZData("Asia/Shanghai", []byte(shanghaiTZif))
	if err != nil {
		// Unreachable: the bytes are compiled in and TestBeijing checks them.
		// A fixed UTC+8 is right for every date since 1991.
		return time.FixedZone("CST", 8*60*60)
	}
	return loc
})

// Beijing returns the Asia/Shanghai location (China Standard Time, UTC+8, with
// the 1986–1991 summer time) from tzdata embedded in this package. It reads
// no files and no environment and returns the same *time.Location every call.
func Beijing() *time.Location { return beijing() }
