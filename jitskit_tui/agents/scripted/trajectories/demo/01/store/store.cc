// Iteration 1: the correct baseline. One std::unordered_map from key to a
// fixed-size value buffer behind one std::shared_mutex: reads share the lock,
// writes (upsert, delete, read-modify-write) take it exclusively. Slow by
// design; it sets the floor every later iteration has to beat.
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "jitskit/kvstore.h"

namespace {

using jitskit::Durability;
using jitskit::Status;
using jitskit::StoreConfig;

// Per entry besides the value: hash node (next, key, value pointer, cached
// hash), its bucket pointer and two malloc headers.
constexpr uint64_t kEntryOverhead = 64;

// Harness keys are arbitrary 64-bit values; std::hash<uint64_t> is the
// identity, so mix before the table takes the low bits.
struct MixHash {
  size_t operator()(uint64_t key) const {
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return static_cast<size_t>(key);
  }
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

class LockedMapStore : public jitskit::KVStore {
 public:
  Status Open(const StoreConfig& config) override {
    if (config.durability != Durability::kNone) {
      std::fprintf(stderr, "store: open: in-memory only, durability must be none\n");
      return Status::kNotSupported;
    }
    value_size_ = config.value_size;
    // The budget bounds how many entries can ever exist; buckets for half of
    // that avoid a stop-the-world rehash while the table fills.
    uint64_t max_entries = config.mem_budget_bytes / (value_size_ + kEntryOverhead);
    table_.reserve(static_cast<size_t>(max_entries / 2));
    return Status::kOk;
  }

  Status Close() override {
    std::unique_lock<std::shared_mutex> lock(mutex_);
    Table().swap(table_);
    return Status::kOk;
  }

  Status Read(uint64_t key, char* value_out) override {
    std::shared_lock<std::shared_mutex> lock(mutex_);
    auto it = table_.find(key);
    if (it == table_.end()) return Status::kNotFound;
    std::memcpy(value_out, it->second.get(), value_size_);
    return Status::kOk;
  }

  Status Upsert(uint64_t key, const char* value) override {
    std::unique_lock<std::shared_mutex> lock(mutex_);
    std::memcpy(SlotFor(key), value, value_size_);
    return Status::kOk;
  }

  Status Delete(uint64_t key) override {
    std::unique_lock<std::shared_mutex> lock(mutex_);
    return table_.erase(key) == 1 ? Status::kOk : Status::kNotFound;
  }

  Status ReadModifyWrite(uint64_t key, uint64_t increment,
                         char* value_out) override {
    std::unique_lock<std::shared_mutex> lock(mutex_);
    char* value = SlotFor(key);
    StoreCounter(value, LoadCounter(value) + increment);
    std::memcpy(value_out, value, value_size_);
    return Status::kOk;
  }

 private:
  using Table = std::unordered_map<uint64_t, std::unique_ptr<char[]>, MixHash>;

  // The key's value buffer, created zero-filled if absent. Caller holds the
  // lock exclusively.
  char* SlotFor(uint64_t key) {
    std::unique_ptr<char[]>& slot = table_[key];
    if (!slot) slot.reset(new char[value_size_]());
    return slot.get();
  }

  uint32_t value_size_ = 0;
  std::shared_mutex mutex_;
  Table table_;
};

}  // namespace

extern "C" jitskit::KVStore* jitskit_create_store() { return new LockedMapStore(); }
