// Package benchcpu reports a benchmark's CPU time per op beside its ns/op:
// on a machine shared with other work, wall time mostly measures the other
// processes, while the CPU the process spent is its own.
package benchcpu

import (
	"syscall"
	"testing"
)

// Now is the process's user and system CPU time so far, in ns, every
// thread counted (the garbage collector's too); 0 if the system does not
// tell.
func Now() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// Report reports the CPU time spent since start (a Now value taken just
// before the benchmark's loop) per op, as cpu-ns/op. Call it after the loop.
func Report(b *testing.B, start int64) {
	b.ReportMetric(float64(Now()-start)/float64(b.N), "cpu-ns/op")
}
