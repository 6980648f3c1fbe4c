#include "driver.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>

#include "bench_verify.h"
#include "clock.h"
#include "jsonout.h"
#include "machine.h"
#include "memory.h"
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

void PinThread(const std::vector<int>& cpus, uint32_t index) {
  if (cpus.empty()) return;
  int cpu = cpus[index % cpus.size()];
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  int failed = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  if (failed != 0) {
    std::fprintf(stderr,
                 "jitskit-harness: warning: cannot pin worker %u to CPU %d "
                 "(error %d); it runs unpinned. Check `cpus` against the CPUs "
                 "this process may use.\n",
                 index, cpu, failed);
  }
}

uint64_t NowNs() { return KernelMonotonicNs(); }

// How often the monitor samples the resident set, and the slower census of
// shared files and child processes.
constexpr int kSampleMs = 5;
constexpr int kCensusEvery = 10;

// Prints a tick every tick_ms while the run phase runs, and samples the
// resident set throughout.
class Monitor {
 public:
  Monitor(const Config& config, const std::vector<std::unique_ptr<Worker>>& workers,
          PeakMemory& memory)
      : config_(config), workers_(workers), memory_(memory) {}

  void Start() { thread_ = std::thread([this] { Loop(); }); }
  void BeginRun(uint64_t start_ns) {
    std::lock_guard<std::mutex> lock(mutex_);
    run_start_ns_ = start_ns;
    last_ns_ = start_ns;
    running_ = true;
  }
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
      wake_.notify_all();
    }
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    uint64_t last_tick = NowNs();
    for (int wake = 1; !stop_; ++wake) {
      wake_.wait_for(lock, std::chrono::milliseconds(kSampleMs));
      if (stop_) break;
      if (wake % kCensusEvery == 0) {
        memory_.SampleOutside();
      } else {
        memory_.Sample();
      }
      uint64_t now = NowNs();
      if (running_ && now - last_tick >= uint64_t{config_.tick_ms} * 1000000) {
        last_tick = now;
        Tick();
      }
    }
  }

  void Tick() {
    uint64_t per_op[kOpTypeCount] = {};
    uint64_t ops = 0;
    for (const auto& worker : workers_) {
      for (int i = 0; i < kOpTypeCount; ++i) {
        uint64_t count =
            worker->progress().per_op[i].load(std::memory_order_relaxed);
        per_op[i] += count;
        ops += count;
      }
    }
    uint64_t now = NowNs();
    double interval_s = static_cast<double>(now - last_ns_) / 1e9;
    JsonObject counts;
    for (int i = 0; i < kOpTypeCount; ++i) {
      if (config_.mix[i] > 0) {
        counts.AddUint(OpTypeName(static_cast<OpType>(i)), per_op[i]);
      }
    }
    JsonObject tick;
    tick.AddString("event", "tick")
        .AddDouble("t_s", static_cast<double>(now - run_start_ns_) / 1e9)
        .AddUint("ops", ops)
        .AddDouble("ops_s", interval_s > 0
                                ? static_cast<double>(ops - last_ops_) / interval_s
                                : 0.0,
                   1)
        .AddObject("per_op", counts);
    EmitLine(tick);
    last_ns_ = now;
    last_ops_ = ops;
  }

  const Config& config_;
  const std::vector<std::unique_ptr<Worker>>& workers_;
  PeakMemory& memory_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool running_ = false;
  uint64_t run_start_ns_ = 0;
  uint64_t last_ns_ = 0;
  uint64_t last_ops_ = 0;
};

JsonObject OpsJson(const Config& config,
                   const std::vector<std::unique_ptr<Worker>>& workers,
                   const TickClock& clock, double elapsed_s, uint64_t* total) {
  JsonObject ops;
  *total = 0;
  for (int i = 0; i < kOpTypeCount; ++i) {
    if (config.mix[i] <= 0) continue;
    Histogram merged;
    for (const auto& worker : workers) merged.Merge(worker->latency()[i]);
    auto us = [&](uint64_t ticks) {
      return clock.ToNs(static_cast<double>(ticks)) / 1000.0;
    };
    JsonObject op;
    op.AddUint("count", merged.total())
        .AddDouble("ops_s", static_cast<double>(merged.total()) / elapsed_s, 1)
        .AddDouble("p50_us", us(merged.Percentile(0.50)))
        .AddDouble("p90_us", us(merged.Percentile(0.90)))
        .AddDouble("p99_us", us(merged.Percentile(0.99)))
        .AddDouble("p999_us", us(merged.Percentile(0.999)))
        .AddDouble("max_us", us(merged.max()));
    ops.AddObject(OpTypeName(static_cast<OpType>(i)), op);
    *total += merged.total();
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

  PeakMemory memory;
  Monitor monitor(config, workers, memory);
  PhaseGate gate;
  std::vector<std::thread> pool;
  for (uint32_t t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      PinThread(config.cpus, t);
      if (gate.WaitFor(Phase::kLoad) == Phase::kAbort) return;
      shared.store->ThreadInit(t);
      workers[t]->Load(shared, keys);
      gate.Arrive();
      if (gate.WaitFor(Phase::kRun) == Phase::kAbort) return;
      workers[t]->Run(shared, clock);
      shared.store->ThreadExit(t);
    });
  }
  monitor.Start();

  // Everything the harness needs is allocated; what grows from here is the
  // store's.
  memory.Start();
  std::string open_error;
  std::unique_ptr<KVStore> store = OpenStore(config, &open_error);
  if (!store) {
    gate.Set(Phase::kAbort);
    for (auto& thread : pool) thread.join();
    monitor.Stop();
    EmitError(open_error);
    return 1;
  }
  shared.store = store.get();

  EmitPhase("load");
  uint64_t load_start = NowNs();
  gate.Set(Phase::kLoad);
  gate.WaitArrived(threads);
  double load_s = static_cast<double>(NowNs() - load_start) / 1e9;

  EmitPhase("run");
  uint64_t run_start = NowNs();
  uint64_t steady_start = SteadyTicks::Now();
#if defined(__x86_64__)
  uint64_t start_ticks = clock.tsc ? TscTicks::Now() : SteadyTicks::Now();
#else
  uint64_t start_ticks = SteadyTicks::Now();
#endif
  if (config.duration_s > 0) {
    shared.deadline_ticks =
        start_ticks +
        static_cast<uint64_t>(config.duration_s * 1e9 * clock.ticks_per_ns);
  }
  monitor.BeginRun(run_start);
  gate.Set(Phase::kRun);
  for (auto& thread : pool) thread.join();
  std::string clock_tampering = CheckClock(run_start, steady_start);
  monitor.Stop();

  EmitPhase("verify");
  store->ThreadInit(0);
  VerifyOutcome verified =
      VerifyTrackedWrites(shared, keys, workers, start_ticks, clock);
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
  Status closed = store->Close();
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
  uint64_t total = 0;
  JsonObject ops = OpsJson(config, workers, clock, elapsed_s, &total);
  JsonObject result;
  result.AddString("event", "result")
      .AddDouble("throughput_ops_s", static_cast<double>(total) / elapsed_s, 1)
      .AddDouble("elapsed_s", elapsed_s, 6)
      .AddUint("total_ops", total)
      .AddObject("ops", ops)
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
