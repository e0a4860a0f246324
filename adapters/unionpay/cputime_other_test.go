//go:build !linux

package unionpay

import "time"

var cpuStart = time.Now()

// threadCPU falls back to the wall clock where no thread CPU clock is read.
func threadCPU() time.Duration { return time.Since(cpuStart) }
