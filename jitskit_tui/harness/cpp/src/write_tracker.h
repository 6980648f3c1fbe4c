// Catches lost updates at full benchmark scale. Writes to a secret 1/64 of the
// records are tracked: each one notes its start tick (a per-record maximum)
// and its completion tick. After the run every tracked key is read once; if
// its value came from an Upsert that completed before another acknowledged
// Upsert to the same key started, that later write was lost. Comparing start
// and completion times keeps the check sound when writes overlap.
#ifndef JITSKIT_HARNESS_WRITE_TRACKER_H_
#define JITSKIT_HARNESS_WRITE_TRACKER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rng.h"
#include "trace.h"

namespace jitskit::harness {

struct TrackedWrite {
  uint64_t version;
  uint64_t completed;  // ticks
};

class WriteTracker {
 public:
  static constexpr uint64_t kStride = 64;

  WriteTracker(uint64_t salt, uint64_t total_records);

  // Marks the UPDATE and INSERT operations on tracked records; returns how
  // many each thread's trace holds.
  std::vector<uint64_t> Mark(Trace& trace, const KeyMap& keys);

  void NoteStart(uint32_t slot, uint64_t start) {
    std::atomic<uint64_t>& max = max_start_[slot];
    uint64_t seen = max.load(std::memory_order_relaxed);
    while (start > seen &&
           !max.compare_exchange_weak(seen, start, std::memory_order_relaxed)) {
    }
  }
  uint64_t MaxStart(uint32_t slot) const {
    return max_start_[slot].load(std::memory_order_relaxed);
  }
  uint32_t slots() const { return static_cast<uint32_t>(slot_count_); }
  uint64_t RecordOfSlot(uint32_t slot) const {
    return uint64_t{slot} * kStride + kStride - 1 - offset_;
  }

 private:
  uint64_t offset_;  // record r is tracked when (r + offset_) % kStride == 63
  uint64_t slot_count_;
  std::unique_ptr<std::atomic<uint64_t>[]> max_start_;
};

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_WRITE_TRACKER_H_
