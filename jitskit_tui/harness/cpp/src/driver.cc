#include "driver.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>

#include "bench_verify.h"
#include "clock.h"
#include "driver_floor.h"
#include "jsonout.h"
#include "machine.h"
#include "memory.h"
#include "progress.h"
#include "run_monitor.h"
#include "store_session.h"
#include "trace.h"
#include "worker.h"

namespace jitskit::harness {
namespace {

enum class Phase { kWait, kLoad, kRun, kAbort };

// Moves every worker through the phases together.
class PhaseGate {
 public:
  void Set(Phase phase) {
    std::lock_guard<std::mutex> lock(mutex_);
    phase_ = phase;
    changed_.notify_all();
  }
  // Waits until the phase is `phase` or kAbort; returns the phase.
  Phase WaitFor(Phase phase) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock,
                  [&] { return phase_ == phase || phase_ == Phase::kAbort; });
    return phase_;
  }
  void Arrive() {
    std::lock_guard<std::mutex> lock(mutex_);
    ++arrived_;
    changed_.notify_all();
  }
  void WaitArrived(uint32_t count) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return arrived_ >= count; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  Phase phase_ = Phase::kWait;
  uint32_t arrived_ = 0;
};

uint64_t NowNs() { return KernelMonotonicNs(); }

// The window the result's rates, percentiles and CPU time describe: the
// steady window after the warm-up cut, or the whole run when the run ended
// before the cut.
struct Window {
  bool steady = false;
  double elapsed_s = 0;
  uint64_t ops = 0;
  uint64_t per_op[kOpTypeCount] = {};
  uint64_t cpu_ns = 0;
  uint64_t timed = 0;  // of `ops`, how many were timed
};

Window ResultWindow(const WarmupCut& cut, uint64_t run_start, uint64_t run_end,
                    uint64_t cpu_start, uint64_t cpu_end,
                    const std::vector<std::unique_ptr<Worker>>& workers) {
  Window window;
  window.steady = cut.made;
  uint64_t from = cut.made ? cut.ns : run_start;
  window.elapsed_s = static_cast<double>(run_end > from ? run_end - from : 0) / 1e9;
  window.cpu_ns = cpu_end - (cut.made ? cut.cpu_ns : cpu_start);
  for (const auto& worker : workers) {
    for (int i = 0; i < kOpTypeCount; ++i) {
      window.per_op[i] +=
          worker->progress().per_op[i].load(std::memory_order_relaxed);
      window.timed += worker->timed(cut.made)[i];
    }
  }
  for (int i = 0; i < kOpTypeCount; ++i) {
    if (cut.made) window.per_op[i] -= cut.per_op[i];
    window.ops += window.per_op[i];
  }
  return window;
}

JsonObject OpsJson(const Config& config,
                   const std::vector<std::unique_ptr<Worker>>& workers,
                   const TickClock& clock, const Window& window) {
  JsonObject ops;
  double elapsed_s = window.elapsed_s > 0 ? window.elapsed_s : 1e-9;
  for (int i = 0; i < kOpTypeCount; ++i) {
    if (config.mix[i] <= 0) continue;
    // Counts are every operation's; percentiles come from the timed sample.
    Histogram merged;
    uint64_t timed = 0;
    for (const auto& worker : workers) {
      merged.Merge(worker->latency(window.steady)[i]);
      timed += worker->timed(window.steady)[i];
    }
    auto us = [&](uint64_t ticks) {
      return clock.ToNs(static_cast<double>(ticks)) / 1000.0;
    };
    JsonObject op;
    op.AddUint("count", window.per_op[i])
        .AddDouble("ops_s", static_cast<double>(window.per_op[i]) / elapsed_s, 1)
        .AddDouble("p50_us", us(merged.Percentile(0.50)))
        .AddDouble("p90_us", us(merged.Percentile(0.90)))
        .AddDouble("p99_us", us(merged.Percentile(0.99)))
        .AddDouble("p999_us", us(merged.Percentile(0.999)))
        .AddDouble("max_us", us(merged.max()))
        .AddUint("timed", timed);
    ops.AddObject(OpTypeName(static_cast<OpType>(i)), op);
  }
  return ops;
}

JsonObject BreakdownJson(const MemoryBreakdown& use) {
  JsonObject json;
  json.AddUint("resident_bytes", use.rss_peak)
      .AddUint("shared_file_bytes", use.shared_files)
      .AddUint("child_process_bytes", use.child_processes)
      .AddBool("high_water_reset", use.high_water_reset);
  return json;
}

