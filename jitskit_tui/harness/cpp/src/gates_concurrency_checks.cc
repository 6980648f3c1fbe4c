// gate-concurrency's scans and its final checks: scan order and
// completeness while writers run, then exact totals once they have stopped.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "concurrency_gate.h"
#include "store_session.h"

namespace jitskit::harness {
namespace {

struct Visited {
  uint64_t key;
  std::string value;
};

bool Collect(void* context, uint64_t key, const char* value) {
  auto* sink = static_cast<std::pair<std::vector<Visited>*, uint32_t>*>(context);
  sink->first->push_back({key, std::string(value, sink->second)});
  return sink->first->size() < (1u << 16);
}

}  // namespace

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

void ConcurrencyGate::CheckFinal(std::vector<ThreadState>& states) {
  std::vector<char> buffer(config_.value_size);
  for (Register& reg : registers_) {
    uint64_t op = reg.acked.load();
    Poison(buffer);
    Status status = store_->Read(reg.key, buffer.data());
    CheckRegisterRead(reg, codec_, op, op,
                      status == Status::kOk ? buffer.data() : nullptr,
                      "Read after all threads finished", failures_);
  }
  for (size_t c = 0; c < counters_.size(); ++c) {
    Counter& counter = counters_[c];
    uint64_t calls = counter.acked.load();
    std::string key = HexKey(counter.key);
    Poison(buffer);
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

}  // namespace jitskit::harness
