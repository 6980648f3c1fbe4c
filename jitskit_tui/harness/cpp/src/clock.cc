#include "clock.h"

#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <thread>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace jitskit::harness {
namespace {

#if defined(__x86_64__)
bool HasRdtscp() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return __get_cpuid(0x80000001, &eax, &ebx, &ecx, &edx) && (edx & (1u << 27));
}

bool TscIsInvariant() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(0x80000007, &eax, &ebx, &ecx, &edx) && (edx & (1u << 8))) {
    return true;
  }
  // Hypervisors often hide the cpuid bit but the kernel still knows.
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("flags", 0) == 0) {
      return line.find(" constant_tsc") != std::string::npos &&
             line.find(" nonstop_tsc") != std::string::npos;
    }
  }
  return false;
}
#endif

// clock_gettime(clock) by a raw system call, in nanoseconds.
uint64_t KernelClockNs(clockid_t clock) {
  timespec now{};
#if defined(__x86_64__)
  long result;
  asm volatile("syscall"
               : "=a"(result)
               : "0"(static_cast<long>(SYS_clock_gettime)),
                 "D"(static_cast<long>(clock)), "S"(&now)
               : "rcx", "r11", "memory");
  (void)result;
#elif defined(__aarch64__)
  register long x8 asm("x8") = SYS_clock_gettime;
  register long x0 asm("x0") = clock;
  register timespec* x1 asm("x1") = &now;
  asm volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1) : "memory");
#else
  syscall(SYS_clock_gettime, clock, &now);
#endif
  return static_cast<uint64_t>(now.tv_sec) * 1000000000ULL +
         static_cast<uint64_t>(now.tv_nsec);
}

}  // namespace

uint64_t KernelMonotonicNs() { return KernelClockNs(CLOCK_MONOTONIC); }
uint64_t ProcessCpuNs() { return KernelClockNs(CLOCK_PROCESS_CPUTIME_ID); }
uint64_t ThreadCpuNs() { return KernelClockNs(CLOCK_THREAD_CPUTIME_ID); }

namespace {

// The cheapest of a few batches of back-to-back ordered reads, so a
// preemption in one batch does not count.
template <typename Ticks>
double FencedReadNs() {
  constexpr int kReads = 2000;
  double best = 1e9;
  for (int batch = 0; batch < 5; ++batch) {
    uint64_t start = KernelMonotonicNs();
    uint64_t sink = 0;
    for (int i = 0; i < kReads; ++i) sink += Ticks::Fenced();
    asm volatile("" : : "r"(sink));
    double ns = static_cast<double>(KernelMonotonicNs() - start) / kReads;
    if (ns < best) best = ns;
  }
  return best;
}

}  // namespace

TickClock ChooseTickClock(int calibration_ms) {
  TickClock clock;
  clock.fenced_read_ns = FencedReadNs<SteadyTicks>();
#if defined(__x86_64__)
  if (!TscIsInvariant() || !HasRdtscp()) return clock;
  uint64_t ns0 = KernelMonotonicNs();
  uint64_t tsc0 = TscTicks::Now();
  std::this_thread::sleep_for(std::chrono::milliseconds(calibration_ms));
  uint64_t ns1 = KernelMonotonicNs();
  uint64_t tsc1 = TscTicks::Now();
  if (ns1 <= ns0 || tsc1 <= tsc0) return clock;
  clock.tsc = true;
  clock.fenced_read_ns = FencedReadNs<TscTicks>();
  clock.ticks_per_ns =
      static_cast<double>(tsc1 - tsc0) / static_cast<double>(ns1 - ns0);
#else
  (void)calibration_ms;
#endif
  return clock;
}

}  // namespace jitskit::harness
