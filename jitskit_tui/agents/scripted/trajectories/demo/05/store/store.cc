// Iteration 5: the seqlock table of iteration 4, now on 2 MiB pages
// (table.cc). Values live inline in their slot, so a read is one probe and
// one copy from two adjacent cache lines, with no lock and no store to shared
// memory; a write is one CAS on the slot's meta word. The table is sized from
// mem_budget_bytes, never from a record count.
#include <cstdio>
#include <cstring>
#include <string>

#include "jitskit/kvstore.h"
#include "table.h"

namespace {

using demo::LockedSlot;
using demo::SlotTable;
using demo::Word;
using jitskit::Durability;
using jitskit::Status;
using jitskit::StoreConfig;

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the value's first word is read-modify-write's little-endian counter");

class SeqlockStore : public jitskit::KVStore {
 public:
  Status Open(const StoreConfig& config) override {
    if (config.durability != Durability::kNone) {
      std::fprintf(stderr, "store: open: in-memory only, durability must be none\n");
      return Status::kNotSupported;
    }
    if (config.value_size < 8) {
      std::fprintf(stderr, "store: open: value_size %u is below the 8-byte counter\n",
                   config.value_size);
      return Status::kError;
    }
    value_size_ = config.value_size;
    full_words_ = value_size_ / 8;
    tail_bytes_ = value_size_ % 8;
    std::string error;
    if (!table_.Init(config.mem_budget_bytes, value_size_, &error)) {
      std::fprintf(stderr, "store: open: %s\n", error.c_str());
      return Status::kError;
    }
    return Status::kOk;
  }

  Status Close() override {
    table_.Release();
    return Status::kOk;
  }

  Status Read(uint64_t key, char* value_out) override {
    Word* slot = table_.Find(key);
    if (slot == nullptr) return Status::kNotFound;
    for (;;) {
      uint64_t before = slot[0].load(std::memory_order_acquire);
      if (before & demo::kLocked) {
        demo::CpuRelax();
        continue;
      }
      if ((before & demo::kLive) == 0) return Status::kNotFound;
      CopyOut(table_.Value(slot), value_out);
      std::atomic_thread_fence(std::memory_order_acquire);
      if (slot[0].load(std::memory_order_relaxed) == before) return Status::kOk;
    }
  }

  Status Upsert(uint64_t key, const char* value) override {
    LockedSlot held = table_.LockOrBind(key);
    if (held.slot == nullptr) return Full(key, "Upsert");
    CopyIn(value, table_.Value(held.slot));
    SlotTable::Unlock(held, true);
    return Status::kOk;
  }

  Status Delete(uint64_t key) override {
    Word* slot = table_.Find(key);
    if (slot == nullptr) return Status::kNotFound;
    LockedSlot held{slot, SlotTable::Lock(slot)};
    if ((held.before & demo::kLive) == 0) {
      SlotTable::Abandon(held);
      return Status::kNotFound;
    }
    SlotTable::Unlock(held, false);
    return Status::kOk;
  }

  Status ReadModifyWrite(uint64_t key, uint64_t increment, char* value_out) override {
    LockedSlot held = table_.LockOrBind(key);
    if (held.slot == nullptr) return Full(key, "ReadModifyWrite");
    Word* value = table_.Value(held.slot);
    if ((held.before & demo::kLive) == 0) {
      for (uint32_t w = 0; w < full_words_ + (tail_bytes_ ? 1 : 0); ++w) {
        value[w].store(0, std::memory_order_relaxed);
      }
    }
    value[0].store(value[0].load(std::memory_order_relaxed) + increment,
                   std::memory_order_relaxed);
    CopyOut(value, value_out);
    SlotTable::Unlock(held, true);
    return Status::kOk;
  }

 private:
  // Word-wise through relaxed atomics: a racing writer makes the copy
  // inconsistent (the seqlock catches that), never undefined.
  void CopyOut(const Word* value, char* out) const {
    for (uint32_t w = 0; w < full_words_; ++w) {
      uint64_t word = value[w].load(std::memory_order_relaxed);
      std::memcpy(out + 8 * w, &word, 8);
    }
    if (tail_bytes_ != 0) {
      uint64_t word = value[full_words_].load(std::memory_order_relaxed);
      std::memcpy(out + 8 * full_words_, &word, tail_bytes_);
    }
  }

  void CopyIn(const char* in, Word* value) const {
    for (uint32_t w = 0; w < full_words_; ++w) {
      uint64_t word;
      std::memcpy(&word, in + 8 * w, 8);
      value[w].store(word, std::memory_order_relaxed);
    }
    if (tail_bytes_ != 0) {
      uint64_t word = 0;
      std::memcpy(&word, in + 8 * full_words_, tail_bytes_);
      value[full_words_].store(word, std::memory_order_relaxed);
    }
  }

  Status Full(uint64_t key, const char* op) const {
    std::fprintf(stderr,
                 "store: %s of key %016llx: table full (%llu slots from a %llu-byte "
                 "table); raise mem_budget_bytes\n",
                 op, static_cast<unsigned long long>(key),
                 static_cast<unsigned long long>(table_.capacity()),
                 static_cast<unsigned long long>(table_.bytes()));
    return Status::kError;
  }

  uint32_t value_size_ = 0;
  uint32_t full_words_ = 0;
  uint32_t tail_bytes_ = 0;
  SlotTable table_;
};

}  // namespace

extern "C" jitskit::KVStore* jitskit_create_store() { return new SeqlockStore(); }
