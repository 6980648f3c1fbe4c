// One benchmark thread's state and its operation loop.
#ifndef JITSKIT_HARNESS_WORKER_H_
#define JITSKIT_HARNESS_WORKER_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "clock.h"
#include "config.h"
#include "histogram.h"
#include "integrity.h"
#include "jitskit/kvstore.h"
#include "trace.h"
#include "write_tracker.h"

namespace jitskit::harness {

// Read by the monitor thread while the worker runs; one cache line per worker
// so the worker's relaxed stores never share a line with another thread's.
struct alignas(64) Progress {
  std::atomic<uint64_t> per_op[kOpTypeCount];
};

// What every worker shares, fixed before the run starts.
struct RunShared {
  KVStore* store = nullptr;
  const BenchCodec* codec = nullptr;
  uint64_t record_count = 0;
  uint32_t threads = 1;
  // A read of a loaded key may miss only when the workload deletes.
  bool deletes_possible = false;
  // A zero-filled value is legitimate when read-modify-write may have created
  // the key (never written, or deleted and recreated).
  bool rmw_possible = false;
  // In ticks of the chosen clock; 0 means no time bound.
  uint64_t deadline_ticks = 0;
  WriteTracker* tracker = nullptr;
};

class Worker {
 public:
  Worker(uint32_t id, const std::vector<Op>* trace, uint64_t target_ops,
         const BenchCodec& codec, uint32_t value_size, uint64_t sample_seed);

  // Inserts records id, id + threads, ... of the load phase.
  void Load(const RunShared& shared, const KeyMap& keys);
  // Runs the trace until target_ops or the deadline, recording latencies.
  void Run(const RunShared& shared, const TickClock& clock);

  uint32_t id() const { return id_; }
  const std::array<Histogram, kOpTypeCount>& latency() const {
    return latency_;
  }
  const Progress& progress() const { return progress_; }
  uint64_t errors() const { return errors_; }
  uint64_t integrity_failures() const { return integrity_failures_; }
  const std::string& first_error() const { return first_error_; }
  const std::string& first_integrity_failure() const {
    return first_integrity_failure_;
  }
  uint64_t end_ns() const { return end_ns_; }

  // Room for the tracked writes this worker will record, made before the
  // store's memory baseline is taken.
  void ReserveTrackedWrites(size_t count) { tracked_writes_.reserve(count); }
  // Tracked writes in the order they completed (so by version).
  const std::vector<TrackedWrite>& tracked_writes() const {
    return tracked_writes_;
  }
  // Versions up to this one were written by the load phase.
  uint64_t load_version_end() const { return load_version_end_; }

 private:
  template <typename Ticks>
  void RunWith(const RunShared& shared);
  // Returns true when the operation was an Upsert that returned kOk.
  [[gnu::always_inline]] inline bool Execute(const RunShared& shared,
                                             const Op& op);
  [[gnu::cold, gnu::noinline]] void NoteTrackedWrite(const RunShared& shared,
                                                     const Op& op,
                                                     uint64_t start,
                                                     uint64_t end);
  bool Sampled() {
    sample_state_ ^= sample_state_ << 13;
    sample_state_ ^= sample_state_ >> 7;
    sample_state_ ^= sample_state_ << 17;
    return (sample_state_ & 63) == 0;
  }
  [[gnu::cold, gnu::noinline]] void Verify(const RunShared& shared, const char* what, uint64_t key,
              const char* value, bool zero_ok);
  char* WriteBuffer(uint64_t version) {
    return write_area_.data() + (version & variant_mask_) * value_size_;
  }
  [[gnu::noinline]] void DoScan(const RunShared& shared, const Op& op);
  [[gnu::cold, gnu::noinline]] void Error(const char* what, uint64_t key,
                                          Status status);
  [[gnu::cold, gnu::noinline]] void IntegrityFailure(const std::string& detail);

  Progress progress_;
  uint32_t id_;
  const std::vector<Op>* trace_;
  uint64_t target_ops_;
  uint64_t ops_done_ = 0;
  uint64_t next_version_;
  uint64_t sample_state_;
  std::array<Histogram, kOpTypeCount> latency_;
  // One value buffer per body variant, back to back; the version's low bits
  // choose the buffer.
  std::vector<char> write_area_;
  uint64_t variant_mask_;
  size_t value_size_;
  std::vector<char> read_buffer_;
  uint64_t errors_ = 0;
  uint64_t integrity_failures_ = 0;
  std::string first_error_;
  std::string first_integrity_failure_;
  uint64_t end_ns_ = 0;
  std::vector<TrackedWrite> tracked_writes_;
  uint64_t load_version_end_ = 0;

  friend struct ScanCheck;
};

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_WORKER_H_