// "" when steady_clock and the kernel's clock agree over the run, else a
// sentence saying by how much they differ.
std::string CheckClock(uint64_t kernel_start, uint64_t steady_start) {
  double kernel_s = static_cast<double>(NowNs() - kernel_start) / 1e9;
  double steady_s = static_cast<double>(SteadyTicks::Now() - steady_start) / 1e9;
  double difference = kernel_s > steady_s ? kernel_s - steady_s : steady_s - kernel_s;
  if (difference <= 0.002 + 0.02 * kernel_s) return "";
  char text[256];
  std::snprintf(text, sizeof(text),
                "clock tampering: the run took %.3f s by the kernel's clock but "
                "%.3f s by std::chrono::steady_clock (a shadowed or patched "
                "clock_gettime?); throughput is computed from the kernel's clock",
                kernel_s, steady_s);
  return text;
}

void EmitError(const std::string& detail) {
  JsonObject event;
  event.AddString("event", "error").AddString("detail", detail);
  EmitLine(event);
}

}  // namespace

int RunBench(const Config& config) {
  EmitPhase("generate");
  uint64_t generate_start = NowNs();
  Trace trace = GenerateTrace(config);
  double generate_s = static_cast<double>(NowNs() - generate_start) / 1e9;
  TickClock clock = ChooseTickClock(20);
  Secret secret = DrawSecret();
  BenchCodec codec(secret, config.value_size);
  KeyMap keys(config.seed);
  WriteTracker tracker(secret.words[2], trace.total_records);
  std::vector<uint64_t> tracked_ops = tracker.Mark(trace, keys);
  // Before the store exists and before the harness's own memory baseline.
  double floor_ns = MeasureDriverFloor(config, trace, codec, clock,
                                       secret.words[1]);

  uint32_t threads = config.threads;
  std::vector<std::unique_ptr<Worker>> workers;
  for (uint32_t t = 0; t < threads; ++t) {
    uint64_t target = UINT64_MAX;
    if (config.operation_count > 0) {
      target = config.operation_count / threads +
               (t < config.operation_count % threads ? 1 : 0);
    }
    workers.push_back(std::make_unique<Worker>(
        t, &trace.per_thread[t], target, codec, config.value_size,
        secret.words[1]));
    // Each pass over the trace repeats its tracked writes; timed runs get
    // room for eight passes.
    uint64_t slice = trace.per_thread[t].size();
    uint64_t passes = target == UINT64_MAX || slice == 0 ? 8 : target / slice + 1;
    workers.back()->ReserveTrackedWrites(static_cast<size_t>(
        std::min<uint64_t>(tracked_ops[t] * passes, 1u << 20)));
  }

  RunShared shared;
  shared.codec = &codec;
  shared.record_count = config.record_count;
  shared.threads = threads;
  shared.deletes_possible = config.Mix(OpType::kDelete) > 0;
  shared.rmw_possible = config.Mix(OpType::kRmw) > 0;
  shared.tracker = &tracker;
  shared.sample_every = config.latency_sample;
  shared.sample_budget_ticks = SampleBudgetTicks(clock);
  shared.timing_overhead_ticks = TimingOverheadTicks(clock);
  shared.batch_budget_ticks = BatchBudgetTicks(clock);

  PeakMemory memory;
  RunMonitor monitor(config, workers, shared, memory);
  ProgressTicker progress(config.tick_ms, threads);
  PhaseGate gate;
  std::vector<std::thread> pool;
  for (uint32_t t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      PinThread(config.cpus, t);
      if (gate.WaitFor(Phase::kLoad) == Phase::kAbort) return;
      shared.store->ThreadInit(t);
      workers[t]->Load(shared, keys, &progress);
      gate.Arrive();
      if (gate.WaitFor(Phase::kRun) == Phase::kAbort) return;
      workers[t]->Run(shared, clock);
      shared.store->ThreadExit(t);
    });
  }
  monitor.Start();
  progress.Start();

  // Everything the harness needs is allocated; what grows from here is the
  // store's.
  memory.Start();
  progress.BeginPhase("open", 1);
  std::string open_error;
  std::unique_ptr<KVStore> store = OpenStore(config, &open_error);
  if (!store) {
    gate.Set(Phase::kAbort);
    for (auto& thread : pool) thread.join();
    progress.Stop();
    monitor.Stop();
    EmitError(open_error);
    return 1;
  }
  shared.store = store.get();

  EmitPhase("load");
  progress.BeginPhase("load", config.record_count);
  uint64_t load_start = NowNs();
  gate.Set(Phase::kLoad);
  gate.WaitArrived(threads);
  double load_s = static_cast<double>(NowNs() - load_start) / 1e9;
  // The run phase's progress is its ticks.
  progress.EndPhase();

  EmitPhase("run");
  uint64_t run_start = NowNs();
  uint64_t cpu_start = ProcessCpuNs();
  uint64_t steady_start = SteadyTicks::Now();
