// The store's peak memory, measured from the process's resident set.
#ifndef JITSKIT_HARNESS_MEMORY_H_
#define JITSKIT_HARNESS_MEMORY_H_

#include <atomic>
#include <cstdint>

namespace jitskit::harness {

// VmRSS and VmHWM from /proc/self/status, in bytes (0 when unreadable).
struct ResidentSet {
  uint64_t rss = 0;
  uint64_t high_water = 0;
};
ResidentSet ReadResidentSet();

// Measures the high-water mark of the resident set over an interval that
// starts just before the store is opened (after traces are built), minus the
// resident set at that start.
class PeakMemory {
 public:
  // Resets the kernel's high-water mark where allowed and takes the baseline.
  void Start();
  // Called periodically (the monitor thread) as a fallback for kernels that
  // do not let the high-water mark be reset.
  void Sample();
  // Peak bytes above the baseline, measured now.
  uint64_t StorePeak();
  uint64_t baseline() const { return baseline_; }

 private:
  uint64_t baseline_ = 0;
  uint64_t high_water_at_start_ = 0;
  bool reset_ok_ = false;
  std::atomic<uint64_t> sampled_max_{0};
};

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_MEMORY_H_
