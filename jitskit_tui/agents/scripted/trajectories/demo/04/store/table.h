// An open-addressing hash table of fixed-size slots with a seqlock in each.
//
// A slot is a run of 64-bit words, padded to whole cache lines:
//   word 0   meta: bit 0 locked, bit 1 bound (the key word is set, for good),
//            bit 2 live (holds a value; clear after a Delete), bits 3.. a
//            version bumped by every unlock
//   word 1   key
//   word 2.. the value, value_size bytes
//
// Readers take no lock: they read meta, copy the value, and read meta again;
// an unchanged, unlocked meta means the copy is one write's bytes. Writers CAS
// the locked bit into meta. A key is bound to one slot forever (a Delete only
// clears `live`), so a probe never has to re-check a key it has passed.
// Inserting a new key takes a mutex striped by the key's home slot, so two
// threads cannot bind the same key twice; CAS on an empty slot's meta keeps
// different keys from taking the same slot.
#ifndef DEMO_STORE_TABLE_H_
#define DEMO_STORE_TABLE_H_

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

namespace demo {

using Word = std::atomic<uint64_t>;
static_assert(sizeof(Word) == 8 && Word::is_always_lock_free,
              "slots are arrays of lock-free 64-bit atomics");

constexpr uint64_t kLocked = 1;
constexpr uint64_t kBound = 2;
constexpr uint64_t kLive = 4;
constexpr uint64_t kVersionStep = 8;

// A slot held by a writer: where it is and its meta before the lock.
struct LockedSlot {
  Word* slot = nullptr;
  uint64_t before = 0;
};

class SlotTable {
 public:
  SlotTable() = default;
  SlotTable(const SlotTable&) = delete;
  SlotTable& operator=(const SlotTable&) = delete;
  ~SlotTable() { Release(); }

  // Sizes the table from the budget (never from a record count): the largest
  // power-of-two slot count whose slots fit in half of it.
  bool Init(uint64_t budget_bytes, uint32_t value_size, std::string* error);
  void Release();

  // The slot bound to `key`, or nullptr. Lock-free.
  Word* Find(uint64_t key) const;
  // The slot of `key`, locked by the caller; binds a fresh one if the key has
  // none. slot is nullptr when the table is full.
  LockedSlot LockOrBind(uint64_t key);

  static uint64_t Lock(Word* slot);
  // Unlocks with a new version; `live` says whether the slot holds a value.
  static void Unlock(const LockedSlot& held, bool live) {
    uint64_t meta = ((held.before + kVersionStep) & ~(kLocked | kLive)) | kBound |
                    (live ? kLive : 0);
    held.slot[0].store(meta, std::memory_order_release);
  }
  // Unlocks without a change: the version stays, so readers need not retry.
  static void Abandon(const LockedSlot& held) {
    held.slot[0].store(held.before, std::memory_order_release);
  }

  Word* Value(Word* slot) const { return slot + 2; }
  uint64_t capacity() const { return mask_ + 1; }
  uint64_t bytes() const { return bytes_; }

 private:
  uint64_t Home(uint64_t key) const;
  Word* At(uint64_t index) const { return words_ + index * stride_; }
  LockedSlot Bind(uint64_t key);

  static constexpr int kStripes = 64;
  struct alignas(64) Stripe {
    std::mutex mutex;
  };

  Word* words_ = nullptr;
  uint64_t bytes_ = 0;
  uint64_t stride_ = 0;  // words per slot
  uint64_t mask_ = 0;
  int shift_ = 64;
  uint64_t max_bound_ = 0;
  alignas(64) std::atomic<uint64_t> bound_{0};
  Stripe stripes_[kStripes];
};

void CpuRelax();

}  // namespace demo

#endif  // DEMO_STORE_TABLE_H_