#if defined(__x86_64__)
  uint64_t start_ticks = clock.tsc ? TscTicks::Fenced() : SteadyTicks::Fenced();
#else
  uint64_t start_ticks = SteadyTicks::Fenced();
#endif
  monitor.BeginRun(run_start);
  gate.Set(Phase::kRun);
  for (auto& thread : pool) thread.join();
  uint64_t cpu_end = ProcessCpuNs();
  std::string clock_tampering = CheckClock(run_start, steady_start);
  monitor.Stop();

  EmitPhase("verify");
  progress.BeginPhase("verify", tracker.slots());
  store->ThreadInit(0);
  VerifyOutcome verified =
      VerifyTrackedWrites(shared, keys, workers, start_ticks, clock, &progress);
  store->ThreadExit(0);

  uint64_t run_end = run_start;
  uint64_t errors = 0;
  uint64_t integrity_failures = 0;
  std::string first_error;
  std::string first_integrity;
  for (const auto& worker : workers) {
    if (worker->end_ns() > run_end) run_end = worker->end_ns();
    errors += worker->errors();
    integrity_failures += worker->integrity_failures();
    if (first_error.empty()) first_error = worker->first_error();
    if (first_integrity.empty()) first_integrity = worker->first_integrity_failure();
  }
  integrity_failures += verified.failures;
  if (first_integrity.empty()) first_integrity = verified.first_failure;
  if (!clock_tampering.empty()) {
    ++integrity_failures;
    if (first_integrity.empty()) first_integrity = clock_tampering;
  }
  progress.BeginPhase("close", 1);
  Status closed = store->Close();
  progress.Stop();
  MemoryBreakdown memory_use = memory.StorePeak();
  if (memory_use.high_water_reset) {
    ++integrity_failures;
    if (first_integrity.empty()) {
      first_integrity =
          "the process's peak-RSS mark went down during the run (something "
          "wrote /proc/self/clear_refs); peak memory comes from 5 ms samples";
    }
  }
  if (closed != Status::kOk) {
    ++errors;
    if (first_error.empty()) {
      first_error = std::string("Close returned ") + StatusName(closed);
    }
  }
  store.reset();

  double elapsed_s = static_cast<double>(run_end - run_start) / 1e9;
  if (elapsed_s <= 0) elapsed_s = 1e-9;
  const WarmupCut& cut = monitor.cut();
  Window window = ResultWindow(cut, run_start, run_end, cpu_start, cpu_end, workers);
  uint64_t total = 0;
  for (const auto& worker : workers) total += worker->ops_done();
  double window_s = window.elapsed_s > 0 ? window.elapsed_s : 1e-9;
  double warmup_s =
      cut.made ? static_cast<double>(cut.ns - run_start) / 1e9 : elapsed_s;
  JsonObject result;
  result.AddString("event", "result")
      .AddDouble("throughput_ops_s", static_cast<double>(window.ops) / window_s, 1)
      .AddDouble("elapsed_s", elapsed_s, 6)
      .AddUint("total_ops", total)
      .AddDouble("whole_run_ops_s", static_cast<double>(total) / elapsed_s, 1)
      .AddDouble("warmup_s", warmup_s, 6)
      .AddDouble("steady_elapsed_s", window.steady ? window.elapsed_s : 0.0, 6)
      .AddUint("steady_ops", window.steady ? window.ops : 0)
      .AddDouble("cpu_ns_per_op",
                 window.ops > 0 ? static_cast<double>(window.cpu_ns) /
                                      static_cast<double>(window.ops)
                                : std::nan(""),
                 2)
      .AddDouble("driver_floor_ns_per_op", floor_ns, 2)
      .AddDouble("latency_sample_every", window.timed > 0
                                             ? static_cast<double>(window.ops) /
                                                   static_cast<double>(window.timed)
                                             : std::nan(""),
                 1)
      .AddObject("ops", OpsJson(config, workers, clock, window))
      .AddUint("memory_peak_bytes", memory_use.peak)
      .AddUint("memory_budget_bytes", config.mem_budget_bytes)
      .AddUint("memory_baseline_bytes", memory.baseline())
      .AddObject("memory_breakdown", BreakdownJson(memory_use))
      .AddString("clock_tampering", clock_tampering)
      .AddUint("errors", errors)
      .AddString("first_error", first_error)
      .AddUint("integrity_failures", integrity_failures)
      .AddString("first_integrity_failure", first_integrity)
      .AddUint("verified_keys", verified.keys)
      .AddUint("threads", threads)
      .AddDouble("generate_s", generate_s, 6)
      .AddDouble("load_s", load_s, 6)
      .AddString("clock", clock.name())
      .AddObject("machine", MachineJson(DescribeMachine()));
  EmitLine(result);
  return 0;
}

}  // namespace jitskit::harness
