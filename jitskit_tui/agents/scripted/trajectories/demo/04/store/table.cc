#include "table.h"

#include <sys/mman.h>

#include <thread>

namespace demo {
namespace {

constexpr uint64_t kCacheLine = 64;
constexpr uint64_t kMinSlots = 1024;

uint64_t Mix(uint64_t key) {
  key ^= key >> 33;
  key *= 0xff51afd7ed558ccdULL;
  key ^= key >> 33;
  key *= 0xc4ceb9fe1a85ec53ULL;
  key ^= key >> 33;
  return key;
}

}  // namespace

void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

bool SlotTable::Init(uint64_t budget_bytes, uint32_t value_size, std::string* error) {
  uint64_t slot_bytes = 16 + (uint64_t{value_size} + 7) / 8 * 8;
  slot_bytes = (slot_bytes + kCacheLine - 1) / kCacheLine * kCacheLine;
  uint64_t slots = kMinSlots;
  while (slots * 2 * slot_bytes <= budget_bytes / 2) slots *= 2;
  if (slots * slot_bytes > budget_bytes / 2) {
    *error = "the memory budget of " + std::to_string(budget_bytes) +
             " bytes is too small for " + std::to_string(kMinSlots) + " slots of " +
             std::to_string(slot_bytes) + " bytes";
    return false;
  }
  // Anonymous pages are zero (every meta word reads "empty") and only become
  // resident when first touched.
  void* memory = mmap(nullptr, slots * slot_bytes, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) {
    *error = "mmap of " + std::to_string(slots * slot_bytes) + " bytes failed";
    return false;
  }
  words_ = static_cast<Word*>(memory);
  bytes_ = slots * slot_bytes;
  stride_ = slot_bytes / 8;
  mask_ = slots - 1;
  shift_ = 64;
  for (uint64_t s = slots; s > 1; s >>= 1) --shift_;
  // Linear probing degrades fast past ~7/8 full; refuse new keys there.
  max_bound_ = slots - slots / 8;
  bound_.store(0, std::memory_order_relaxed);
  return true;
}

void SlotTable::Release() {
  if (words_ != nullptr) munmap(words_, bytes_);
  words_ = nullptr;
}

uint64_t SlotTable::Home(uint64_t key) const { return Mix(key) >> shift_; }

Word* SlotTable::Find(uint64_t key) const {
  uint64_t index = Home(key);
  for (uint64_t probes = 0; probes <= mask_;) {
    Word* slot = At(index);
    uint64_t meta = slot[0].load(std::memory_order_acquire);
    if (meta == 0) return nullptr;
    if ((meta & kBound) == 0) {
      // Being bound right now: its key is not visible yet.
      CpuRelax();
      continue;
    }
    if (slot[1].load(std::memory_order_relaxed) == key) return slot;
    index = (index + 1) & mask_;
    ++probes;
  }
  return nullptr;
}

uint64_t SlotTable::Lock(Word* slot) {
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

LockedSlot SlotTable::LockOrBind(uint64_t key) {
  if (Word* slot = Find(key)) return {slot, Lock(slot)};
  std::lock_guard<std::mutex> guard(stripes_[Home(key) % kStripes].mutex);
  return Bind(key);
}

// Caller holds the key's stripe, so no other thread binds this key meanwhile.
LockedSlot SlotTable::Bind(uint64_t key) {
  uint64_t index = Home(key);
  for (uint64_t probes = 0; probes <= mask_;) {
    Word* slot = At(index);
    uint64_t meta = slot[0].load(std::memory_order_acquire);
    if (meta == 0) {
      if (bound_.load(std::memory_order_relaxed) >= max_bound_) return {};
      if (slot[0].compare_exchange_strong(meta, kLocked, std::memory_order_acquire,
                                          std::memory_order_relaxed)) {
        bound_.fetch_add(1, std::memory_order_relaxed);
        slot[1].store(key, std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_release);
        return {slot, 0};
      }
      continue;  // another key took it: look at it again
    }
    if ((meta & kBound) == 0) {
      CpuRelax();
      continue;
    }
    // Bound since our lock-free Find: an insert of this key that finished
    // before we took the stripe.
    if (slot[1].load(std::memory_order_relaxed) == key) return {slot, Lock(slot)};
    index = (index + 1) & mask_;
    ++probes;
  }
  return {};
}

}  // namespace demo
