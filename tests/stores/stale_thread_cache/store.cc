// Hack: per-thread read caches never invalidated by other threads.
//
// Each thread keeps a private read cache that its own writes update but
// other threads' writes never invalidate, so reads go stale.
//
// The "optimisation": zipfian reads hit a few keys; a per-thread direct-mapped
// cache answers them without touching a shared lock.
#include <cstring>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "jitskit/kvstore.h"

namespace {

using jitskit::Status;

constexpr size_t kShards = 64;
constexpr size_t kCacheSlots = 4096;

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

// One thread's cache: slot i holds key[i] when valid[i].
struct ThreadCache {
  const void* owner = nullptr;
  uint32_t value_size = 0;
  std::vector<uint64_t> keys;
  std::vector<bool> valid;
  std::vector<char> values;

  void Reset(const void* store, uint32_t vs) {
    owner = store;
    value_size = vs;
    keys.assign(kCacheSlots, 0);
    valid.assign(kCacheSlots, false);
    values.assign(kCacheSlots * vs, 0);
  }
  size_t SlotOf(uint64_t key) const { return Mix(key) % kCacheSlots; }
  char* Value(size_t slot) { return values.data() + slot * value_size; }
  void Put(uint64_t key, const char* value) {
    size_t slot = SlotOf(key);
    keys[slot] = key;
    valid[slot] = true;
    std::memcpy(Value(slot), value, value_size);
  }
  void Drop(uint64_t key) {
    size_t slot = SlotOf(key);
    if (valid[slot] && keys[slot] == key) valid[slot] = false;
  }
};

thread_local ThreadCache tls_cache;

class ThreadCachedStore final : public jitskit::KVStore {
 public:
  Status Open(const jitskit::StoreConfig& config) override {
    vs_ = config.value_size;
    return Status::kOk;
  }
  Status Close() override { return Status::kOk; }

  Status Read(uint64_t key, char* value_out) override {
    ThreadCache& cache = Cache();
    size_t slot = cache.SlotOf(key);
    if (cache.valid[slot] && cache.keys[slot] == key) {
      std::memcpy(value_out, cache.Value(slot), vs_);
      return Status::kOk;
    }
    Shard& s = ShardFor(key);
    {
      std::lock_guard<std::mutex> lock(s.mu);
      auto it = s.map.find(key);
      if (it == s.map.end()) return Status::kNotFound;
      std::memcpy(value_out, it->second.data(), vs_);
    }
    cache.Put(key, value_out);
    return Status::kOk;
  }

  Status Upsert(uint64_t key, const char* value) override {
    Shard& s = ShardFor(key);
    {
      std::lock_guard<std::mutex> lock(s.mu);
      s.map[key].assign(value, value + vs_);
    }
    Cache().Put(key, value);
    return Status::kOk;
  }

  Status Delete(uint64_t key) override {
    Cache().Drop(key);
    Shard& s = ShardFor(key);
    std::lock_guard<std::mutex> lock(s.mu);
    return s.map.erase(key) == 1 ? Status::kOk : Status::kNotFound;
  }

  Status ReadModifyWrite(uint64_t key, uint64_t increment,
                         char* value_out) override {
    Shard& s = ShardFor(key);
    {
      std::lock_guard<std::mutex> lock(s.mu);
      std::vector<char>& v = s.map[key];
      if (v.empty()) v.assign(vs_, 0);
      uint64_t counter = 0;
      std::memcpy(&counter, v.data(), 8);
      counter += increment;
      std::memcpy(v.data(), &counter, 8);
      std::memcpy(value_out, v.data(), vs_);
    }
    Cache().Put(key, value_out);
    return Status::kOk;
  }

 private:
  Shard& ShardFor(uint64_t key) { return shards_[Mix(key) % kShards]; }

  ThreadCache& Cache() {
    if (tls_cache.owner != this || tls_cache.value_size != vs_) {
      tls_cache.Reset(this, vs_);
    }
    return tls_cache;
  }

  uint32_t vs_ = 0;
  Shard shards_[kShards];
};

}  // namespace

extern "C" jitskit::KVStore* jitskit_create_store() {
  return new ThreadCachedStore();
}
