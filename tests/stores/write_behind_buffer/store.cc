// Hack: acks writes into a per-thread buffer others cannot see.
//
// Upsert acknowledges into a per-thread write-behind buffer that other
// threads cannot see until it fills (32 writes), so their reads go stale and
// a late flush can bring a deleted key back.
//
// The "optimisation": batch writes per thread to take each shard lock once
// per batch instead of once per write.
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "jitskit/kvstore.h"

namespace {

using jitskit::Status;

constexpr size_t kShards = 64;
constexpr size_t kBatch = 32;

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

struct Pending {
  const void* owner = nullptr;
  std::vector<uint64_t> keys;
  std::vector<char> values;
};

thread_local Pending tls_pending;

class WriteBehindStore final : public jitskit::KVStore {
 public:
  Status Open(const jitskit::StoreConfig& config) override {
    vs_ = config.value_size;
    return Status::kOk;
  }
  Status Close() override { return Status::kOk; }

  void ThreadExit(uint32_t) override { Flush(Mine()); }

  Status Read(uint64_t key, char* value_out) override {
    Pending& p = Mine();
    for (size_t i = p.keys.size(); i-- > 0;) {
      if (p.keys[i] == key) {
        std::memcpy(value_out, p.values.data() + i * vs_, vs_);
        return Status::kOk;
      }
    }
    Shard& s = ShardFor(key);
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.map.find(key);
    if (it == s.map.end()) return Status::kNotFound;
    std::memcpy(value_out, it->second.data(), vs_);
    return Status::kOk;
  }

  Status Upsert(uint64_t key, const char* value) override {
    Pending& p = Mine();
    p.keys.push_back(key);
    p.values.insert(p.values.end(), value, value + vs_);
    if (p.keys.size() >= kBatch) Flush(p);
    return Status::kOk;
  }

  Status Delete(uint64_t key) override {
    Pending& p = Mine();
    bool pending = false;
    for (size_t i = p.keys.size(); i-- > 0;) {
      if (p.keys[i] != key) continue;
      p.keys.erase(p.keys.begin() + static_cast<std::ptrdiff_t>(i));
      auto at = p.values.begin() + static_cast<std::ptrdiff_t>(i * vs_);
      p.values.erase(at, at + vs_);
      pending = true;
    }
    Shard& s = ShardFor(key);
    std::lock_guard<std::mutex> lock(s.mu);
    return s.map.erase(key) == 1 || pending ? Status::kOk : Status::kNotFound;
  }

  Status ReadModifyWrite(uint64_t key, uint64_t increment,
                         char* value_out) override {
    Flush(Mine());
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

  Pending& Mine() {
    if (tls_pending.owner != this) {
      tls_pending.owner = this;
      tls_pending.keys.clear();
      tls_pending.values.clear();
    }
    return tls_pending;
  }

  void Flush(Pending& p) {
    for (size_t i = 0; i < p.keys.size(); ++i) {
      Shard& s = ShardFor(p.keys[i]);
      std::lock_guard<std::mutex> lock(s.mu);
      const char* v = p.values.data() + i * vs_;
      s.map[p.keys[i]].assign(v, v + vs_);
    }
    p.keys.clear();
    p.values.clear();
  }

  uint32_t vs_ = 0;
  Shard shards_[kShards];
};

}  // namespace

extern "C" jitskit::KVStore* jitskit_create_store() {
  return new WriteBehindStore();
}
