#include "progress.h"

#include <chrono>

#include "clock.h"
#include "jsonout.h"

namespace jitskit::harness {

ProgressTicker::ProgressTicker(uint32_t tick_ms, uint32_t slots)
    : tick_ms_(tick_ms), counts_(slots > 0 ? slots : 1) {}

ProgressTicker::~ProgressTicker() { Stop(); }

void ProgressTicker::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void ProgressTicker::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stop_) return;
    stop_ = true;
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void ProgressTicker::BeginPhase(const std::string& phase, uint64_t total) {
  std::lock_guard<std::mutex> lock(mutex_);
  // The counts belong to the phase: the threads of the last phase have
  // finished counting before the next one begins.
  for (Slot& slot : counts_) slot.value.store(0, std::memory_order_relaxed);
  phase_ = phase;
  total_ = total;
  phase_start_ns_ = KernelMonotonicNs();
}

void ProgressTicker::EndPhase() {
  std::lock_guard<std::mutex> lock(mutex_);
  phase_.clear();
}

uint64_t ProgressTicker::Done() const {
  uint64_t done = 0;
  for (const Slot& slot : counts_) {
    done += slot.value.load(std::memory_order_relaxed);
  }
  return done;
}

void ProgressTicker::Loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  const uint64_t period = uint64_t{tick_ms_} * 1000000;
  // Ticks fall on a fixed grid, so a late wake-up does not delay the rest.
  uint64_t next = KernelMonotonicNs() + period;
  while (!stop_) {
    uint64_t now = KernelMonotonicNs();
    if (now < next) {
      wake_.wait_for(lock, std::chrono::nanoseconds(next - now));
      continue;
    }
    next += period;
    if (next <= now) next = now + period;
    if (!phase_.empty()) EmitLocked(now);
  }
}

void ProgressTicker::EmitLocked(uint64_t now_ns) {
  JsonObject event;
  event.AddString("event", "progress")
      .AddString("phase", phase_)
      .AddUint("done", Done())
      .AddUint("total", total_)
      .AddDouble("t_s", static_cast<double>(now_ns - phase_start_ns_) / 1e9);
  EmitLine(event);
}

namespace {

// The slot of the calling thread: set by ThreadInit, read by every call.
thread_local uint32_t counting_slot = 0;

class CountingStore : public KVStore {
 public:
  CountingStore(std::unique_ptr<KVStore> inner, ProgressTicker& ticker)
      : inner_(std::move(inner)), ticker_(ticker) {}

  Status Open(const StoreConfig& config) override { return inner_->Open(config); }
  Status Close() override { return inner_->Close(); }
  void ThreadInit(uint32_t thread_id) override {
    counting_slot = thread_id;
    inner_->ThreadInit(thread_id);
  }
  void ThreadExit(uint32_t thread_id) override { inner_->ThreadExit(thread_id); }
  Status Read(uint64_t key, char* value_out) override {
    return Counted(inner_->Read(key, value_out));
  }
  Status Upsert(uint64_t key, const char* value) override {
    return Counted(inner_->Upsert(key, value));
  }
  Status Delete(uint64_t key) override { return Counted(inner_->Delete(key)); }
  Status ReadModifyWrite(uint64_t key, uint64_t increment,
                         char* value_out) override {
    return Counted(inner_->ReadModifyWrite(key, increment, value_out));
  }
  Status Scan(uint64_t start_key, uint32_t count, ScanVisitor visit,
              void* ctx) override {
    return Counted(inner_->Scan(start_key, count, visit, ctx));
  }

 private:
  Status Counted(Status status) {
    // A plain increment, not a locked one, so counting barely changes the
    // timing of the races the gates provoke. The gates' threads have
    // distinct ids at any one time; were two to share a slot, a count could
    // be lost, never corrupted (the counter is atomic).
    ticker_.Add(counting_slot);
    return status;
  }

  std::unique_ptr<KVStore> inner_;
  ProgressTicker& ticker_;
};

}  // namespace

std::unique_ptr<KVStore> CountStoreCalls(std::unique_ptr<KVStore> store,
                                         ProgressTicker& ticker) {
  if (!store) return store;
  return std::make_unique<CountingStore>(std::move(store), ticker);
}

}  // namespace jitskit::harness
