#include "clock.h"

#include <fstream>
#include <string>
#include <thread>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace jitskit::harness {
namespace {

#if defined(__x86_64__)
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

}  // namespace

TickClock ChooseTickClock(int calibration_ms) {
  TickClock clock;
#if defined(__x86_64__)
  if (!TscIsInvariant()) return clock;
  uint64_t ns0 = SteadyTicks::Now();
  uint64_t tsc0 = TscTicks::Now();
  std::this_thread::sleep_for(std::chrono::milliseconds(calibration_ms));
  uint64_t ns1 = SteadyTicks::Now();
  uint64_t tsc1 = TscTicks::Now();
  if (ns1 <= ns0 || tsc1 <= tsc0) return clock;
  clock.tsc = true;
  clock.ticks_per_ns =
      static_cast<double>(tsc1 - tsc0) / static_cast<double>(ns1 - ns0);
#else
  (void)calibration_ms;
#endif
  return clock;
}

}  // namespace jitskit::harness
