// gate-concurrency: every thread mixes all required operations over a small
// hot key set; values carry integrity codes, writers publish what they have
// begun and acknowledged, and readers check every result against that.
#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "barrier.h"
#include "concurrency_model.h"
#include "gates.h"
#include "jsonout.h"
#include "rng.h"
#include "store_session.h"

namespace jitskit::harness {
namespace {

constexpr int kEpochs = 8;
constexpr size_t kPlainKeys = 16;
constexpr size_t kDeletableKeys = 8;
const uint64_t kIncrements[] = {1, 3, 0xff, 0x100000001ULL};
constexpr size_t kCounters = sizeof(kIncrements) / sizeof(kIncrements[0]);

struct OpCounts {
  uint64_t reads = 0, writes = 0, deletes = 0, rmws = 0, scans = 0;
};

struct Visited {
  uint64_t key;
  std::string value;
};

bool Collect(void* context, uint64_t key, const char* value);

class ConcurrencyGate {
 public:
  explicit ConcurrencyGate(const Config& config)
      : config_(config),
        codec_(DrawSecret(), config.value_size),
        threads_(config.threads),
        registers_(kPlainKeys + (config.operations.del ? kDeletableKeys : 0)),
        counters_(config.operations.rmw ? kCounters : 0),
        barrier_(config.threads) {
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
                                "duplicate read-modify-write result",
                                "read-modify-write went backwards"});
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
};

void ConcurrencyGate::Write(ThreadState& state, Register& reg) {
  uint64_t op = reg.acked.load() + 1;
  reg.begun.store(op);
  Status status;
  std::string what;
  if (reg.PresentAfter(op)) {
    codec_.Encode(state.buffer.data(), reg.key, reg.VersionAfter(op));
    status = store_->Upsert(reg.key, state.buffer.data());
    what = "Upsert";
    ++state.counts.writes;
  } else {
    status = store_->Delete(reg.key);
    what = "Delete of a present key";
    ++state.counts.deletes;
  }
  reg.acked.store(op);
  if (status != Status::kOk) {
    failures_.Add("write failed", what + " of key " + HexKey(reg.key) +
                                      " returned " + StatusName(status) +
                                      " (thread " + std::to_string(state.id) +
                                      "); expected kOk");
  }
}

void ConcurrencyGate::ReadRegister(ThreadState& state, Register& reg) {
  ++state.counts.reads;
  uint64_t acked = reg.acked.load();
  Status status = store_->Read(reg.key, state.buffer.data());
  uint64_t begun = reg.begun.load();
  if (status != Status::kOk && status != Status::kNotFound) {
    failures_.Add("read failed", "Read of key " + HexKey(reg.key) +
                                     " returned " + StatusName(status) +
                                     " (thread " + std::to_string(state.id) + ")");
    return;
  }
  CheckRegisterRead(reg, codec_, acked, begun,
                    status == Status::kOk ? state.buffer.data() : nullptr,
                    Who(state, "Read"), failures_);
}

void ConcurrencyGate::Increment(ThreadState& state, Counter& counter) {
  ++state.counts.rmws;
  size_t index = static_cast<size_t>(&counter - counters_.data());
  counter.begun.fetch_add(1);
  Status status = store_->ReadModifyWrite(counter.key, counter.increment,
                                          state.buffer.data());
  counter.acked.fetch_add(1);
  if (status != Status::kOk) {
    failures_.Add("read-modify-write failed",
                  "ReadModifyWrite of key " + HexKey(counter.key) +
                      " returned " + StatusName(status) + " (thread " +
                      std::to_string(state.id) + ")");
    return;
  }
  uint64_t steps = CheckCounterValue(counter, state.buffer.data(),
                                     config_.value_size,
                                     Who(state, "ReadModifyWrite"), failures_);
  if (steps == UINT64_MAX) return;
  state.results[index].push_back(steps);
  counter.NoteResult(steps);
}

void ConcurrencyGate::ReadCounter(ThreadState& state, Counter& counter) {
  ++state.counts.reads;
  uint64_t floor = counter.max_result.load();
  uint64_t acked = counter.acked.load();
  Status status = store_->Read(counter.key, state.buffer.data());
  uint64_t begun = counter.begun.load();
  std::string who = Who(state, "Read");
  if (status == Status::kNotFound) {
    if (acked == 0) return;
    failures_.Add("acknowledged write missing",
                  who + " of counter key " + HexKey(counter.key) +
                      " returned kNotFound after " + std::to_string(acked) +
                      " read-modify-writes were acknowledged");
    return;
  }
  if (status != Status::kOk) {
    failures_.Add("read failed", who + " of counter key " +
                                     HexKey(counter.key) + " returned " +
                                     StatusName(status));
    return;
  }
  uint64_t steps = CheckCounterValue(counter, state.buffer.data(),
                                     config_.value_size, who, failures_);
  if (steps == UINT64_MAX) return;
  if (steps < floor) {
    failures_.Add("stale read",
                  who + " of counter key " + HexKey(counter.key) + " returned " +
                      std::to_string(steps) + " increments after a " +
                      "read-modify-write had already returned " +
                      std::to_string(floor));
  } else if (steps > begun) {
    failures_.Add("fabricated value",
                  who + " of counter key " + HexKey(counter.key) + " returned " +
                      std::to_string(steps) + " increments, but only " +
                      std::to_string(begun) + " had been started");
  }
}

bool Collect(void* context, uint64_t key, const char* value) {
  auto* sink = static_cast<std::pair<std::vector<Visited>*, uint32_t>*>(context);
  sink->first->push_back({key, std::string(value, sink->second)});
  return sink->first->size() < (1u << 16);
}

void ConcurrencyGate::ScanOnce(ThreadState& state, bool full) {
  ++state.counts.scans;
  uint32_t universe = static_cast<uint32_t>(universe_.size());
  uint64_t start = 0;
  uint32_t count = universe + 4;
  if (!full && state.rng.Below(2) == 0) {
    start = state.rng.Below(2) == 0 ? state.rng.Next()
                                    : registers_[state.rng.Below(registers_.size())].key;
    count = 1 + static_cast<uint32_t>(state.rng.Below(8));
  }
  std::vector<uint64_t> acked(registers_.size());
  std::vector<uint64_t> counter_acked(counters_.size());
  std::vector<uint64_t> counter_floor(counters_.size());
  for (size_t i = 0; i < registers_.size(); ++i) acked[i] = registers_[i].acked.load();
  for (size_t i = 0; i < counters_.size(); ++i) {
    counter_floor[i] = counters_[i].max_result.load();
    counter_acked[i] = counters_[i].acked.load();
  }
  std::vector<Visited> visited;
  std::pair<std::vector<Visited>*, uint32_t> sink{&visited, config_.value_size};
  Status status = store_->Scan(start, count, &Collect, &sink);
  std::vector<uint64_t> begun(registers_.size());
  for (size_t i = 0; i < registers_.size(); ++i) begun[i] = registers_[i].begun.load();
  std::string who = "Scan(" + HexKey(start) + ", " + std::to_string(count) +
                    ") (thread " + std::to_string(state.id) + ")";
  if (status != Status::kOk) {
    failures_.Add("scan failed", who + " returned " + StatusName(status));
    return;
  }
  if (visited.size() > count) {
    failures_.Add("scan count exceeded", who + " visited " +
                                             std::to_string(visited.size()) +
                                             " keys");
  }
  for (size_t i = 0; i < visited.size(); ++i) {
    uint64_t key = visited[i].key;
    if (key < start || (i > 0 && key <= visited[i - 1].key)) {
      failures_.Add("scan out of order",
                    who + " visited " + HexKey(key) +
                        (i > 0 ? " after " + HexKey(visited[i - 1].key) : "") +
                        "; keys must be >= the start and strictly ascending");
      return;
    }
    auto found = universe_.find(key);
    if (found == universe_.end()) {
      failures_.Add("scan returned unknown key",
                    who + " visited " + HexKey(key) + ", which was never written");
      continue;
    }
    if (found->second >= 0) {
      size_t r = static_cast<size_t>(found->second);
      CheckRegisterRead(registers_[r], codec_, acked[r], begun[r],
                        visited[i].value.data(), who, failures_);
    } else {
      size_t c = static_cast<size_t>(-1 - found->second);
      uint64_t steps = CheckCounterValue(counters_[c], visited[i].value.data(),
                                         config_.value_size, who, failures_);
      if (steps != UINT64_MAX && steps < counter_floor[c]) {
        failures_.Add("stale read", who + " gave counter key " + HexKey(key) +
                                        " " + std::to_string(steps) +
                                        " increments after a call had returned " +
                                        std::to_string(counter_floor[c]));
      }
    }
  }
  // Keys present for the whole scan must all be there, up to where it ended.
  bool reached_count = visited.size() >= count;
  uint64_t last = visited.empty() ? 0 : visited.back().key;
  auto must_see = [&](uint64_t key) {
    if (key < start || (reached_count && key > last)) return;
    for (const Visited& v : visited) {
      if (v.key == key) return;
    }
    failures_.Add("scan skipped key",
                  who + " did not visit key " + HexKey(key) +
                      ", present for the whole scan (" +
                      std::to_string(visited.size()) + " keys visited)");
  };
  for (size_t i = 0; i < registers_.size(); ++i) {
    const Register& reg = registers_[i];
    bool stable = reg.deletable ? reg.PresentAfter(acked[i]) && begun[i] == acked[i]
                                : acked[i] > 0;
    if (stable) must_see(reg.key);
  }
  for (size_t i = 0; i < counters_.size(); ++i) {
    if (counter_acked[i] > 0) must_see(counters_[i].key);
  }
}

void ConcurrencyGate::Worker(ThreadState& state) {
  store_->ThreadInit(state.id);
  uint64_t per_epoch = std::max<uint64_t>(1, config_.gate_ops / kEpochs);
  const RequiredOps& ops = config_.operations;
  for (int epoch = 0; epoch < kEpochs; ++epoch) {
    barrier_.Wait();
    std::vector<Register*> owned;
    for (size_t i = 0; i < registers_.size(); ++i) {
      if ((i + static_cast<size_t>(epoch)) % threads_ == state.id) {
        owned.push_back(&registers_[i]);
      }
    }
    for (uint64_t n = 0; n < per_epoch; ++n) {
      uint64_t dice = state.rng.Below(100);
      if (dice < 30 && !owned.empty()) {
        Write(state, *owned[state.rng.Below(owned.size())]);
      } else if (dice < 55 && ops.rmw) {
        Increment(state, counters_[state.rng.Below(counters_.size())]);
      } else if (dice < 60 && ops.scan) {
        ScanOnce(state, false);
      } else if (dice < 68 && ops.rmw) {
        ReadCounter(state, counters_[state.rng.Below(counters_.size())]);
      } else {
        ReadRegister(state, registers_[state.rng.Below(registers_.size())]);
      }
    }
  }
  store_->ThreadExit(state.id);
}

void ConcurrencyGate::CheckFinal(std::vector<ThreadState>& states) {
  std::vector<char> buffer(config_.value_size);
  for (Register& reg : registers_) {
    uint64_t op = reg.acked.load();
    Status status = store_->Read(reg.key, buffer.data());
    CheckRegisterRead(reg, codec_, op, op,
                      status == Status::kOk ? buffer.data() : nullptr,
                      "Read after all threads finished", failures_);
  }
  for (size_t c = 0; c < counters_.size(); ++c) {
    Counter& counter = counters_[c];
    uint64_t calls = counter.acked.load();
    std::string key = HexKey(counter.key);
    Status status = store_->Read(counter.key, buffer.data());
    if (status != Status::kOk) {
      if (calls > 0) {
        failures_.Add("lost increments",
                      "counter key " + key + " returned " + StatusName(status) +
                          " after " + std::to_string(calls) +
                          " acknowledged read-modify-writes");
      }
    } else {
      uint64_t steps = CheckCounterValue(counter, buffer.data(),
                                         config_.value_size,
                                         "Read after all threads finished",
                                         failures_);
      if (steps != UINT64_MAX && steps != calls) {
        failures_.Add("lost increments",
                      "key " + key + " total " + std::to_string(steps * counter.increment) +
                          ", expected " + std::to_string(calls * counter.increment) +
                          " (" + std::to_string(calls) + " calls of +" +
                          std::to_string(counter.increment) +
                          " from " + std::to_string(threads_) +
                          " threads; non-atomic read-modify-write?)");
      }
    }
    // Every call must have seen a different total.
    std::vector<std::pair<uint64_t, uint32_t>> all;
    for (const ThreadState& state : states) {
      for (uint64_t steps : state.results[c]) all.emplace_back(steps, state.id);
    }
    std::sort(all.begin(), all.end());
    for (size_t i = 1; i < all.size(); ++i) {
      if (all[i].first == all[i - 1].first) {
        failures_.Add("duplicate read-modify-write result",
                      "key " + key + ": two calls (threads " +
                          std::to_string(all[i - 1].second) + " and " +
                          std::to_string(all[i].second) + ") both returned " +
                          std::to_string(all[i].first * counter.increment) +
                          "; increments were not atomic");
        break;
      }
    }
    for (const ThreadState& state : states) {
      const std::vector<uint64_t>& mine = state.results[c];
      for (size_t i = 1; i < mine.size(); ++i) {
        if (mine[i] <= mine[i - 1]) {
          failures_.Add("read-modify-write went backwards",
                        "key " + key + ": thread " + std::to_string(state.id) +
                            " got " + std::to_string(mine[i] * counter.increment) +
                            " after its earlier call got " +
                            std::to_string(mine[i - 1] * counter.increment));
          break;
        }
      }
    }
  }
}

int ConcurrencyGate::Run() {
  std::string error;
  std::unique_ptr<KVStore> store = OpenStore(config_, &error);
  if (!store) {
    EmitGate("concurrency", false, error);
    return 0;
  }
  store_ = store.get();
  std::vector<ThreadState> states(threads_);
  for (uint32_t t = 0; t < threads_; ++t) {
    states[t].id = t;
    states[t].rng = SplitMix64(codec_.secret().words[2] + t);
    states[t].buffer.assign(config_.value_size, 0);
    states[t].results.resize(counters_.size());
  }
  std::vector<std::thread> pool;
  for (uint32_t t = 0; t < threads_; ++t) {
    pool.emplace_back([this, &states, t] { Worker(states[t]); });
  }
  for (std::thread& thread : pool) thread.join();
  store_->ThreadInit(0);
  CheckFinal(states);
  if (config_.operations.scan) {
    ThreadState final_scan;
    final_scan.rng = SplitMix64(0);
    ScanOnce(final_scan, true);
  }
  store_->ThreadExit(0);
  Status closed = store->Close();
  if (closed != Status::kOk) {
    failures_.Add("close failed", std::string("Close returned ") + StatusName(closed));
  }
  store.reset();

  OpCounts total;
  for (const ThreadState& state : states) {
    total.reads += state.counts.reads;
    total.writes += state.counts.writes;
    total.deletes += state.counts.deletes;
    total.rmws += state.counts.rmws;
    total.scans += state.counts.scans;
  }
  std::string detail =
      std::to_string(threads_) + " threads on " + std::to_string(registers_.size()) +
      " hot keys and " + std::to_string(counters_.size()) + " counters: " +
      std::to_string(total.reads) + " reads, " + std::to_string(total.writes) +
      " upserts, " + std::to_string(total.deletes) + " deletes, " +
      std::to_string(total.rmws) + " read-modify-writes, " +
      std::to_string(total.scans) +
      " scans; no stale, torn, foreign or fabricated value, no deleted key "
      "back, increments add up";
  ReportGate("concurrency", failures_, detail);
  return 0;
}

}  // namespace

int RunGateConcurrency(const Config& config) {
  ConcurrencyGate gate(config);
  return gate.Run();
}

}  // namespace jitskit::harness
