#include "run_monitor.h"

#include <chrono>

#include "clock.h"
#include "jsonout.h"

namespace jitskit::harness {
namespace {

// How often the monitor samples the resident set, and the slower census of
// shared files and child processes.
constexpr uint64_t kSampleNs = 5000000;
constexpr int kCensusEvery = 10;

}  // namespace

RunMonitor::RunMonitor(const Config& config,
                       const std::vector<std::unique_ptr<Worker>>& workers,
                       RunShared& shared, PeakMemory& memory)
    : config_(config), workers_(workers), shared_(shared), memory_(memory) {}

void RunMonitor::Start() { thread_ = std::thread([this] { Loop(); }); }

void RunMonitor::BeginRun(uint64_t start_ns) {
  std::lock_guard<std::mutex> lock(mutex_);
  run_start_ns_ = start_ns;
  next_tick_ns_ = start_ns + uint64_t{config_.tick_ms} * 1000000;
  last_ns_ = start_ns;
  last_ops_ = 0;
  if (config_.warmup_s <= 0) {
    uint64_t zero[kOpTypeCount] = {};
    MakeCut(start_ns, zero);
  }
  running_ = true;
}

void RunMonitor::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void RunMonitor::Loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (int wake = 1; !stop_; ++wake) {
    wake_.wait_for(lock, std::chrono::nanoseconds(kSampleNs));
    if (stop_) break;
    if (wake % kCensusEvery == 0) {
      memory_.SampleOutside();
    } else {
      memory_.Sample();
    }
    if (!running_) continue;
    uint64_t now = KernelMonotonicNs();
    if (config_.duration_s > 0 &&
        static_cast<double>(now - run_start_ns_) >= config_.duration_s * 1e9) {
      shared_.stop.Set();
    }
    if (now >= next_tick_ns_) {
      // Ticks fall on a fixed grid from the run's start; a late wake-up
      // does not push the later ones back.
      uint64_t period = uint64_t{config_.tick_ms} * 1000000;
      while (next_tick_ns_ <= now) next_tick_ns_ += period;
      Tick(now);
    }
  }
}

uint64_t RunMonitor::Count(uint64_t per_op[kOpTypeCount]) const {
  uint64_t ops = 0;
  for (int i = 0; i < kOpTypeCount; ++i) per_op[i] = 0;
  for (const auto& worker : workers_) {
    for (int i = 0; i < kOpTypeCount; ++i) {
      uint64_t count =
          worker->progress().per_op[i].load(std::memory_order_relaxed);
      per_op[i] += count;
      ops += count;
    }
  }
  return ops;
}

void RunMonitor::MakeCut(uint64_t now, const uint64_t per_op[kOpTypeCount]) {
  cut_.made = true;
  cut_.ns = now;
  cut_.cpu_ns = ProcessCpuNs();
  for (int i = 0; i < kOpTypeCount; ++i) cut_.per_op[i] = per_op[i];
  shared_.steady.Set();
}

void RunMonitor::Tick(uint64_t now) {
  uint64_t per_op[kOpTypeCount];
  uint64_t ops = Count(per_op);
  double t_s = static_cast<double>(now - run_start_ns_) / 1e9;
  // The tick at or after warmup_s makes the cut: it is the last warm one,
  // and its count is where the steady window's starts.
  bool warm = !cut_.made;
  if (warm && t_s >= config_.warmup_s) MakeCut(now, per_op);
  double interval_s = static_cast<double>(now - last_ns_) / 1e9;
  JsonObject counts;
  for (int i = 0; i < kOpTypeCount; ++i) {
    if (config_.mix[i] > 0) {
      counts.AddUint(OpTypeName(static_cast<OpType>(i)), per_op[i]);
    }
  }
  JsonObject tick;
  tick.AddString("event", "tick")
      .AddDouble("t_s", t_s, 4)
      .AddUint("ops", ops)
      .AddDouble("ops_s",
                 interval_s > 0
                     ? static_cast<double>(ops - last_ops_) / interval_s
                     : 0.0,
                 1)
      .AddObject("per_op", counts)
      .AddDouble("cpu_s", static_cast<double>(ProcessCpuNs()) / 1e9, 4)
      .AddBool("warm", warm);
  EmitLine(tick);
  last_ns_ = now;
  last_ops_ = ops;
}

}  // namespace jitskit::harness
