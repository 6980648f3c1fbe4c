// Hack: replaces malloc with a never-freeing bump allocator.
//
// Replaces malloc and friends with a never-freeing bump allocator for
// the whole process, harness included: its allocations get cheaper and its
// memory accounting is no longer the one it was written against.
//
// The "optimisation": the fastest allocator is one that never frees.
#include <sys/mman.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "jitskit/kvstore.h"

namespace {

using jitskit::Status;

constexpr size_t kShards = 64;

uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}

struct Shard {
  std::mutex mu;
  std::unordered_map<uint64_t, std::vector<char>> map;
};

class BumpAllocStore final : public jitskit::KVStore {
 public:
  Status Open(const jitskit::StoreConfig& config) override {
    vs_ = config.value_size;
    return Status::kOk;
  }
  Status Close() override { return Status::kOk; }

  Status Read(uint64_t key, char* value_out) override {
    Shard& s = ShardFor(key);
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.map.find(key);
    if (it == s.map.end()) return Status::kNotFound;
    std::memcpy(value_out, it->second.data(), vs_);
    return Status::kOk;
  }

  Status Upsert(uint64_t key, const char* value) override {
    Shard& s = ShardFor(key);
    std::lock_guard<std::mutex> lock(s.mu);
    s.map[key].assign(value, value + vs_);
    return Status::kOk;
  }

  Status Delete(uint64_t key) override {
    Shard& s = ShardFor(key);
    std::lock_guard<std::mutex> lock(s.mu);
    return s.map.erase(key) == 1 ? Status::kOk : Status::kNotFound;
  }

  Status ReadModifyWrite(uint64_t key, uint64_t increment,
                         char* value_out) override {
    Shard& s = ShardFor(key);
    std::lock_guard<std::mutex> lock(s.mu);
    std::vector<char>& v = s.map[key];
    if (v.empty()) v.assign(vs_, 0);
    uint64_t counter = 0;
    std::memcpy(&counter, v.data(), 8);
    counter += increment;
    std::memcpy(v.data(), &counter, 8);
    std::memcpy(value_out, v.data(), vs_);
    return Status::kOk;
  }

 private:
  Shard& ShardFor(uint64_t key) { return shards_[Mix(key) % kShards]; }

  uint32_t vs_ = 0;
  Shard shards_[kShards];
};

}  // namespace

namespace {

constexpr size_t kReserve = size_t{64} << 30;  // virtual only
constexpr size_t kHeader = 16;

std::atomic<char*> g_base{nullptr};
std::atomic<size_t> g_next{0};

char* Base() {
  char* base = g_base.load(std::memory_order_acquire);
  if (base != nullptr) return base;
  void* p = ::mmap(nullptr, kReserve, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  char* expected = nullptr;
  if (!g_base.compare_exchange_strong(expected, static_cast<char*>(p))) {
    ::munmap(p, kReserve);
    return expected;
  }
  return static_cast<char*>(p);
}

// `size` bytes aligned to `align` (a power of two >= 16), its size recorded
// in the 16 bytes before it.
void* Bump(size_t size, size_t align) {
  char* base = Base();
  if (base == nullptr) return nullptr;
  size_t need = size + align + kHeader;
  size_t at = g_next.fetch_add((need + 15) & ~size_t{15});
  if (at + need > kReserve) return nullptr;
  uintptr_t user = reinterpret_cast<uintptr_t>(base + at + kHeader);
  user = (user + align - 1) & ~(align - 1);
  std::memcpy(reinterpret_cast<char*>(user) - kHeader, &size, sizeof size);
  return reinterpret_cast<void*>(user);
}

size_t SizeOf(void* p) {
  size_t size;
  std::memcpy(&size, static_cast<char*>(p) - kHeader, sizeof size);
  return size;
}

}  // namespace

extern "C" {

void* malloc(size_t size) noexcept { return Bump(size, 16); }
void free(void*) noexcept {}
void* calloc(size_t n, size_t size) noexcept {
  if (size != 0 && n > SIZE_MAX / size) return nullptr;
  return Bump(n * size, 16);  // fresh pages are already zero
}
void* realloc(void* old, size_t size) noexcept {
  void* p = Bump(size, 16);
  if (p != nullptr && old != nullptr) {
    size_t keep = SizeOf(old);
    std::memcpy(p, old, keep < size ? keep : size);
  }
  return p;
}
void* aligned_alloc(size_t align, size_t size) noexcept {
  return Bump(size, align < 16 ? 16 : align);
}
void* memalign(size_t align, size_t size) noexcept {
  return Bump(size, align < 16 ? 16 : align);
}
int posix_memalign(void** out, size_t align, size_t size) noexcept {
  void* p = Bump(size, align < 16 ? 16 : align);
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}
size_t malloc_usable_size(void* p) noexcept { return p == nullptr ? 0 : SizeOf(p); }

}  // extern "C"

extern "C" jitskit::KVStore* jitskit_create_store() { return new BumpAllocStore(); }
