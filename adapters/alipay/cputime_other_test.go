//go:build !linux

package alipay

import "time"

var cpuEpoch = time.Now()

// threadCPU falls back to wall time where thread CPU clocks are not wired up.
func threadCPU() time.Duration { return time.Since(cpuEpoch) }

// processCPU falls back to wall time.
func processCPU() time.Duration { return time.Since(cpuEpoch) }
