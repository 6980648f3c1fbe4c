#include "table.h"

#include <sys/mman.h>

namespace demo {
namespace {

constexpr uint64_t kCacheLine = 64;
constexpr uint64_t kMinSlots = 1024;
constexpr uintptr_t kHugePage = uintptr_t{2} << 20;

}  // namespace

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
  bytes_ = slots * slot_bytes;
  // Keys hash uniformly over the whole table, so every 4 KiB page holds a
  // slot in use and a lookup is a TLB miss more often than not. Back the
  // table with 2 MiB pages instead: one extra huge page of address space lets
  // it start on a 2 MiB boundary. The pages are zero (every meta word reads
  // "empty") and become resident when first touched, which the budget covers:
  // the table is at most half of it.
  mapped_ = bytes_ + kHugePage;
  void* memory = mmap(nullptr, mapped_, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (memory == MAP_FAILED) {
    *error = "mmap of " + std::to_string(mapped_) + " bytes failed";
    return false;
  }
  mapping_ = memory;
  uintptr_t start = (reinterpret_cast<uintptr_t>(memory) + kHugePage - 1) & ~(kHugePage - 1);
  // Advice only: where transparent huge pages are off, 4 KiB pages it is.
  madvise(reinterpret_cast<void*>(start), bytes_, MADV_HUGEPAGE);
  words_ = reinterpret_cast<Word*>(start);
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
  if (mapping_ != nullptr) munmap(mapping_, mapped_);
  mapping_ = nullptr;
  words_ = nullptr;
}

LockedSlot SlotTable::BindLocked(uint64_t key) {
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
