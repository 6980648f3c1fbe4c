// Hack: Scan takes a per-shard quota, so it skips keys.
//
// Scan takes a fixed quota (count / 8 + 2) of keys from each of the 8
// ordered shards and merges them, so it is ascending but skips keys whenever
// one shard holds more than its quota of the range.
//
// The "optimisation": bound the work per shard instead of a full k-way merge.
#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "jitskit/kvstore.h"

namespace {

using jitskit::ScanVisitor;
using jitskit::Status;

constexpr size_t kShards = 8;

uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}

struct Shard {
  std::mutex mu;
  std::map<uint64_t, std::vector<char>> map;
};

class QuotaScanStore final : public jitskit::KVStore {
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
    size_t quota = count / kShards + 2;
    std::vector<std::pair<uint64_t, std::vector<char>>> picked;
    for (size_t i = 0; i < kShards; ++i) {
      std::lock_guard<std::mutex> lock(shards_[i].mu);
      auto it = shards_[i].map.lower_bound(start_key);
      for (size_t n = 0; n < quota && it != shards_[i].map.end(); ++n, ++it) {
        picked.emplace_back(it->first, it->second);
      }
    }
    std::sort(picked.begin(), picked.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t i = 0; i < picked.size() && i < count; ++i) {
      if (!visit(ctx, picked[i].first, picked[i].second.data())) break;
    }
    return Status::kOk;
  }

 private:
  Shard& ShardFor(uint64_t key) { return shards_[Mix(key) % kShards]; }

  uint32_t vs_ = 0;
  Shard shards_[kShards];
};

}  // namespace

extern "C" jitskit::KVStore* jitskit_create_store() { return new QuotaScanStore(); }
