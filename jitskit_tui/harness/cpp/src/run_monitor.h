// The bench's monitor thread: samples the resident set every few
// milliseconds throughout, and during the run phase prints a tick every
// tick_ms, ends a time-bounded run, and makes the warm-up cut.
#ifndef JITSKIT_HARNESS_RUN_MONITOR_H_
#define JITSKIT_HARNESS_RUN_MONITOR_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "config.h"
#include "memory.h"
#include "worker.h"

namespace jitskit::harness {

// The state of the run at the warm-up cut.
struct WarmupCut {
  bool made = false;
  uint64_t ns = 0;      // KernelMonotonicNs at the cut
  uint64_t cpu_ns = 0;  // ProcessCpuNs at the cut
  uint64_t per_op[kOpTypeCount] = {};
};

class RunMonitor {
 public:
  RunMonitor(const Config& config,
             const std::vector<std::unique_ptr<Worker>>& workers,
             RunShared& shared, PeakMemory& memory);
  ~RunMonitor() { Stop(); }

  void Start();
  // The run phase starts at `start_ns`: ticks, the deadline and the cut count
  // from it. With no warm-up the cut is made here, before any operation.
  void BeginRun(uint64_t start_ns);
  void Stop();
  // Valid once Stop has returned.
  const WarmupCut& cut() const { return cut_; }

 private:
  void Loop();
  // Sums the workers' counters.
  uint64_t Count(uint64_t per_op[kOpTypeCount]) const;
  void Tick(uint64_t now);
  void MakeCut(uint64_t now, const uint64_t per_op[kOpTypeCount]);

  const Config& config_;
  const std::vector<std::unique_ptr<Worker>>& workers_;
  RunShared& shared_;
  PeakMemory& memory_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool running_ = false;
  uint64_t run_start_ns_ = 0;
  uint64_t next_tick_ns_ = 0;
  uint64_t last_ns_ = 0;
  uint64_t last_ops_ = 0;
  WarmupCut cut_;
};

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_RUN_MONITOR_H_
