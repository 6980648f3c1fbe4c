#include "worker.h"

#include "store_session.h"

namespace jitskit::harness {
namespace {

// Batches between deadline checks: a clock comparison per 256 operations.
constexpr uint64_t kBatch = 256;

}  // namespace

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

void Worker::Load(const RunShared& shared, const KeyMap& keys) {
  for (uint64_t record = id_; record < shared.record_count;
       record += shared.threads) {
    uint64_t key = keys.KeyOf(record);
    char* value = WriteBuffer(++next_version_);
    shared.codec->Stamp(value, key, next_version_);
    Status status = shared.store->Upsert(key, value);
    if (status != Status::kOk) Error("load-phase Upsert", key, status);
  }
  load_version_end_ = next_version_;
}

inline bool Worker::Execute(const RunShared& shared, const Op& op) {
  KVStore* store = shared.store;
  char* out = read_buffer_.data();
  switch (op.type) {
    case OpType::kRead: {
      // A sampled read's buffer is poisoned first, so a Read that returns kOk
      // without copying is caught.
      bool sampled = Sampled();
      if (sampled) StoreU64(out + kKeyOffset, ~op.key);
      Status status = store->Read(op.key, out);
      if (status == Status::kOk) {
        if (sampled) {
          Verify(shared, "Read", op.key, out,
                 shared.rmw_possible && (!op.loaded || shared.deletes_possible));
        }
      } else if (status != Status::kNotFound ||
                 (op.loaded && !shared.deletes_possible)) {
        Error(status == Status::kNotFound ? "Read of loaded key" : "Read",
              op.key, status);
      }
      break;
    }
    case OpType::kUpdate:
    case OpType::kInsert: {
      char* value = WriteBuffer(++next_version_);
      shared.codec->Stamp(value, op.key, next_version_);
      Status status = store->Upsert(op.key, value);
      if (status == Status::kOk) return true;
      Error("Upsert", op.key, status);
      break;
    }
    case OpType::kRmw: {
      bool sampled = Sampled();
      if (sampled) StoreU64(out + kKeyOffset, ~op.key);
      Status status = store->ReadModifyWrite(op.key, 1, out);
      if (status != Status::kOk) {
        Error("ReadModifyWrite", op.key, status);
      } else if (sampled) {
        Verify(shared, "ReadModifyWrite", op.key, out,
               !op.loaded || shared.deletes_possible);
      }
      break;
    }
    case OpType::kDelete: {
      Status status = store->Delete(op.key);
      if (status != Status::kOk && status != Status::kNotFound) {
        Error("Delete", op.key, status);
      }
      break;
    }
    case OpType::kScan:
      DoScan(shared, op);
      break;
  }
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
  const uint64_t deadline = shared.deadline_ticks;
  size_t index = 0;
  uint64_t done = 0;
  // The end of one operation is the start of the next: one clock read per op.
  uint64_t start = Ticks::Now();
  while (done < target) {
    uint64_t batch_end = target - done < kBatch ? target : done + kBatch;
    for (; done < batch_end; ++done) {
      const Op& op = ops[index];
      if (++index == length) index = 0;
      bool wrote = Execute(shared, op);
      uint64_t end = Ticks::Now();
      int type = static_cast<int>(op.type);
      latency_[type].Record(end - start);
      if (__builtin_expect(op.tracked && wrote, 0)) {
        NoteTrackedWrite(shared, op, start, end);
        end = Ticks::Now();  // the bookkeeping is not the next op's latency
      }
      start = end;
      std::atomic<uint64_t>& counter = progress_.per_op[type];
      counter.store(counter.load(std::memory_order_relaxed) + 1,
                    std::memory_order_relaxed);
    }
    if (deadline != 0 && start >= deadline) break;
  }
  ops_done_ = done;
  end_ns_ = KernelMonotonicNs();
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
  // `start` is the previous operation's end: never after this write began.
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
  if (verdict == BenchCodec::Verdict::kValid) return;
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
  ++errors_;
  if (first_error_.empty()) {
    first_error_ = std::string(what) + " " + HexKey(key) + " returned " +
                   StatusName(status) + " where kOk was due (thread " +
                   std::to_string(id_) + ")";
  }
}

void Worker::IntegrityFailure(const std::string& detail) {
  ++integrity_failures_;
  if (first_integrity_failure_.empty()) first_integrity_failure_ = detail;
}

}  // namespace jitskit::harness
