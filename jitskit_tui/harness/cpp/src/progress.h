// Progress events for every phase of every mode (docs/harness-protocol.md,
// event `progress`): a thread of its own prints how far the current phase got
// every tick_ms, whether or not the store completes anything, so the engine
// can tell a store that stopped (the count stands still) from a slow one.
//
// Reusable by any mode: construct a ProgressTicker, Start() it, call
// BeginPhase() at each phase, and either count work yourself (Add, one slot
// per thread) or wrap the store with CountStoreCalls so every call the phase
// makes is counted.
#ifndef JITSKIT_HARNESS_PROGRESS_H_
#define JITSKIT_HARNESS_PROGRESS_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "jitskit/kvstore.h"

namespace jitskit::harness {

class ProgressTicker {
 public:
  // `slots`: how many threads count at once (one counter each, on its own
  // cache line, so counting costs a thread no shared-line traffic).
  ProgressTicker(uint32_t tick_ms, uint32_t slots);
  ~ProgressTicker();
  ProgressTicker(const ProgressTicker&) = delete;
  ProgressTicker& operator=(const ProgressTicker&) = delete;

  void Start();
  // Stops ticking (also done by the destructor).
  void Stop();
  // From now on ticks report `phase`; counts start again from 0. `total` is
  // the work the phase will do (0 when not known in advance).
  void BeginPhase(const std::string& phase, uint64_t total);
  // No phase under way: no events until the next BeginPhase.
  void EndPhase();

  // Counts `n` units of work done by the thread owning `slot` (slots above
  // the last share it). Only that thread may call it for that slot.
  void Add(uint32_t slot, uint64_t n = 1) {
    std::atomic<uint64_t>& count = counts_[Clamp(slot)].value;
    count.store(count.load(std::memory_order_relaxed) + n,
                std::memory_order_relaxed);
  }
  // Like Add, for a slot that several threads may share.
  void AddShared(uint32_t slot, uint64_t n = 1) {
    counts_[Clamp(slot)].value.fetch_add(n, std::memory_order_relaxed);
  }
  uint64_t Done() const;
  uint32_t slots() const { return static_cast<uint32_t>(counts_.size()); }

 private:
  struct alignas(64) Slot {
    std::atomic<uint64_t> value{0};
  };
  uint32_t Clamp(uint32_t slot) const {
    return slot < counts_.size() ? slot : static_cast<uint32_t>(counts_.size() - 1);
  }
  void Loop();
  void EmitLocked(uint64_t now_ns);

  uint32_t tick_ms_;
  std::vector<Slot> counts_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::string phase_;
  uint64_t total_ = 0;
  uint64_t phase_start_ns_ = 0;
};

// Wraps `store` so every call that returns is counted in `ticker`, in the
// slot of the calling thread's last ThreadInit (slot 0 before any). Every
// other behaviour is the wrapped store's. Null stays null.
std::unique_ptr<KVStore> CountStoreCalls(std::unique_ptr<KVStore> store,
                                         ProgressTicker& ticker);

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_PROGRESS_H_
