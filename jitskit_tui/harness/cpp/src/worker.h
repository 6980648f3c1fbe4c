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
#include "progress.h"
#include "trace.h"
#include "write_tracker.h"

namespace jitskit::harness {

// Read by the monitor thread while the worker runs; one cache line per worker
// so the worker's relaxed stores never share a line with another thread's.
struct alignas(64) Progress {
  std::atomic<uint64_t> per_op[kOpTypeCount];
};

// A flag the monitor sets once and every worker polls; its own cache line,
// so polling it is an L1 hit until it is set.
struct alignas(64) RunSignal {
  std::atomic<bool> value{false};
  bool Get() const { return value.load(std::memory_order_relaxed); }
  void Set() { value.store(true, std::memory_order_relaxed); }
};

// Latency sampling when the config leaves it to the harness (latency_sample
// = 0): each worker times one operation in N, N = clamp(B / the recent
// latency of its timed operations less the two clock reads', 1, 256) with
// B = 100 ordered clock reads' cost on this machine, so the two reads of a
// timed operation cost about 2% of what the operations take, and a store
// slower than B per operation (a few microseconds) has every one timed. N is chosen before the
// operation it applies to runs, and each timed value is recorded with
// weight N (it stands for the N operations its gap covers), so percentiles
// stay unbiased although N follows the store's speed.
constexpr uint32_t kFirstSampleEvery = 16;
constexpr uint32_t kMaxSampleEvery = 256;
inline uint64_t SampleBudgetTicks(const TickClock& clock) {
  return static_cast<uint64_t>(100 * clock.fenced_read_ns * clock.ticks_per_ns);
}
// The worker runs operations in batches: the run's end, its target and the
// trace's wrap are checked, and the progress counters published, once a
// batch. A batch lasts at most about kBatchBudgetNs by the recent latency
// (kMaxBatch operations at most, one until the first timed operation), so
// the monitor's tick and warm-up cut see counts at most that late and a
// slow store still notices the end of a time-bounded run at once.
constexpr uint64_t kMaxBatch = 64;
constexpr double kBatchBudgetNs = 10000;
inline uint64_t BatchBudgetTicks(const TickClock& clock) {
  return static_cast<uint64_t>(kBatchBudgetNs * clock.ticks_per_ns);
}
// What the two ordered reads add to a timed operation's latency, in ticks.
inline uint64_t TimingOverheadTicks(const TickClock& clock) {
  return static_cast<uint64_t>(2 * clock.fenced_read_ns * clock.ticks_per_ns);
}

// Pins the calling thread to cpus[index % cpus.size()] (nothing when empty);
// warns on stderr when it cannot.
void PinThread(const std::vector<int>& cpus, uint32_t index);

// What every worker shares, fixed before the run starts but for the signals.
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
  // Null when no write is tracked (the driver-floor pass).
  WriteTracker* tracker = nullptr;
  // The driver-floor pass over the built-in no-op store: failures are
  // expected and not reported.
  bool calibrating = false;
  // Set by the monitor when the run must end (duration_s has passed).
  RunSignal stop;
  // Set at the warm-up cut: timed operations from then on are the steady
  // window's.
  RunSignal steady;
  // Time one operation in this many on average; 0: adaptive (see above).
  uint32_t sample_every = 0;
  // SampleBudgetTicks, TimingOverheadTicks and BatchBudgetTicks of the run's
  // clock.
  uint64_t sample_budget_ticks = 3000;
  uint64_t timing_overhead_ticks = 0;
  uint64_t batch_budget_ticks = 10000;
};

class Worker {
 public:
  Worker(uint32_t id, const std::vector<Op>* trace, uint64_t target_ops,
         const BenchCodec& codec, uint32_t value_size, uint64_t sample_seed);

  // Inserts records id, id + threads, ... of the load phase, counting each
  // in `progress` (slot id) when given.
  void Load(const RunShared& shared, const KeyMap& keys,
            ProgressTicker* progress);
  // Runs the trace (cycling it) until target_ops or `stop`, timing a random
  // sample of the operations.
  void Run(const RunShared& shared, const TickClock& clock);

  uint32_t id() const { return id_; }
  // Latencies of the timed operations, before the warm-up cut (`steady`
  // false) or after it.
  const std::array<Histogram, kOpTypeCount>& latency(bool steady) const {
    return steady ? steady_latency_ : warm_latency_;
  }
  // How many operations of each type were timed, before or after the cut.
  const std::array<uint64_t, kOpTypeCount>& timed(bool steady) const {
    return steady ? steady_timed_ : warm_timed_;
  }
  uint64_t ops_done() const { return ops_done_; }
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
  // Execute between two ordered clock reads; records the latency, and notes
  // the write when it is tracked.
  template <typename Ticks>
  [[gnu::noinline]] void TimedExecute(const RunShared& shared, const Op& op);
  // A tracked write the sampler did not choose: notes its start and end
  // without timing it.
  template <typename Ticks>
  [[gnu::noinline]] void TrackedExecute(const RunShared& shared, const Op& op);
  [[gnu::cold, gnu::noinline]] void NoteTrackedWrite(const RunShared& shared,
                                                     const Op& op,
                                                     uint64_t start,
                                                     uint64_t end);
  uint64_t Random() {
    sample_state_ ^= sample_state_ << 13;
    sample_state_ ^= sample_state_ >> 7;
    sample_state_ ^= sample_state_ << 17;
    return sample_state_;
  }
  // Whether to verify this read, RMW or scan: 1 in 64 on average, at random
  // gaps (1 to 127) drawn from a secret seed, so a store cannot tell which.
  bool Sampled() {
    if (--until_verified_ != 0) return false;
    until_verified_ = static_cast<uint32_t>(1 + Random() % 127);
    return true;
  }
  // How many operations the next batch may hold (see kMaxBatch).
  uint64_t BatchSize(const RunShared& shared) const {
    if (latency_ewma_ == 0) return 1;
    uint64_t size = shared.batch_budget_ticks / latency_ewma_;
    if (size < 1) return 1;
    return size < kMaxBatch ? size : kMaxBatch;
  }
  // Operations until the next timed one: uniform in [1, 2N - 1], mean N.
  uint32_t TimedGap(const RunShared& shared) {
    uint64_t every = shared.sample_every;
    if (every == 0) {
      every = latency_ewma_ == 0 ? kFirstSampleEvery
                                 : shared.sample_budget_ticks / latency_ewma_;
      if (every < 1) every = 1;
      if (every > kMaxSampleEvery) every = kMaxSampleEvery;
    }
    gap_every_ = static_cast<uint32_t>(every);
    return static_cast<uint32_t>(1 + Random() % (2 * every - 1));
  }
  [[gnu::cold, gnu::noinline]] void Verify(const RunShared& shared,
                                           const char* what, uint64_t key,
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
  uint32_t until_verified_ = 1;
  // The N the current gap was drawn with: the next timed value's weight.
  uint32_t gap_every_ = 1;
  // Recent latency of timed operations less the timing overhead, in ticks
  // (exponentially weighted; at least 1).
  uint64_t latency_ewma_ = 0;
  std::array<Histogram, kOpTypeCount> warm_latency_;
  std::array<Histogram, kOpTypeCount> steady_latency_;
  std::array<uint64_t, kOpTypeCount> warm_timed_{};
  std::array<uint64_t, kOpTypeCount> steady_timed_{};
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
  // Failures are expected and not recorded (the driver-floor pass).
  bool quiet_ = false;
  std::vector<TrackedWrite> tracked_writes_;
  uint64_t load_version_end_ = 0;

  friend struct ScanCheck;
};

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_WORKER_H_
