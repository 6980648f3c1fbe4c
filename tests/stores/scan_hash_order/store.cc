// Hack: Scan visits keys in hash order.
//
// Scan walks the hash table in bucket order, visiting keys >= start_key
// as it meets them: neither ascending nor the smallest keys.
//
// The "optimisation": no ordered index to maintain on the write path.
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "jitskit/kvstore.h"

namespace {

using jitskit::ScanVisitor;
using jitskit::Status;

constexpr size_t kShards = 16;

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

class HashScanStore final : public jitskit::KVStore {
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

  Status Scan(uint64_t start_key, uint32_t count, ScanVisitor visit,
              void* ctx) override {
    uint32_t visited = 0;
    for (size_t i = 0; i < kShards && visited < count; ++i) {
      std::lock_guard<std::mutex> lock(shards_[i].mu);
      for (const auto& kv : shards_[i].map) {
        if (kv.first < start_key) continue;
        if (!visit(ctx, kv.first, kv.second.data())) return Status::kOk;
        if (++visited == count) break;
      }
    }
    return Status::kOk;
  }

 private:
  Shard& ShardFor(uint64_t key) { return shards_[Mix(key) % kShards]; }

  uint32_t vs_ = 0;
  Shard shards_[kShards];
};

}  // namespace

extern "C" jitskit::KVStore* jitskit_create_store() { return new HashScanStore(); }
