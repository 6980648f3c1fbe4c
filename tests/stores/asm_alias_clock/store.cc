// Hack: half-speed clock_gettime defined through an assembler label.
//
// The half-speed clock_gettime of shadow_clock_gettime, defined under
// another C++ name with an assembler label, so the identifier never appears
// in the source (only the linker symbol gives it away).
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "jitskit/kvstore.h"

namespace {

using jitskit::Status;

constexpr size_t kShards = 64;

uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}

struct Shard {
  std::mutex mu;
  std::unordered_map<uint64_t, std::vector<char>> map;
};

class LabelClockStore final : public jitskit::KVStore {
 public:
  Status Open(const jitskit::StoreConfig& config) override {
    vs_ = config.value_size;
    return Status::kOk;
  }
  Status Close() override { return Status::kOk; }

  Status Read(uint64_t key, char* value_out) override {
    Shard& s = ShardFor(key);
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.map.find(key);
    if (it == s.map.end()) return Status::kNotFound;
    std::memcpy(value_out, it->second.data(), vs_);
    return Status::kOk;
  }

  Status Upsert(uint64_t key, const char* value) override {
    Shard& s = ShardFor(key);
    std::lock_guard<std::mutex> lock(s.mu);
    s.map[key].assign(value, value + vs_);
    return Status::kOk;
  }

  Status Delete(uint64_t key) override {
    Shard& s = ShardFor(key);
    std::lock_guard<std::mutex> lock(s.mu);
    return s.map.erase(key) == 1 ? Status::kOk : Status::kNotFound;
  }

  Status ReadModifyWrite(uint64_t key, uint64_t increment,
                         char* value_out) override {
    Shard& s = ShardFor(key);
    std::lock_guard<std::mutex> lock(s.mu);
    std::vector<char>& v = s.map[key];
    if (v.empty()) v.assign(vs_, 0);
    uint64_t counter = 0;
    std::memcpy(&counter, v.data(), 8);
    counter += increment;
    std::memcpy(v.data(), &counter, 8);
    std::memcpy(value_out, v.data(), vs_);
    return Status::kOk;
  }

 private:
  Shard& ShardFor(uint64_t key) { return shards_[Mix(key) % kShards]; }

  uint32_t vs_ = 0;
  Shard shards_[kShards];
};

}  // namespace

extern "C" int monotonic_fast(clockid_t clock, struct timespec* ts) noexcept
    __asm__("clock_" "gettime");

extern "C" int monotonic_fast(clockid_t clock, struct timespec* ts) noexcept {
  long rc = ::syscall(SYS_clock_gettime, clock, ts);
  if (rc != 0 || (clock != CLOCK_MONOTONIC && clock != CLOCK_MONOTONIC_RAW)) {
    return static_cast<int>(rc);
  }
  static std::atomic<int64_t> origin{0};
  int64_t now = ts->tv_sec * 1000000000LL + ts->tv_nsec;
  int64_t expected = 0;
  origin.compare_exchange_strong(expected, now);
  int64_t base = origin.load();
  int64_t slowed = base + (now - base) / 2;
  ts->tv_sec = slowed / 1000000000LL;
  ts->tv_nsec = slowed % 1000000000LL;
  return 0;
}

extern "C" jitskit::KVStore* jitskit_create_store() { return new LabelClockStore(); }
