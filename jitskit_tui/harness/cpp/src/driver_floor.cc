#include "driver_floor.h"

#include <chrono>
#include <cmath>
#include <memory>
#include <thread>
#include <vector>

#include "worker.h"

namespace jitskit::harness {
namespace {

// Does nothing and says kOk: what is left of an operation's cost is the
// driver's (trace, value stamp, virtual call, sampling, counters).
class NoopStore : public KVStore {
 public:
  Status Open(const StoreConfig&) override { return Status::kOk; }
  Status Close() override { return Status::kOk; }
  Status Read(uint64_t, char*) override { return Status::kOk; }
  Status Upsert(uint64_t, const char*) override { return Status::kOk; }
  Status Delete(uint64_t) override { return Status::kOk; }
  Status ReadModifyWrite(uint64_t, uint64_t, char*) override {
    return Status::kOk;
  }
  Status Scan(uint64_t, uint32_t, ScanVisitor, void*) override {
    return Status::kOk;
  }
};

}  // namespace

double MeasureDriverFloor(const Config& config, const Trace& trace,
                          const BenchCodec& codec, const TickClock& clock,
                          uint64_t sample_seed) {
  if (config.driver_floor_ms == 0) return std::nan("");
  NoopStore store;
  RunShared shared;
  shared.store = &store;
  shared.codec = &codec;
  shared.record_count = config.record_count;
  shared.threads = config.threads;
  shared.deletes_possible = config.Mix(OpType::kDelete) > 0;
  shared.rmw_possible = config.Mix(OpType::kRmw) > 0;
  shared.calibrating = true;
  shared.sample_every = config.latency_sample;
  shared.sample_budget_ticks = SampleBudgetTicks(clock);
  shared.timing_overhead_ticks = TimingOverheadTicks(clock);
  shared.batch_budget_ticks = BatchBudgetTicks(clock);
  uint32_t threads = config.threads;
  std::vector<std::unique_ptr<Worker>> workers;
  for (uint32_t t = 0; t < threads; ++t) {
    workers.push_back(std::make_unique<Worker>(
        t, &trace.per_thread[t], UINT64_MAX, codec, config.value_size,
        sample_seed));
  }
  std::vector<uint64_t> cpu_ns(threads, 0);
  std::vector<std::thread> pool;
  for (uint32_t t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      PinThread(config.cpus, t);
      uint64_t start = ThreadCpuNs();
      workers[t]->Run(shared, clock);
      cpu_ns[t] = ThreadCpuNs() - start;
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(config.driver_floor_ms));
  shared.stop.Set();
  for (std::thread& thread : pool) thread.join();
  uint64_t ops = 0;
  uint64_t ns = 0;
  for (uint32_t t = 0; t < threads; ++t) {
    ops += workers[t]->ops_done();
    ns += cpu_ns[t];
  }
  return ops == 0 ? std::nan("") : static_cast<double>(ns) / static_cast<double>(ops);
}

}  // namespace jitskit::harness
