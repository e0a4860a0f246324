//go:build unix

package wechat

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user + system) this process has used. Benchmarks
// report it per op next to wall time because the shared 2-core machine is often
// oversubscribed, which inflates ns/op but not CPU time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
