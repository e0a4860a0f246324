//go:build linux

package alipay

import (
	"syscall"
	"time"
	"unsafe"
)

// threadCPU returns the calling OS thread's CPU time (CLOCK_THREAD_CPUTIME_ID). The
// paired benchmarks lock their goroutine to a thread and use it, so the comparison
// with the bare verification is not skewed by other processes on a shared machine.
func threadCPU() time.Duration {
	var ts syscall.Timespec
	const clockThreadCPUTimeID = 3
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0)
	return time.Duration(ts.Nano())
}

// processCPU returns the CPU time (user + system) of the whole process, GC workers
// included.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
