// The almost-nothing store, for measuring the driver's own cost per operation
// (benchmarks/driver_cost.py). NOT a correct store: it keeps one small
// direct-mapped table per thread and answers every Read with whatever its
// slot holds, so values written by one thread are invisible to the others and
// colliding keys read each other's values. Never use it for gates.
#include <cstring>
#include <memory>
#include <vector>

#include "jitskit/kvstore.h"

namespace {

using jitskit::Status;

constexpr uint32_t kSlots = 4096;

thread_local uint32_t current_thread = 0;

class NoopStore : public jitskit::KVStore {
 public:
  Status Open(const jitskit::StoreConfig& config) override {
    value_size_ = config.value_size;
    tables_.resize(config.max_threads);
    for (auto& table : tables_) {
      table.values.assign(size_t{kSlots} * value_size_, 0);
    }
    return Status::kOk;
  }
  Status Close() override { return Status::kOk; }
  void ThreadInit(uint32_t thread_id) override { current_thread = thread_id; }

  Status Read(uint64_t key, char* value_out) override {
    Table& table = tables_[current_thread];
    std::memcpy(value_out, &table.values[size_t{Slot(key)} * value_size_],
                value_size_);
    return Status::kOk;
  }
  Status Upsert(uint64_t key, const char* value) override {
    Table& table = tables_[current_thread];
    std::memcpy(&table.values[size_t{Slot(key)} * value_size_], value,
                value_size_);
    return Status::kOk;
  }
  Status Delete(uint64_t key) override {
    (void)key;
    return Status::kOk;
  }
  Status ReadModifyWrite(uint64_t key, uint64_t increment,
                         char* value_out) override {
    (void)key;
    std::memset(value_out, 0, value_size_);
    std::memcpy(value_out, &increment, sizeof(increment));
    return Status::kOk;
  }
  Status Scan(uint64_t start_key, uint32_t count, jitskit::ScanVisitor visit,
              void* ctx) override {
    (void)start_key;
    (void)count;
    (void)visit;
    (void)ctx;
    return Status::kOk;
  }

 private:
  struct Table {
    std::vector<char> values;
  };
  static uint32_t Slot(uint64_t key) {
    return static_cast<uint32_t>(key) & (kSlots - 1);
  }

  uint32_t value_size_ = 0;
  std::vector<Table> tables_;
};

}  // namespace

extern "C" jitskit::KVStore* jitskit_create_store() { return new NoopStore(); }
