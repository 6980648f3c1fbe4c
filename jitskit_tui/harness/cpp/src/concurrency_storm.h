// gate-concurrency's read-modify-write storm: every thread increments one
// counter by 1 as fast as it can, then two counters at random. Each call's
// result must be unique and, per thread, rising; the final total exact.
#ifndef JITSKIT_HARNESS_CONCURRENCY_STORM_H_
#define JITSKIT_HARNESS_CONCURRENCY_STORM_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "concurrency_model.h"
#include "concurrency_phase.h"
#include "config.h"
#include "gate_report.h"
#include "integrity.h"
#include "jitskit/kvstore.h"

namespace jitskit::harness {

class RmwStorm {
 public:
  RmwStorm(const Config& config, KVStore* store, const Secret& secret,
           FailureLog& failures);
  // Runs both stages (at least 2 threads; the spec requires rmw); returns a
  // clause for the gate's pass detail.
  std::string Run();

 private:
  // Totals one thread got in a row from one counter: first, first + 1, ...
  struct Streak {
    uint64_t first;
    uint64_t count;
    uint32_t thread;
  };
  struct ThreadResults {
    // Per counter, the totals the thread's calls returned, as streaks in call
    // order: a thread nobody interrupts gets consecutive totals, so memory
    // grows with interleaving (which ends the stage), not with calls.
    std::vector<std::vector<Streak>> streaks;
    uint64_t calls = 0;
    // Calls whose result was not the thread's previous one plus 1: another
    // thread's increment landed in between.
    uint64_t interleaved = 0;
  };
  struct StageTally {
    uint64_t calls = 0;
    uint64_t interleaved = 0;
  };

  StageTally RunStage(size_t counters, const char* name);
  void Thread(uint32_t id, size_t counters, const char* name,
              ThreadResults& results);
  // Whether one call's result is a whole counter value; records why not.
  bool CheckResult(uint32_t id, const Counter& counter, const char* value,
                   const char* name);
  void CheckTotals(size_t counters, const std::vector<ThreadResults>& results,
                   const char* name);
  void Fail(const std::string& kind, const std::string& detail);

  const Config& config_;
  KVStore* store_;
  FailureLog& failures_;
  uint32_t threads_;
  uint64_t next_key_;
  std::vector<Counter> counters_;
  std::vector<char> zeros_;
  PhaseClock clock_;
  StopFlag stop_;
  // Set by this phase's own failures (the log also holds the gate's others).
  std::atomic<bool> failed_{false};
  // Set when a call returned a value that is not a counter: the totals
  // cannot be compared with the recorded calls any more.
  std::atomic<bool> unrecorded_calls_{false};
  alignas(64) std::atomic<uint64_t> interleaved_{0};
};

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_CONCURRENCY_STORM_H_
