#include "concurrency_storm.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "rng.h"
#include "store_session.h"

namespace jitskit::harness {
namespace {

// Each stage's wall-time bound; a correct store usually stops far earlier,
// once enough calls have interleaved between threads.
constexpr uint64_t kStageBudgetNs = 350'000'000;
// Calls a thread makes between polling the stop flag and the clock.
constexpr uint64_t kPollEvery = 64;

}  // namespace

RmwStorm::RmwStorm(const Config& config, KVStore* store, const Secret& secret,
                   FailureLog& failures)
    : config_(config),
      store_(store),
      failures_(failures),
      threads_(config.threads),
      next_key_(Mix64(secret.words[1] ^ 0x3c6ef372fe94f82bULL)),
      zeros_(config.value_size, 0),
      clock_(kStageBudgetNs) {}

void RmwStorm::Fail(const std::string& kind, const std::string& detail) {
  failures_.Add(kind, detail);
  failed_.store(true);
  stop_.Set();
}

bool RmwStorm::CheckResult(uint32_t id, const Counter& counter,
                           const char* value, const char* name) {
  if (std::memcmp(value + 8, zeros_.data(), config_.value_size - 8) == 0) {
    return true;
  }
  std::string who = "ReadModifyWrite (thread " + std::to_string(id) + ", " +
                    name + ")";
  CheckCounterValue(counter, value, config_.value_size, who, failures_);
  // This call added to the counter but its result cannot be recorded.
  unrecorded_calls_.store(true);
  failed_.store(true);
  stop_.Set();
  return false;
}

void RmwStorm::Thread(uint32_t id, size_t counters, const char* name,
                      ThreadResults& results) {
  std::vector<char> buffer(config_.value_size);
  SplitMix64 rng(next_key_ + id);
  results.streaks.assign(counters, {});
  uint64_t ops = std::max<uint64_t>(config_.gate_ops, 1000);
  // Long enough for threads that start apart to meet; the time bound
  // usually ends the stage first.
  uint64_t cap = std::max<uint64_t>(16 * ops, 1u << 20);
  uint64_t min_calls = ops / 2;
  uint64_t target = ops / 2;
  uint64_t published = 0;
  for (uint64_t n = 0; n < cap; ++n) {
    if (n % kPollEvery == 0) {
      if (stop_.Stopped()) break;
      interleaved_.fetch_add(results.interleaved - published,
                             std::memory_order_relaxed);
      published = results.interleaved;
      if (clock_.Expired() ||
          (n >= min_calls &&
           interleaved_.load(std::memory_order_relaxed) >= target)) {
        stop_.Set();
        break;
      }
    }
    size_t c = counters == 1 ? 0 : static_cast<size_t>(rng.Below(counters));
    const Counter& counter = counters_[c];
    Poison(buffer);
    Status status = store_->ReadModifyWrite(counter.key, 1, buffer.data());
    if (status != Status::kOk) {
      Fail("read-modify-write failed",
           "ReadModifyWrite (thread " + std::to_string(id) + ", " + name +
               ") of key " + HexKey(counter.key) + " returned " +
               StatusName(status) + "; expected kOk");
      break;
    }
    if (!CheckResult(id, counter, buffer.data(), name)) break;
    uint64_t total = LoadU64(buffer.data());
    std::vector<Streak>& mine = results.streaks[c];
    uint64_t last =
        mine.empty() ? 0 : mine.back().first + mine.back().count - 1;
    ++results.calls;
    if (!mine.empty() && total == last + 1) {
      ++mine.back().count;
      continue;
    }
    if (!mine.empty()) ++results.interleaved;
    mine.push_back({total, 1, id});
    if (total <= last) {
      Fail("read-modify-write went backwards",
           "key " + HexKey(counter.key) + " (" + name + "): thread " +
               std::to_string(id) + " got total " + std::to_string(total) +
               (mine.size() == 1 ? " from its first +1"
                                 : " after its earlier call got " +
                                       std::to_string(last)) +
               "; each call must see every earlier increment");
      break;
    }
  }
  interleaved_.fetch_add(results.interleaved - published);
}

void RmwStorm::CheckTotals(size_t counters,
                           const std::vector<ThreadResults>& results,
                           const char* name) {
  std::vector<char> buffer(config_.value_size);
  for (size_t c = 0; c < counters; ++c) {
    const Counter& counter = counters_[c];
    std::string key = HexKey(counter.key);
    std::vector<Streak> all;
    for (const ThreadResults& mine : results) {
      all.insert(all.end(), mine.streaks[c].begin(), mine.streaks[c].end());
    }
    std::sort(all.begin(), all.end(), [](const Streak& a, const Streak& b) {
      return a.first < b.first;
    });
    // Walk the totals in order: a streak that starts below where the ones
    // before it reached repeats totals another call returned.
    uint64_t calls = 0;
    uint64_t duplicates = 0;
    uint64_t reached = 1;  // one past the highest total so far
    const Streak* furthest = nullptr;
    std::string first_duplicate;
    for (const Streak& streak : all) {
      calls += streak.count;
      uint64_t end = streak.first + streak.count;
      if (streak.first < reached) {
        if (duplicates == 0) {
          uint32_t other = furthest != nullptr ? furthest->thread : streak.thread;
          first_duplicate = std::to_string(streak.first) + " (threads " +
                            std::to_string(other) + " and " +
                            std::to_string(streak.thread) + ")";
        }
        duplicates += std::min(reached, end) - streak.first;
      }
      if (end > reached) {
        reached = end;
        furthest = &streak;
      }
    }
    Poison(buffer);
    Status status = store_->Read(counter.key, buffer.data());
    std::string who = std::string("Read after the ") + name;
    uint64_t steps = 0;
    if (status == Status::kOk) {
      steps = CheckCounterValue(counter, buffer.data(), config_.value_size,
                                who, failures_);
      if (steps == UINT64_MAX) {
        failed_.store(true);
        continue;
      }
    } else if (calls > 0) {
      Fail("lost increments", who + " of counter key " + key + " returned " +
                                  StatusName(status) + " after " +
                                  std::to_string(calls) +
                                  " acknowledged read-modify-writes");
      continue;
    }
    std::string calls_text =
        std::to_string(calls) + " calls of +1 from " +
        std::to_string(threads_) + " threads at once, " + name;
    // After a call whose result could not be recorded, the total is one
    // the recorded calls cannot account for.
    bool comparable = !unrecorded_calls_.load();
    if (comparable && steps < calls) {
      Fail("lost increments",
           "key " + key + " total " + std::to_string(steps) + ", expected " +
               std::to_string(calls) + " (" + calls_text + "; " +
               std::to_string(duplicates) +
               " calls returned a total another call also returned). A "
               "read-modify-write must read, add and write back as one "
               "atomic step (under the key's exclusive lock or with a "
               "compare-and-swap loop)");
    } else if (comparable && steps > calls) {
      Fail("extra increments",
           "key " + key + " total " + std::to_string(steps) + ", expected " +
               std::to_string(calls) + " (" + calls_text +
               "); an increment was applied more than once");
    }
    if (duplicates > 0) {
      Fail("duplicate read-modify-write result",
           "key " + key + " (" + name + "): " + std::to_string(duplicates) +
               " calls returned a total another call had returned, first " +
               first_duplicate + "; increments were not atomic");
    }
  }
}

RmwStorm::StageTally RmwStorm::RunStage(size_t counters, const char* name) {
  counters_ = std::vector<Counter>(counters);
  for (Counter& counter : counters_) {
    counter.key = Mix64(next_key_++);
    counter.increment = 1;
  }
  interleaved_.store(0);
  std::vector<ThreadResults> results(threads_);
  clock_.Restart();
  RunPhaseThreads(store_, threads_, config_.cpus, [&](uint32_t id) {
    Thread(id, counters, name, results[id]);
  });
  store_->ThreadInit(0);
  CheckTotals(counters, results, name);
  store_->ThreadExit(0);
  StageTally tally;
  for (const ThreadResults& mine : results) {
    tally.calls += mine.calls;
    tally.interleaved += mine.interleaved;
  }
  return tally;
}

std::string RmwStorm::Run() {
  StageTally one = RunStage(1, "single-counter storm");
  if (failed_.load()) return "";
  stop_.Clear();
  StageTally two = RunStage(2, "two-counter storm");
  return "read-modify-write storm: " + std::to_string(one.calls) +
         " increments of one counter (" + Percent(one.interleaved, one.calls) +
         " interleaved between threads) and " + std::to_string(two.calls) +
         " of two (" + Percent(two.interleaved, two.calls) +
         "), totals exact and results unique";
}

}  // namespace jitskit::harness
