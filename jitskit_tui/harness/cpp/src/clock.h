// Cheap timestamps for per-operation latency: the invariant TSC on x86-64
// (calibrated against the kernel's clock), steady_clock everywhere else.
#ifndef JITSKIT_HARNESS_CLOCK_H_
#define JITSKIT_HARNESS_CLOCK_H_

#include <chrono>
#include <cstdint>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace jitskit::harness {

// Each tick source has two reads:
//   Now()     unordered: cheap, for deadlines and bookkeeping, where being a
//             few dozen cycles early or late does not matter;
//   Fenced()  ordered, for the two ends of a timed operation: it is taken
//             only after every earlier instruction (the previous operation's
//             loads included) has completed, and no later instruction (the
//             next operation) starts before it. Without that order an
//             out-of-order core reads the counter while the operation's cache
//             misses are still outstanding, and their cost lands in the next
//             operation's latency instead.
struct SteadyTicks {
  static uint64_t Now() {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::steady_clock::now().time_since_epoch())
            .count());
  }
  // The portable fallback: the C library's clock_gettime reads the counter
  // with the ordering its architecture needs (the vDSO uses an ordered TSC
  // read on x86-64 and `isb` before the counter read on arm64); the compiler
  // barriers keep the call where it is in program order.
  static uint64_t Fenced() {
    asm volatile("" ::: "memory");
    uint64_t now = Now();
    asm volatile("" ::: "memory");
    return now;
  }
};

#if defined(__x86_64__)
struct TscTicks {
  static uint64_t Now() { return __rdtsc(); }
  // RDTSCP waits until all earlier instructions have executed and earlier
  // loads are globally visible (so a miss of the operation just timed is
  // inside its interval), and the LFENCE after it keeps later instructions
  // from starting before the counter is read (so the next operation's work
  // is not inside this one's, and a start stamp is not taken late). This
  // pairing is ordered on Intel and AMD alike (on AMD a lone LFENCE is only
  // dispatch-serializing when the kernel enabled it; RDTSCP is always
  // ordered). The "memory" clobber stops the compiler moving loads and
  // stores across it. ChooseTickClock only picks the TSC when the CPU has
  // RDTSCP.
  static uint64_t Fenced() {
    uint32_t low, high;
    asm volatile("rdtscp\n\tlfence"
                 : "=a"(low), "=d"(high)
                 :
                 : "rcx", "memory");
    return (uint64_t{high} << 32) | low;
  }
};
#endif

// CLOCK_MONOTONIC from the kernel by a raw system call: no libc, vDSO or
// GOT entry in between, so a store that shadows or patches clock_gettime
// cannot slow it down. About a syscall's cost: for phase boundaries and
// ticks, not per operation.
uint64_t KernelMonotonicNs();
// CPU time of the whole process (every thread, the store's included), by the
// same raw system call (CLOCK_PROCESS_CPUTIME_ID).
uint64_t ProcessCpuNs();
// CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID), likewise.
uint64_t ThreadCpuNs();

// Which tick source the driver uses and how ticks convert to time.
struct TickClock {
  bool tsc = false;
  double ticks_per_ns = 1.0;
  // What one Fenced() read costs here, in nanoseconds (measured: from a few
  // ns on bare metal to tens in a virtual machine).
  double fenced_read_ns = 30;

  const char* name() const { return tsc ? "tsc" : "steady_clock"; }
  double ToNs(double ticks) const { return ticks / ticks_per_ns; }
};

// Uses the TSC when the CPU declares it invariant (constant and non-stop) and
// has RDTSCP, calibrated against KernelMonotonicNs over about
// `calibration_ms`.
TickClock ChooseTickClock(int calibration_ms);

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_CLOCK_H_
