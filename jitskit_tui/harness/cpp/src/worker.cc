#include "worker.h"

#include <pthread.h>
#include <sched.h>

#include <cstdio>

#include "store_session.h"

namespace jitskit::harness {
namespace {

// How far ahead of the current operation the trace is prefetched: 1 KiB.
constexpr size_t kPrefetchOps = 64;

}  // namespace

void PinThread(const std::vector<int>& cpus, uint32_t index) {
  if (cpus.empty()) return;
  int cpu = cpus[index % cpus.size()];
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  int failed = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  if (failed != 0) {
    std::fprintf(stderr,
                 "jitskit-harness: warning: cannot pin worker %u to CPU %d "
                 "(error %d); it runs unpinned. Check `cpus` against the CPUs "
                 "this process may use.\n",
                 index, cpu, failed);
  }
}

Worker::Worker(uint32_t id, const std::vector<Op>* trace, uint64_t target_ops,
               const BenchCodec& codec, uint32_t value_size,
               uint64_t sample_seed)
    : id_(id),
      trace_(trace),
      target_ops_(target_ops),
      next_version_(uint64_t{id} << 48),
      sample_state_(Mix64(sample_seed + id) | 1),
      write_area_(size_t{codec.variants()} * value_size),
      variant_mask_(codec.variants() - 1),
      value_size_(value_size),
      read_buffer_(value_size) {
  for (auto& counter : progress_.per_op) {
    counter.store(0, std::memory_order_relaxed);
  }
  for (uint32_t v = 0; v < codec.variants(); ++v) {
    codec.Prepare(WriteBuffer(v), v);
  }
}

void Worker::Load(const RunShared& shared, const KeyMap& keys,
                  ProgressTicker* progress) {
  for (uint64_t record = id_; record < shared.record_count;
       record += shared.threads) {
    uint64_t key = keys.KeyOf(record);
    char* value = WriteBuffer(++next_version_);
    shared.codec->Stamp(value, key, next_version_);
    Status status = shared.store->Upsert(key, value);
    if (status != Status::kOk) Error("load-phase Upsert", key, status);
    if (progress != nullptr) progress->Add(id_);
  }
  load_version_end_ = next_version_;
}

inline bool Worker::Execute(const RunShared& shared, const Op& op) {
  KVStore* store = shared.store;
  char* out = read_buffer_.data();
  // Reads and writes first, by comparisons rather than a switch: a jump
  // table costs a bounds check and a table load before its (for a mixed
  // workload, unpredictable) jump.
  OpType type = op.type;
  if (type == OpType::kRead) {
    // Every read's buffer is poisoned first, so a Read that returns kOk
    // without copying is caught when sampled, and the poison does not tell
    // the store which reads are sampled.
    StoreU64(out + kKeyOffset, ~op.key);
    bool sampled = Sampled();
    Status status = store->Read(op.key, out);
    if (status == Status::kOk) {
      if (__builtin_expect(sampled, 0)) {
        Verify(shared, "Read", op.key, out,
               shared.rmw_possible && (!op.loaded || shared.deletes_possible));
      }
    } else if (status != Status::kNotFound ||
               (op.loaded && !shared.deletes_possible)) {
      Error(status == Status::kNotFound ? "Read of loaded key" : "Read",
            op.key, status);
    }
    return false;
  }
  if (type == OpType::kUpdate || type == OpType::kInsert) {
    char* value = WriteBuffer(++next_version_);
    shared.codec->Stamp(value, op.key, next_version_);
    Status status = store->Upsert(op.key, value);
    if (__builtin_expect(status == Status::kOk, 1)) return true;
    Error("Upsert", op.key, status);
    return false;
  }
  if (type == OpType::kRmw) {
    StoreU64(out + kKeyOffset, ~op.key);
    bool sampled = Sampled();
    Status status = store->ReadModifyWrite(op.key, 1, out);
    if (status != Status::kOk) {
      Error("ReadModifyWrite", op.key, status);
    } else if (__builtin_expect(sampled, 0)) {
      Verify(shared, "ReadModifyWrite", op.key, out,
             !op.loaded || shared.deletes_possible);
    }
    return false;
  }
  if (type == OpType::kDelete) {
    Status status = store->Delete(op.key);
    if (status != Status::kOk && status != Status::kNotFound) {
      Error("Delete", op.key, status);
    }
    return false;
  }
  DoScan(shared, op);
  return false;
}

void Worker::Run(const RunShared& shared, const TickClock& clock) {
#if defined(__x86_64__)
  if (clock.tsc) {
    RunWith<TscTicks>(shared);
    return;
  }
#endif
  (void)clock;
  RunWith<SteadyTicks>(shared);
}

template <typename Ticks>
void Worker::RunWith(const RunShared& shared) {
  const Op* ops = trace_->data();
  const size_t length = trace_->size();
  const uint64_t target = length == 0 ? 0 : target_ops_;
  quiet_ = shared.calibrating;
  size_t index = 0;
  uint64_t done = 0;
  uint64_t counts[kOpTypeCount] = {};
  // Most operations run untimed, back to back: no clock read, no fence. One
  // in N on average (random gaps from a secret seed, so neither the key nor
  // the position in the trace tells the store which) runs between two
  // ordered clock reads; the choice never depends on the operation itself,
  // so with each value weighted by its N the timed operations are an
  // unbiased sample of all of them. Tracked writes note their start and end
  // whether timed or not (the verify phase needs them).
  uint32_t until_timed = TimedGap(shared);
  while (done < target && !shared.stop.Get()) {
    uint64_t batch = BatchSize(shared);
    if (batch > length - index) batch = length - index;
    if (batch > target - done) batch = target - done;
    const Op* op = ops + index;
    const Op* const end = op + batch;
    do {
      // Traces are larger than any cache: fetch a few lines ahead (a
      // prefetch past the end is harmless; the address is only a hint).
      __builtin_prefetch(op + kPrefetchOps);
      ++counts[static_cast<int>(op->type)];
      // One rarely taken branch for both rare cases.
      bool timed = --until_timed == 0;
      if (__builtin_expect(timed | op->tracked, 0)) {
        if (timed) {
          TimedExecute<Ticks>(shared, *op);
          until_timed = TimedGap(shared);
        } else {
          TrackedExecute<Ticks>(shared, *op);
        }
      } else {
        Execute(shared, *op);
      }
    } while (++op != end);
    done += batch;
    index += batch;
    if (index == length) index = 0;
    // The worker's own line; the monitor reads it once a tick.
    for (int i = 0; i < kOpTypeCount; ++i) {
      progress_.per_op[i].store(counts[i], std::memory_order_relaxed);
    }
  }
  ops_done_ = done;
  end_ns_ = KernelMonotonicNs();
}

template <typename Ticks>
void Worker::TimedExecute(const RunShared& shared, const Op& op) {
  uint64_t start = Ticks::Fenced();
  bool wrote = Execute(shared, op);
  uint64_t end = Ticks::Fenced();
  uint64_t latency = end - start;
  // An operation that ends after the cut belongs to the steady window.
  bool steady = shared.steady.Get();
  int type = static_cast<int>(op.type);
  (steady ? steady_latency_ : warm_latency_)[type].Record(latency, gap_every_);
  ++(steady ? steady_timed_ : warm_timed_)[type];
  uint64_t own = latency > shared.timing_overhead_ticks + 1
                     ? latency - shared.timing_overhead_ticks
                     : 1;
  latency_ewma_ = latency_ewma_ == 0
                      ? own
                      : latency_ewma_ - (latency_ewma_ >> 3) + (own >> 3);
  if (latency_ewma_ == 0) latency_ewma_ = 1;
  if (op.tracked && wrote && shared.tracker != nullptr) {
    NoteTrackedWrite(shared, op, start, end);
  }
}

template <typename Ticks>
void Worker::TrackedExecute(const RunShared& shared, const Op& op) {
  // Unordered reads: each may run up to a reorder window (well under a
  // microsecond) early or late, far inside the verify phase's 20 us margin,
  // and they cost less than ordered ones where the tracked keys are hot.
  uint64_t start = Ticks::Now();
  bool wrote = Execute(shared, op);
  uint64_t end = Ticks::Now();
  if (wrote && shared.tracker != nullptr) {
    NoteTrackedWrite(shared, op, start, end);
  }
}

// State of one Scan call, checked by the visitor.
struct ScanCheck {
  Worker* worker;
  const RunShared* shared;
  uint64_t start;
  uint32_t limit;
  uint32_t visited = 0;
  uint64_t last = 0;
  bool verify = false;
  bool overran = false;

