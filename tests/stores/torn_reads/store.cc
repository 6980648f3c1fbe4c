// Hack: unsynchronised reads of values being overwritten (torn).
//
// Lock-free readers memcpy values in place while locked writers
// overwrite them (no seqlock, no versioning), so reads can be torn.
//
// The "optimisation": readers never take a lock; writers serialise on stripe
// locks so read-modify-write stays exact.
#include <sys/mman.h>

#include <atomic>
#include <cstring>
#include <mutex>

#include "jitskit/kvstore.h"

namespace {

using jitskit::Status;

constexpr uint32_t kStripes = 256;
constexpr uint8_t kEmpty = 0;
constexpr uint8_t kLive = 1;
constexpr uint8_t kDead = 2;
constexpr uint8_t kClaiming = 3;

uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

// A slot is this header followed by the value, packed back to back so a
// probe touches one region of memory.
struct Slot {
  std::atomic<uint64_t> key;
  std::atomic<uint8_t> state;
};
constexpr size_t kHeader = 16;

class LockFreeReadStore final : public jitskit::KVStore {
 public:
  Status Open(const jitskit::StoreConfig& config) override {
    vs_ = config.value_size;
    // Half the budget for a power-of-two table, at least 64k slots.
    stride_ = (kHeader + vs_ + 7) / 8 * 8;
    uint64_t want = config.mem_budget_bytes / 2 / stride_;
    capacity_ = 1 << 16;
    while (capacity_ * 2 <= want && capacity_ < (1ULL << 30)) capacity_ *= 2;
    // Anonymous mappings are zero-filled and only cost what gets touched.
    table_ = static_cast<char*>(Map(capacity_ * stride_));
    return table_ != nullptr ? Status::kOk : Status::kError;
  }

  Status Close() override {
    if (table_ != nullptr) ::munmap(table_, capacity_ * stride_);
    table_ = nullptr;
    return Status::kOk;
  }

  Status Read(uint64_t key, char* value_out) override {
    int64_t slot = Find(key);
    if (slot < 0) return Status::kNotFound;
    std::memcpy(value_out, Value(slot), vs_);
    return Status::kOk;
  }

  Status Upsert(uint64_t key, const char* value) override {
    std::lock_guard<std::mutex> lock(Stripe(key));
    int64_t slot = FindOrClaim(key);
    if (slot < 0) return Status::kError;
    std::memcpy(Value(slot), value, vs_);
    At(slot).state.store(kLive, std::memory_order_release);
    return Status::kOk;
  }

  Status Delete(uint64_t key) override {
    std::lock_guard<std::mutex> lock(Stripe(key));
    int64_t slot = Find(key);
    if (slot < 0) return Status::kNotFound;
    At(slot).state.store(kDead, std::memory_order_release);
    return Status::kOk;
  }

  Status ReadModifyWrite(uint64_t key, uint64_t increment,
                         char* value_out) override {
    std::lock_guard<std::mutex> lock(Stripe(key));
    int64_t slot = FindOrClaim(key);
    if (slot < 0) return Status::kError;
    char* v = Value(slot);
    if (At(slot).state.load(std::memory_order_relaxed) != kLive) {
      std::memset(v, 0, vs_);
    }
    uint64_t counter = 0;
    std::memcpy(&counter, v, 8);
    counter += increment;
    std::memcpy(v, &counter, 8);
    At(slot).state.store(kLive, std::memory_order_release);
    std::memcpy(value_out, v, vs_);
    return Status::kOk;
  }

 private:
  static void* Map(uint64_t bytes) {
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? nullptr : p;
  }

  Slot& At(uint64_t i) const { return *reinterpret_cast<Slot*>(table_ + i * stride_); }
  char* Value(uint64_t i) const { return table_ + i * stride_ + kHeader; }

  std::mutex& Stripe(uint64_t key) { return stripes_[Mix(key) % kStripes]; }

  // A live slot holding `key`, or -1.
  int64_t Find(uint64_t key) const {
    uint64_t mask = capacity_ - 1;
    for (uint64_t i = Mix(key) & mask, n = 0; n < capacity_; i = (i + 1) & mask, ++n) {
      uint8_t state = At(i).state.load(std::memory_order_acquire);
      if (state == kEmpty) return -1;
      if (state == kClaiming) continue;
      if (At(i).key.load(std::memory_order_relaxed) == key) {
        return state == kLive ? static_cast<int64_t>(i) : -1;
      }
    }
    return -1;
  }

  // The slot of `key` (live or dead), claiming an empty one for a new key.
  // New slots are published with the key first; the value follows.
  int64_t FindOrClaim(uint64_t key) {
    uint64_t mask = capacity_ - 1;
    for (uint64_t i = Mix(key) & mask, n = 0; n < capacity_; i = (i + 1) & mask, ++n) {
      uint8_t state = At(i).state.load(std::memory_order_acquire);
      if (state == kEmpty) {
        uint8_t expected = kEmpty;
        if (At(i).state.compare_exchange_strong(expected, kClaiming)) {
          At(i).key.store(key, std::memory_order_relaxed);
          At(i).state.store(kDead, std::memory_order_release);
          return static_cast<int64_t>(i);
        }
        state = expected;
      }
      // Another stripe's key is being placed here: it cannot be ours.
      if (state == kClaiming) continue;
      if (At(i).key.load(std::memory_order_relaxed) == key) {
        return static_cast<int64_t>(i);
      }
    }
    return -1;
  }

  uint32_t vs_ = 0;
  uint64_t capacity_ = 0;
  uint64_t stride_ = 0;
  char* table_ = nullptr;
  std::mutex stripes_[kStripes];
};

}  // namespace

extern "C" jitskit::KVStore* jitskit_create_store() {
  return new LockFreeReadStore();
}
