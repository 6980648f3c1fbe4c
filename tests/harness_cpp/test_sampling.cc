// The driver's latency sampling: a random one operation in N is timed, each
// value weighted by its N, so percentiles stay those of every operation even
// though N follows the store's speed.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "clock.h"
#include "integrity.h"
#include "jitskit/kvstore.h"
#include "trace.h"
#include "unit.h"
#include "worker.h"

namespace {

using namespace jitskit::harness;
using jitskit::Status;

// Reads of odd keys spin for 5 us, reads of even keys return at once.
class TwoSpeedStore : public jitskit::KVStore {
 public:
  Status Open(const jitskit::StoreConfig&) override { return Status::kOk; }
  Status Close() override { return Status::kOk; }
  Status Read(uint64_t key, char*) override {
    if (key & 1) {
      auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(5);
      while (std::chrono::steady_clock::now() < until) {
      }
    }
    return Status::kNotFound;
  }
  Status Upsert(uint64_t, const char*) override { return Status::kOk; }
  Status Delete(uint64_t) override { return Status::kOk; }
  Status ReadModifyWrite(uint64_t, uint64_t, char*) override {
    return Status::kOk;
  }
};

struct Measured {
  uint64_t count = 0;
  uint64_t timed = 0;
  double p50_ns = 0;
  double p90_ns = 0;
};

// Runs reads of never-loaded keys: the first `slow` operations slow, the
// other `fast` fast, all in the steady window.
Measured RunReads(uint32_t slow, uint32_t fast, uint32_t sample_every) {
  std::vector<Op> trace;
  for (uint32_t i = 0; i < slow + fast; ++i) {
    uint64_t key = (uint64_t{i} << 1) | (i < slow ? 1 : 0);
    trace.push_back(Op{key, 0, OpType::kRead, false, false});
  }
  TickClock clock = ChooseTickClock(5);
  Secret secret = DrawSecret();
  BenchCodec codec(secret, 64);
  TwoSpeedStore store;
  RunShared shared;
  shared.store = &store;
  shared.codec = &codec;
  shared.record_count = 1;
  shared.sample_every = sample_every;
  shared.sample_budget_ticks = SampleBudgetTicks(clock);
  shared.timing_overhead_ticks = TimingOverheadTicks(clock);
  shared.steady.Set();
  Worker worker(0, &trace, trace.size(), codec, 64, secret.words[0]);
  worker.Run(shared, clock);
  Histogram reads = worker.latency(true)[0];
  Measured measured;
  measured.count = worker.ops_done();
  measured.timed = worker.timed(true)[0];
  measured.p50_ns = clock.ToNs(static_cast<double>(reads.Percentile(0.5)));
  measured.p90_ns = clock.ToNs(static_cast<double>(reads.Percentile(0.9)));
  return measured;
}

// 20% slow operations in one stretch, then 80% fast ones: the adaptive rule
// times every slow one and about one fast one in dozens. Unweighted, the
// slow values would be most of the sample and the median slow.
void AdaptiveSamplingKeepsPercentilesUnbiased() {
  Measured m = RunReads(4000, 16000, 0);
  unit::Expect(m.count == 20000, "every operation ran");
  unit::Expect(m.timed < m.count / 2,
               "most fast operations run untimed: " + std::to_string(m.timed) +
                   " of " + std::to_string(m.count) + " timed");
  unit::Expect(m.p50_ns < 2500,
               "the median is a fast operation's: " + std::to_string(m.p50_ns) +
                   " ns");
  unit::Expect(m.p90_ns >= 4500,
               "the 90th percentile is a slow operation's: " +
                   std::to_string(m.p90_ns) + " ns");
}

void FixedRateOneTimesEveryOperation() {
  Measured m = RunReads(10, 990, 1);
  unit::Expect(m.timed == m.count && m.count == 1000,
               "latency_sample 1 times all " + std::to_string(m.count) +
                   " operations, timed " + std::to_string(m.timed));
}

void FixedRateTimesAboutOneInN() {
  Measured m = RunReads(0, 64000, 32);
  unit::Expect(m.timed > 1500 && m.timed < 2500,
               "latency_sample 32 times about 2000 of 64000: " +
                   std::to_string(m.timed));
}

const unit::TestCase kTests[] = {
    {"sampling: adaptive rate keeps percentiles unbiased",
     AdaptiveSamplingKeepsPercentilesUnbiased},
    {"sampling: rate 1 times every operation", FixedRateOneTimesEveryOperation},
    {"sampling: fixed rate times about one in N", FixedRateTimesAboutOneInN},
};

}  // namespace
