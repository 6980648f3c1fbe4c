// Iteration 2: lock striping. 64 shards, each an unordered_map behind its own
// std::mutex, on its own cache lines. A shard is picked by the top bits of a
// mixed key and the map buckets by the low bits, so the two choices are
// independent. Two threads now meet only when they touch the same shard.
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "jitskit/kvstore.h"

namespace {

using jitskit::Durability;
using jitskit::Status;
using jitskit::StoreConfig;

constexpr int kShardBits = 6;
constexpr int kShards = 1 << kShardBits;
// Per entry besides the value: hash node, bucket pointer, two malloc headers.
constexpr uint64_t kEntryOverhead = 64;

uint64_t Mix(uint64_t key) {
  key ^= key >> 33;
  key *= 0xff51afd7ed558ccdULL;
  key ^= key >> 33;
  return key;
}

struct MixHash {
  size_t operator()(uint64_t key) const { return static_cast<size_t>(Mix(key)); }
};

uint64_t LoadCounter(const char* value) {
  uint64_t counter = 0;
  for (int i = 7; i >= 0; --i) {
    counter = (counter << 8) | static_cast<unsigned char>(value[i]);
  }
  return counter;
}

void StoreCounter(char* value, uint64_t counter) {
  for (int i = 0; i < 8; ++i) {
    value[i] = static_cast<char>(counter & 0xff);
    counter >>= 8;
  }
}

// alignas(64): two shards' mutexes never share a cache line, so a lock taken
// on one core does not invalidate the neighbour's on the other.
struct alignas(64) Shard {
  std::mutex mutex;
  std::unordered_map<uint64_t, std::unique_ptr<char[]>, MixHash> table;
};

class ShardedStore : public jitskit::KVStore {
 public:
  Status Open(const StoreConfig& config) override {
    if (config.durability != Durability::kNone) {
      std::fprintf(stderr, "store: open: in-memory only, durability must be none\n");
      return Status::kNotSupported;
    }
    value_size_ = config.value_size;
    uint64_t max_entries = config.mem_budget_bytes / (value_size_ + kEntryOverhead);
    for (Shard& shard : shards_) {
      shard.table.reserve(static_cast<size_t>(max_entries / 2 / kShards));
    }
    return Status::kOk;
  }

  Status Close() override {
    for (Shard& shard : shards_) {
      std::lock_guard<std::mutex> lock(shard.mutex);
      shard.table.clear();
      shard.table.rehash(0);
    }
    return Status::kOk;
  }

  Status Read(uint64_t key, char* value_out) override {
    Shard& shard = ShardOf(key);
    std::lock_guard<std::mutex> lock(shard.mutex);
    auto it = shard.table.find(key);
    if (it == shard.table.end()) return Status::kNotFound;
    std::memcpy(value_out, it->second.get(), value_size_);
    return Status::kOk;
  }

  Status Upsert(uint64_t key, const char* value) override {
    Shard& shard = ShardOf(key);
    std::lock_guard<std::mutex> lock(shard.mutex);
    std::memcpy(SlotFor(shard, key), value, value_size_);
    return Status::kOk;
  }

  Status Delete(uint64_t key) override {
    Shard& shard = ShardOf(key);
    std::lock_guard<std::mutex> lock(shard.mutex);
    return shard.table.erase(key) == 1 ? Status::kOk : Status::kNotFound;
  }

  Status ReadModifyWrite(uint64_t key, uint64_t increment,
                         char* value_out) override {
    Shard& shard = ShardOf(key);
    std::lock_guard<std::mutex> lock(shard.mutex);
    char* value = SlotFor(shard, key);
    StoreCounter(value, LoadCounter(value) + increment);
    std::memcpy(value_out, value, value_size_);
    return Status::kOk;
  }

 private:
  Shard& ShardOf(uint64_t key) { return shards_[Mix(key) >> (64 - kShardBits)]; }

  // The key's value buffer, created zero-filled if absent. Caller holds the
  // shard's mutex.
  char* SlotFor(Shard& shard, uint64_t key) {
    std::unique_ptr<char[]>& slot = shard.table[key];
    if (!slot) slot.reset(new char[value_size_]());
    return slot.get();
  }

  uint32_t value_size_ = 0;
  Shard shards_[kShards];
};

}  // namespace

extern "C" jitskit::KVStore* jitskit_create_store() { return new ShardedStore(); }
