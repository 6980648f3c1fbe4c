// The store contract over oneTBB's concurrent_hash_map (Debian libtbb-dev).
// In memory only: it declares durability `none` and no ordered scan.
// Settings and the reasons for them are in TUNING.md beside this file.
#include <oneapi/tbb/concurrent_hash_map.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "baseline_support.h"
#include "jitskit/kvstore.h"

namespace jitskit {
namespace {

// What one entry costs besides its value: the table node (chain pointer,
// element lock, key, value pointer) and both allocations' headers.
constexpr uint64_t kEntryOverhead = 64;

// The default hash of an integer key is the identity, and the table indexes
// buckets by its low bits; mixing first keeps clustered keys apart.
struct KeyHashCompare {
  static size_t hash(uint64_t key) { return static_cast<size_t>(baseline::MixKey(key)); }
  static bool equal(uint64_t a, uint64_t b) { return a == b; }
};

using Value = std::unique_ptr<char[]>;
using Table = tbb::concurrent_hash_map<uint64_t, Value, KeyHashCompare>;

class TbbStore final : public KVStore {
 public:
  Status Open(const StoreConfig& config) override {
    if (config.durability != Durability::kNone) {
      std::fprintf(stderr,
                   "tbb-chm baseline: open: it is in memory only and cannot meet a durability "
                   "level other than `none`\n");
      return Status::kNotSupported;
    }
    if (config.value_size < 8) {
      std::fprintf(stderr, "tbb-chm baseline: open: value_size is below 8 bytes\n");
      return Status::kError;
    }
    config_ = config;
    // The budget bounds how many entries can exist; buckets for half of them
    // keep chains short without rehashing while the table fills.
    uint64_t max_entries = config.mem_budget_bytes / (config.value_size + kEntryOverhead);
    table_ = std::make_unique<Table>(static_cast<size_t>(max_entries / 2));
    return Status::kOk;
  }

  Status Close() override {
    table_.reset();
    return Status::kOk;
  }

  Status Read(uint64_t key, char* value_out) override {
    Table::const_accessor entry;
    if (!table_->find(entry, key)) return Status::kNotFound;
    std::memcpy(value_out, entry->second.get(), config_.value_size);
    return Status::kOk;
  }

  Status Upsert(uint64_t key, const char* value) override {
    Table::accessor entry;
    if (table_->insert(entry, key)) entry->second.reset(new char[config_.value_size]);
    std::memcpy(entry->second.get(), value, config_.value_size);
    return Status::kOk;
  }

  Status Delete(uint64_t key) override {
    table_->erase(key);
    return Status::kOk;
  }

  // The accessor holds the entry's write lock across the read, the add and
  // the copy out.
  Status ReadModifyWrite(uint64_t key, uint64_t increment, char* value_out) override {
    Table::accessor entry;
    if (table_->insert(entry, key)) {
      entry->second.reset(new char[config_.value_size]);
      std::memset(entry->second.get(), 0, config_.value_size);
    }
    baseline::AddToCounter(entry->second.get(), increment);
    std::memcpy(value_out, entry->second.get(), config_.value_size);
    return Status::kOk;
  }

 private:
  StoreConfig config_{};
  std::unique_ptr<Table> table_;
};

}  // namespace
}  // namespace jitskit

extern "C" jitskit::KVStore* jitskit_create_store() { return new jitskit::TbbStore(); }
