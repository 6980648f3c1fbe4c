// Cheap timestamps for per-operation latency: the invariant TSC on x86-64
// (calibrated against steady_clock), steady_clock everywhere else.
#ifndef JITSKIT_HARNESS_CLOCK_H_
#define JITSKIT_HARNESS_CLOCK_H_

#include <chrono>
#include <cstdint>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace jitskit::harness {

struct SteadyTicks {
  static uint64_t Now() {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::steady_clock::now().time_since_epoch())
            .count());
  }
};

#if defined(__x86_64__)
struct TscTicks {
  static uint64_t Now() { return __rdtsc(); }
};
#endif

// CLOCK_MONOTONIC from the kernel by a raw system call: no libc, vDSO or
// GOT entry in between, so a store that shadows or patches clock_gettime
// cannot slow it down. About a syscall's cost: for phase boundaries and
// ticks, not per operation.
uint64_t KernelMonotonicNs();

// Which tick source the driver uses and how ticks convert to time.
struct TickClock {
  bool tsc = false;
  double ticks_per_ns = 1.0;

  const char* name() const { return tsc ? "tsc" : "steady_clock"; }
  double ToNs(double ticks) const { return ticks / ticks_per_ns; }
};

// Uses the TSC when the CPU declares it invariant (constant and non-stop),
// calibrated against KernelMonotonicNs over about `calibration_ms`.
TickClock ChooseTickClock(int calibration_ms);

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_CLOCK_H_
