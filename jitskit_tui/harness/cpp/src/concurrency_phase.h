// What gate-concurrency's focused phases (the torn-read hammer and the
// read-modify-write storm) share: threads started together and pinned as the
// config says, and a time bound read from the kernel's clock.
#ifndef JITSKIT_HARNESS_CONCURRENCY_PHASE_H_
#define JITSKIT_HARNESS_CONCURRENCY_PHASE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "jitskit/kvstore.h"

namespace jitskit::harness {

// A wall-time bound on the kernel's CLOCK_MONOTONIC (a raw system call, so a
// store that shadows the C++ or libc clocks cannot cut a phase short).
class PhaseClock {
 public:
  explicit PhaseClock(uint64_t budget_ns);
  // Starts the bound again from now.
  void Restart();
  bool Expired() const;
  uint64_t ElapsedNs() const;

 private:
  uint64_t start_ns_;
  uint64_t budget_ns_;
};

// One flag every phase thread polls: set on a failure, at the time bound or
// once the phase has seen enough. Its own cache line, so polling it costs
// nothing while nobody writes it.
struct alignas(64) StopFlag {
  std::atomic<bool> stop{false};
  bool Stopped() const { return stop.load(std::memory_order_relaxed); }
  void Set() { stop.store(true, std::memory_order_relaxed); }
  void Clear() { stop.store(false); }
};

// Runs body(t) for t = 0 .. threads-1 on fresh threads: thread t is pinned to
// cpus[t % cpus.size()] (when `cpus` is empty, to the t-th CPU, round robin,
// of those the process may use, so that threads run at once), calls the store's
// ThreadInit(t) first and ThreadExit(t) last, and all bodies are released at
// once by a spinning start line, so they overlap from their first operation.
void RunPhaseThreads(KVStore* store, uint32_t threads,
                     const std::vector<int>& cpus,
                     const std::function<void(uint32_t)>& body);

// "12.5%" of part in whole ("0%" when whole is 0).
std::string Percent(uint64_t part, uint64_t whole);

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_CONCURRENCY_PHASE_H_
