// The bench's verify phase: after the timed run, reads every tracked key once
// and checks it holds a write no later acknowledged write superseded.
#ifndef JITSKIT_HARNESS_BENCH_VERIFY_H_
#define JITSKIT_HARNESS_BENCH_VERIFY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "clock.h"
#include "progress.h"
#include "rng.h"
#include "worker.h"

namespace jitskit::harness {

struct VerifyOutcome {
  uint64_t keys = 0;
  uint64_t failures = 0;
  std::string first_failure;
};

VerifyOutcome VerifyTrackedWrites(
    const RunShared& shared, const KeyMap& keys,
    const std::vector<std::unique_ptr<Worker>>& workers,
    uint64_t run_start_ticks, const TickClock& clock,
    ProgressTicker* progress);

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_BENCH_VERIFY_H_
