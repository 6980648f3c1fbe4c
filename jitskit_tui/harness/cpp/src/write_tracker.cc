#include "write_tracker.h"

namespace jitskit::harness {

WriteTracker::WriteTracker(uint64_t salt, uint64_t total_records)
    : offset_(salt % kStride),
      slot_count_(total_records / kStride + 2),
      max_start_(new std::atomic<uint64_t>[slot_count_]) {
  for (uint64_t i = 0; i < slot_count_; ++i) {
    max_start_[i].store(0, std::memory_order_relaxed);
  }
}

std::vector<uint64_t> WriteTracker::Mark(Trace& trace, const KeyMap& keys) {
  std::vector<uint64_t> marked(trace.per_thread.size(), 0);
  for (size_t t = 0; t < trace.per_thread.size(); ++t) {
    for (Op& op : trace.per_thread[t]) {
      if (op.type != OpType::kUpdate && op.type != OpType::kInsert) continue;
      uint64_t shifted = keys.RecordOf(op.key) + offset_;
      if (shifted % kStride != kStride - 1) continue;
      op.tracked = true;
      op.scan_length = static_cast<uint32_t>(shifted / kStride);
      ++marked[t];
    }
  }
  return marked;
}

}  // namespace jitskit::harness