  static bool Visit(void* context, uint64_t key, const char* value) {
    auto* check = static_cast<ScanCheck*>(context);
    if (check->visited >= check->limit) {
      check->overran = true;
      return false;
    }
    ++check->visited;
    if (check->verify) {
      if (key < check->start || (check->visited > 1 && key <= check->last)) {
        std::string where = check->visited > 1
                                ? " after " + HexKey(check->last)
                                : std::string(" first");
        check->worker->IntegrityFailure(
            "Scan from " + HexKey(check->start) + " visited " + HexKey(key) +
            where + ": keys must be >= the start key and strictly ascending "
            "(thread " + std::to_string(check->worker->id()) + ")");
      }
      check->worker->Verify(*check->shared, "Scan", key, value,
                            check->shared->rmw_possible);
    }
    check->last = key;
    return true;
  }
};

void Worker::DoScan(const RunShared& shared, const Op& op) {
  ScanCheck check{this, &shared, op.key, op.scan_length};
  check.verify = Sampled();
  Status status =
      shared.store->Scan(op.key, op.scan_length, &ScanCheck::Visit, &check);
  if (status != Status::kOk) Error("Scan", op.key, status);
  if (check.overran) {
    IntegrityFailure("Scan from " + HexKey(op.key) + " with count " +
                     std::to_string(op.scan_length) +
                     " kept visiting keys past the count (thread " +
                     std::to_string(id_) + ")");
  }
}

void Worker::NoteTrackedWrite(const RunShared& shared, const Op& op,
                              uint64_t start, uint64_t end) {
  // `start` is read before the write began, `end` after it was
  // acknowledged (give or take a reorder window, see TrackedExecute).
  shared.tracker->NoteStart(op.scan_length, start);
  // Beyond the reserved room the write is not recorded (no allocation while
  // the store is measured); the verifier skips values it cannot place.
  if (tracked_writes_.size() < tracked_writes_.capacity()) {
    tracked_writes_.push_back({next_version_, end});
  }
}

void Worker::Verify(const RunShared& shared, const char* what, uint64_t key,
                    const char* value, bool zero_ok) {
  BenchCodec::Verdict verdict = shared.codec->Check(key, value);
  if (verdict == BenchCodec::Verdict::kValid || quiet_) return;
  if (verdict == BenchCodec::Verdict::kZeroFilled && zero_ok) return;
  std::string detail = std::string(what) + " of key " + HexKey(key);
  if (LoadU64(value + kKeyOffset) == ~key) {
    IntegrityFailure(detail + " returned kOk but left the output buffer "
                              "untouched (fabricated value; thread " +
                     std::to_string(id_) + ")");
    return;
  }
  switch (verdict) {
    case BenchCodec::Verdict::kForeign:
      detail += " returned the value of key " +
                HexKey(LoadU64(value + kKeyOffset)) + " (foreign value)";
      break;
    case BenchCodec::Verdict::kZeroFilled:
      detail += " returned a zero-filled value for a key that was written "
                "with data";
      break;
    default:
      detail += " returned bytes never written for it by the harness "
                "(integrity code or body mismatch: fabricated, torn, partly "
                "copied or corrupted)";
  }
  IntegrityFailure(detail + " (thread " + std::to_string(id_) + ")");
}

void Worker::Error(const char* what, uint64_t key, Status status) {
  if (quiet_) return;
  ++errors_;
  if (first_error_.empty()) {
    first_error_ = std::string(what) + " " + HexKey(key) + " returned " +
                   StatusName(status) + " where kOk was due (thread " +
                   std::to_string(id_) + ")";
  }
}

void Worker::IntegrityFailure(const std::string& detail) {
  if (quiet_) return;
  ++integrity_failures_;
  if (first_integrity_failure_.empty()) first_integrity_failure_ = detail;
}

}  // namespace jitskit::harness
