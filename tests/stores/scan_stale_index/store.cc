// Hack: Scan returns values snapshotted at insert time.
//
// Scan reads values from an ordered copy that is filled when a key is
// first inserted and never refreshed by updates, so scans return stale values.
//
// The "optimisation": keep the ordered index off the update path; only
// inserts and deletes touch it.
#include <cstring>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

#include "jitskit/kvstore.h"

namespace {

using jitskit::ScanVisitor;
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

class SnapshotIndexStore final : public jitskit::KVStore {
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
    auto [it, inserted] = s.map.try_emplace(key);
    it->second.assign(value, value + vs_);
    if (inserted) IndexInsert(key, value);
    return Status::kOk;
  }

  Status Delete(uint64_t key) override {
    Shard& s = ShardFor(key);
    std::lock_guard<std::mutex> lock(s.mu);
    if (s.map.erase(key) == 0) return Status::kNotFound;
    std::unique_lock<std::shared_mutex> index_lock(index_mu_);
    index_.erase(key);
    return Status::kOk;
  }

  Status ReadModifyWrite(uint64_t key, uint64_t increment,
                         char* value_out) override {
    Shard& s = ShardFor(key);
    std::lock_guard<std::mutex> lock(s.mu);
    auto [it, inserted] = s.map.try_emplace(key);
    std::vector<char>& v = it->second;
    if (inserted) v.assign(vs_, 0);
    uint64_t counter = 0;
    std::memcpy(&counter, v.data(), 8);
    counter += increment;
    std::memcpy(v.data(), &counter, 8);
    std::memcpy(value_out, v.data(), vs_);
    if (inserted) IndexInsert(key, v.data());
    return Status::kOk;
  }

  Status Scan(uint64_t start_key, uint32_t count, ScanVisitor visit,
              void* ctx) override {
    std::shared_lock<std::shared_mutex> lock(index_mu_);
    uint32_t visited = 0;
    for (auto it = index_.lower_bound(start_key);
         it != index_.end() && visited < count; ++it, ++visited) {
      if (!visit(ctx, it->first, it->second.data())) break;
    }
    return Status::kOk;
  }

 private:
  Shard& ShardFor(uint64_t key) { return shards_[Mix(key) % kShards]; }

  void IndexInsert(uint64_t key, const char* value) {
    std::unique_lock<std::shared_mutex> lock(index_mu_);
    index_[key].assign(value, value + vs_);
  }

  uint32_t vs_ = 0;
  Shard shards_[kShards];
  std::shared_mutex index_mu_;
  std::map<uint64_t, std::vector<char>> index_;
};

}  // namespace

extern "C" jitskit::KVStore* jitskit_create_store() {
  return new SnapshotIndexStore();
}
