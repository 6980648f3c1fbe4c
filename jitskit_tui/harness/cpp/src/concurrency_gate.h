// gate-concurrency's checker: threads mix every required operation over a
// small hot key set while a model (concurrency_model.h) says which results
// are possible. Internal to the harness.
#ifndef JITSKIT_HARNESS_CONCURRENCY_GATE_H_
#define JITSKIT_HARNESS_CONCURRENCY_GATE_H_

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "barrier.h"
#include "concurrency_model.h"
#include "config.h"
#include "gate_report.h"
#include "integrity.h"
#include "jitskit/kvstore.h"
#include "progress.h"
#include "rng.h"

namespace jitskit::harness {

constexpr int kEpochs = 8;
constexpr size_t kPlainKeys = 16;
constexpr size_t kDeletableKeys = 8;
inline constexpr uint64_t kIncrements[] = {1, 3, 0xff, 0x100000001ULL};
constexpr size_t kCounters = sizeof(kIncrements) / sizeof(kIncrements[0]);

struct OpCounts {
  uint64_t reads = 0, writes = 0, deletes = 0, rmws = 0, scans = 0;
};

class ConcurrencyGate {
 public:
  explicit ConcurrencyGate(const Config& config)
      : config_(config),
        codec_(DrawSecret(), config.value_size),
        threads_(config.threads),
        registers_(kPlainKeys + (config.operations.del ? kDeletableKeys : 0)),
        counters_(config.operations.rmw ? kCounters : 0),
        barrier_(config.threads),
        progress_(config.tick_ms, config.threads) {
    SplitMix64 rng(codec_.secret().words[1] ^ config.seed);
    for (size_t i = 0; i < registers_.size(); ++i) {
      registers_[i].key = rng.Next();
      registers_[i].deletable = i >= kPlainKeys;
    }
    for (size_t i = 0; i < counters_.size(); ++i) {
      counters_[i].key = rng.Next();
      counters_[i].increment = kIncrements[i];
    }
    for (size_t i = 0; i < registers_.size(); ++i) {
      universe_[registers_[i].key] = static_cast<int>(i);
    }
    for (size_t i = 0; i < counters_.size(); ++i) {
      universe_[counters_[i].key] = -1 - static_cast<int>(i);
    }
    // A non-atomic read-modify-write also shows as stale counter reads; name
    // the cause first.
    failures_.SetHeadlineOrder({"lost increments",
                                "extra increments",
                                "duplicate read-modify-write result",
                                "read-modify-write went backwards",
                                "torn read"});
  }

  int Run();

 private:
  struct ThreadState {
    uint32_t id = 0;
    SplitMix64 rng{0};
    std::vector<char> buffer;
    OpCounts counts;
    // Per counter: (result in increments, thread) of every call.
    std::vector<std::vector<uint64_t>> results;
  };

  void Worker(ThreadState& state);
  void Write(ThreadState& state, Register& reg);
  void ReadRegister(ThreadState& state, Register& reg);
  void Increment(ThreadState& state, Counter& counter);
  void ReadCounter(ThreadState& state, Counter& counter);
  // A scan over every key (full), or a short one from a random start.
  void ScanOnce(ThreadState& state, bool full);
  void CheckFinal(std::vector<ThreadState>& states);
  // The torn-read hammer and the read-modify-write storm; returns their
  // clauses for the pass detail.
  std::string RunFocusedPhases();
  std::string Who(const ThreadState& state, const char* op) const {
    return std::string(op) + " (thread " + std::to_string(state.id) + ")";
  }

  const Config& config_;
  GateCodec codec_;
  uint32_t threads_;
  std::vector<Register> registers_;
  std::vector<Counter> counters_;
  std::unordered_map<uint64_t, int> universe_;
  KVStore* store_ = nullptr;
  Barrier barrier_;
  FailureLog failures_;
  // Counts every store call the gate's threads make, per phase.
  ProgressTicker progress_;
};

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_CONCURRENCY_GATE_H_
