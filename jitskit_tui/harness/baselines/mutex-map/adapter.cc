// The naive baseline: one std::unordered_map behind one std::mutex. In memory
// only: it declares durability `none` and no ordered scan. Settings and the
// reasons for them are in TUNING.md beside this file.
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "baseline_support.h"
#include "jitskit/kvstore.h"

namespace jitskit {
namespace {

// What one entry costs besides its value: the hash node (next pointer, key,
// value pointer, cached hash), its bucket slot and both allocations' headers.
constexpr uint64_t kEntryOverhead = 64;

struct KeyHash {
  size_t operator()(uint64_t key) const { return static_cast<size_t>(baseline::MixKey(key)); }
};

using Value = std::unique_ptr<char[]>;
using Table = std::unordered_map<uint64_t, Value, KeyHash>;

class MutexMapStore final : public KVStore {
 public:
  Status Open(const StoreConfig& config) override {
    if (config.durability != Durability::kNone) {
      std::fprintf(stderr,
                   "mutex-map baseline: open: it is in memory only and cannot meet a durability "
                   "level other than `none`\n");
      return Status::kNotSupported;
    }
    if (config.value_size < 8) {
      std::fprintf(stderr, "mutex-map baseline: open: value_size is below 8 bytes\n");
      return Status::kError;
    }
    config_ = config;
    std::lock_guard<std::mutex> lock(mutex_);
    table_.clear();
    // The budget bounds how many entries can exist; reserving for half of
    // them avoids rehashing (a stop-the-world copy under the lock) while the
    // table fills.
    uint64_t max_entries = config.mem_budget_bytes / (config.value_size + kEntryOverhead);
    table_.reserve(static_cast<size_t>(max_entries / 2));
    return Status::kOk;
  }

  Status Close() override {
    std::lock_guard<std::mutex> lock(mutex_);
    Table().swap(table_);
    return Status::kOk;
  }

  Status Read(uint64_t key, char* value_out) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = table_.find(key);
    if (it == table_.end()) return Status::kNotFound;
    std::memcpy(value_out, it->second.get(), config_.value_size);
    return Status::kOk;
  }

  Status Upsert(uint64_t key, const char* value) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Value& slot = table_[key];
    if (slot == nullptr) slot.reset(new char[config_.value_size]);
    std::memcpy(slot.get(), value, config_.value_size);
    return Status::kOk;
  }

  Status Delete(uint64_t key) override {
    std::lock_guard<std::mutex> lock(mutex_);
    table_.erase(key);
    return Status::kOk;
  }

  Status ReadModifyWrite(uint64_t key, uint64_t increment, char* value_out) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Value& slot = table_[key];
    if (slot == nullptr) {
      slot.reset(new char[config_.value_size]);
      std::memset(slot.get(), 0, config_.value_size);
    }
    baseline::AddToCounter(slot.get(), increment);
    std::memcpy(value_out, slot.get(), config_.value_size);
    return Status::kOk;
  }

 private:
  StoreConfig config_{};
  std::mutex mutex_;
  Table table_;
};

}  // namespace
}  // namespace jitskit

extern "C" jitskit::KVStore* jitskit_create_store() { return new jitskit::MutexMapStore(); }
