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
//
// The lookup, lock and unlock paths are inline here: every operation is one
// probe, and a call per step costs as much as the step.
#ifndef DEMO_STORE_TABLE_H_
#define DEMO_STORE_TABLE_H_

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

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

// What a lookup saw: the key's slot (nullptr if absent) and the meta word it
// read there, so a reader's first seqlock pass needs no second load.
struct Probe {
  Word* slot = nullptr;
  uint64_t meta = 0;
};

// Spin-wait hint: lets the sibling hyperthread run and avoids the
// memory-order flush when the awaited line changes.
inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

inline uint64_t Mix(uint64_t key) {
  key ^= key >> 33;
  key *= 0xff51afd7ed558ccdULL;
  key ^= key >> 33;
  key *= 0xc4ceb9fe1a85ec53ULL;
  key ^= key >> 33;
  return key;
}

class SlotTable {
 public:
  SlotTable() = default;
  SlotTable(const SlotTable&) = delete;
  SlotTable& operator=(const SlotTable&) = delete;
  ~SlotTable() { Release(); }

  // Sizes the table from the budget (never from a record count): the largest
  // power-of-two slot count whose slots fit in half of it. Huge-page backed.
  bool Init(uint64_t budget_bytes, uint32_t value_size, std::string* error);
  void Release();

  // The slot bound to `key` and its meta, or no slot. Lock-free.
  Probe Find(uint64_t key) const {
    uint64_t index = Home(key);
    for (uint64_t probes = 0; probes <= mask_;) {
      Word* slot = At(index);
      uint64_t meta = slot[0].load(std::memory_order_acquire);
      if (meta == 0) return {};
      if ((meta & kBound) == 0) {
        CpuRelax();  // being bound right now: its key is not visible yet
        continue;
      }
      if (slot[1].load(std::memory_order_relaxed) == key) return {slot, meta};
      index = (index + 1) & mask_;
      ++probes;
    }
    return {};
  }

  // The slot of `key`, locked by the caller; binds a fresh one if the key has
  // none. slot is nullptr when the table is full.
  LockedSlot LockOrBind(uint64_t key) {
    // A writer will own both lines of the slot: ask for them exclusive now,
    // so Find's load does not fetch them shared and the CAS upgrade them.
    Word* home = At(Home(key));
    __builtin_prefetch(home, 1, 3);
    __builtin_prefetch(home + 8, 1, 3);
    Probe found = Find(key);
    if (found.slot != nullptr) return {found.slot, Lock(found.slot)};
    return BindLocked(key);
  }

  static uint64_t Lock(Word* slot) {
    for (;;) {
      uint64_t meta = slot[0].load(std::memory_order_relaxed);
      if ((meta & kLocked) == 0 &&
          slot[0].compare_exchange_weak(meta, meta | kLocked, std::memory_order_acquire,
                                        std::memory_order_relaxed)) {
        // Orders the value stores after the locked meta for seqlock readers.
        std::atomic_thread_fence(std::memory_order_release);
        return meta;
      }
      CpuRelax();
    }
  }
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
  uint64_t Home(uint64_t key) const { return Mix(key) >> shift_; }
  Word* At(uint64_t index) const { return words_ + index * stride_; }
  // The slow path of LockOrBind: takes the key's stripe and binds a slot.
  LockedSlot BindLocked(uint64_t key);
  LockedSlot Bind(uint64_t key);

  static constexpr int kStripes = 64;
  struct alignas(64) Stripe {
    std::mutex mutex;
  };

  void* mapping_ = nullptr;  // what mmap returned; words_ is 2 MiB-aligned in it
  uint64_t mapped_ = 0;
  Word* words_ = nullptr;
  uint64_t bytes_ = 0;
  uint64_t stride_ = 0;  // words per slot
  uint64_t mask_ = 0;
  int shift_ = 64;
  uint64_t max_bound_ = 0;
  alignas(64) std::atomic<uint64_t> bound_{0};
  Stripe stripes_[kStripes];
};

}  // namespace demo

#endif  // DEMO_STORE_TABLE_H_
