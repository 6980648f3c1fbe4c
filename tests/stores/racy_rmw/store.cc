// Hack: non-atomic read-modify-write loses increments.
//
// Read-modify-write of an existing key takes only the shard's shared (read)
// lock and adds to the counter in place with a plain load and store, so two
// threads incrementing one key at once can both read the same old value.
//
// The "optimisation": an increment touches 8 bytes in place and never
// reshapes the table, so a read lock "is enough" and increments of
// different keys never serialise.
#include <cstring>
#include <mutex>
#include <shared_mutex>
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
  std::shared_mutex mu;
  std::unordered_map<uint64_t, std::vector<char>> map;
};

class InPlaceRmwStore final : public jitskit::KVStore {
 public:
  Status Open(const jitskit::StoreConfig& config) override {
    vs_ = config.value_size;
    return Status::kOk;
  }
  Status Close() override { return Status::kOk; }

  Status Read(uint64_t key, char* value_out) override {
    Shard& s = ShardFor(key);
    std::shared_lock<std::shared_mutex> lock(s.mu);
    auto it = s.map.find(key);
    if (it == s.map.end()) return Status::kNotFound;
    std::memcpy(value_out, it->second.data(), vs_);
    return Status::kOk;
  }

  Status Upsert(uint64_t key, const char* value) override {
    Shard& s = ShardFor(key);
    std::unique_lock<std::shared_mutex> lock(s.mu);
    s.map[key].assign(value, value + vs_);
    return Status::kOk;
  }

  Status Delete(uint64_t key) override {
    Shard& s = ShardFor(key);
    std::unique_lock<std::shared_mutex> lock(s.mu);
    return s.map.erase(key) == 1 ? Status::kOk : Status::kNotFound;
  }

  Status ReadModifyWrite(uint64_t key, uint64_t increment,
                         char* value_out) override {
    Shard& s = ShardFor(key);
    {
      std::shared_lock<std::shared_mutex> lock(s.mu);
      auto it = s.map.find(key);
      if (it != s.map.end()) {
        AddInPlace(it->second.data(), increment, value_out);
        return Status::kOk;
      }
    }
    std::unique_lock<std::shared_mutex> lock(s.mu);
    std::vector<char>& v = s.map[key];
    if (v.empty()) v.assign(vs_, 0);
    AddInPlace(v.data(), increment, value_out);
    return Status::kOk;
  }

 private:
  Shard& ShardFor(uint64_t key) { return shards_[Mix(key) % kShards]; }

  void AddInPlace(char* value, uint64_t increment, char* value_out) const {
    uint64_t counter = 0;
    std::memcpy(&counter, value, 8);
    counter += increment;
    std::memcpy(value, &counter, 8);
    std::memcpy(value_out, value, vs_);
  }

  uint32_t vs_ = 0;
  Shard shards_[kShards];
};

}  // namespace

extern "C" jitskit::KVStore* jitskit_create_store() { return new InPlaceRmwStore(); }
