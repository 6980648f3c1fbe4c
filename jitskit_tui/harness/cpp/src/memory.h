// The store's peak memory, measured by the harness: the process's resident
// set (sampled every few milliseconds and from the kernel's high-water mark),
// plus memory the resident set does not show: memfd and tmpfs files the
// process holds open, and child processes.
#ifndef JITSKIT_HARNESS_MEMORY_H_
#define JITSKIT_HARNESS_MEMORY_H_

#include <cstdint>
#include <mutex>

namespace jitskit::harness {

// From /proc/self/status, in bytes (0 when unreadable).
struct ResidentSet {
  uint64_t rss = 0;
  uint64_t high_water = 0;
  uint64_t shmem = 0;  // RssShmem: mapped shared memory, part of rss
};
ResidentSet ReadResidentSet();

// Bytes in memfd files, deleted tmpfs files and /dev/shm files this process
// holds open.
uint64_t SharedFileBytes();
// Resident bytes of this process's child processes and their children.
uint64_t ChildProcessBytes();

struct MemoryBreakdown {
  uint64_t peak = 0;             // the store's peak, above the baseline
  uint64_t rss_peak = 0;         // resident set high-water, above baseline
  uint64_t shared_files = 0;     // largest memfd/tmpfs total seen
  uint64_t child_processes = 0;  // largest child-process total seen
  bool high_water_reset = false; // someone reset VmHWM after Start
};

class PeakMemory {
 public:
  // Resets the kernel's high-water mark where allowed and takes the baseline.
  void Start();
  // Resident set and high-water mark: cheap, every few milliseconds.
  void Sample();
  // Shared files and child processes: every few tens of milliseconds.
  void SampleOutside();
  // Peak bytes above the baseline, measured now.
  MemoryBreakdown StorePeak();
  uint64_t baseline() const { return baseline_; }

 private:
  void SampleLocked();

  std::mutex mutex_;
  bool started_ = false;
  bool reset_ok_ = false;
  bool high_water_reset_ = false;
  uint64_t baseline_ = 0;
  uint64_t high_water_at_start_ = 0;
  uint64_t last_high_water_ = 0;
  uint64_t rss_max_ = 0;
  uint64_t total_max_ = 0;
  uint64_t extra_shared_ = 0;  // shared files beyond what rss already maps
  uint64_t shared_max_ = 0;
  uint64_t children_ = 0;
  uint64_t children_max_ = 0;
};

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_MEMORY_H_
