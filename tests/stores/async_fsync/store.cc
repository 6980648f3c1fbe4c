// Hack: acknowledges before a background fdatasync (power_loss).
//
// Every log record is written with write(2) and acknowledged at once;
// a background thread fdatasyncs the log every 10 ms, so under power_loss
// acknowledgements run ahead of the sync that covers them.
//
// The "optimisation": amortise fdatasync over 10 ms of writes, off the
// critical path.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "jitskit/kvstore.h"

namespace {

using jitskit::Status;

constexpr size_t kShards = 64;
constexpr uint64_t kPut = 1;
constexpr uint64_t kDel = 2;

uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}

uint64_t Checksum(const char* p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; ++i) h = (h ^ static_cast<unsigned char>(p[i])) * 0x100000001b3ULL;
  return h;
}

struct Shard {
  std::mutex mu;
  std::unordered_map<uint64_t, std::vector<char>> map;
};

class BackgroundSyncStore final : public jitskit::KVStore {
 public:
  Status Open(const jitskit::StoreConfig& config) override {
    vs_ = config.value_size;
    if (config.data_dir.empty()) return Status::kOk;
    ::mkdir(config.data_dir.c_str(), 0755);
    std::string path = config.data_dir + "/wal.log";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND, 0644);
    if (fd_ < 0) return Status::kError;
    Replay();
    syncer_ = std::thread([this] {
      while (!stop_.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        ::fdatasync(fd_);
      }
    });
    return Status::kOk;
  }

  Status Close() override {
    if (fd_ < 0) return Status::kOk;
    std::lock_guard<std::mutex> lock(log_mu_);
    stop_.store(true);
    if (syncer_.joinable()) syncer_.join();
    ::fdatasync(fd_);
    ::close(fd_);
    fd_ = -1;
    return Status::kOk;
  }

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
    if (!Log(kPut, key, value)) return Status::kError;
    s.map[key].assign(value, value + vs_);
    return Status::kOk;
  }

  Status Delete(uint64_t key) override {
    Shard& s = ShardFor(key);
    std::lock_guard<std::mutex> lock(s.mu);
    if (s.map.count(key) == 0) return Status::kNotFound;
    if (!Log(kDel, key, nullptr)) return Status::kError;
    s.map.erase(key);
    return Status::kOk;
  }

  Status ReadModifyWrite(uint64_t key, uint64_t increment,
                         char* value_out) override {
    Shard& s = ShardFor(key);
    std::lock_guard<std::mutex> lock(s.mu);
    std::vector<char> next(vs_, 0);
    auto it = s.map.find(key);
    if (it != s.map.end()) next = it->second;
    uint64_t counter = 0;
    std::memcpy(&counter, next.data(), 8);
    counter += increment;
    std::memcpy(next.data(), &counter, 8);
    if (!Log(kPut, key, next.data())) return Status::kError;
    s.map[key] = next;
    std::memcpy(value_out, next.data(), vs_);
    return Status::kOk;
  }

 private:
  Shard& ShardFor(uint64_t key) { return shards_[Mix(key) % kShards]; }

  bool Log(uint64_t op, uint64_t key, const char* value) {
    if (fd_ < 0) return true;
    std::vector<char> r(24 + vs_, 0);
    std::memcpy(r.data() + 8, &op, 8);
    std::memcpy(r.data() + 16, &key, 8);
    if (value != nullptr) std::memcpy(r.data() + 24, value, vs_);
    uint64_t sum = Checksum(r.data() + 8, r.size() - 8);
    std::memcpy(r.data(), &sum, 8);
    std::lock_guard<std::mutex> lock(log_mu_);
    return WriteAll(r.data(), r.size());
  }

  bool WriteAll(const char* p, size_t n) {
    while (n > 0) {
      ssize_t w = ::write(fd_, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return false;
      p += w;
      n -= static_cast<size_t>(w);
    }
    return true;
  }

  void Replay() {
    size_t size = 24 + vs_;
    std::vector<char> r(size);
    while (::read(fd_, r.data(), size) == static_cast<ssize_t>(size)) {
      uint64_t sum = 0, op = 0, key = 0;
      std::memcpy(&sum, r.data(), 8);
      if (sum != Checksum(r.data() + 8, size - 8)) break;
      std::memcpy(&op, r.data() + 8, 8);
      std::memcpy(&key, r.data() + 16, 8);
      if (op == kPut) {
        ShardFor(key).map[key].assign(r.data() + 24, r.data() + size);
      } else {
        ShardFor(key).map.erase(key);
      }
    }
  }

  uint32_t vs_ = 0;
  int fd_ = -1;
  std::mutex log_mu_;
  std::atomic<bool> stop_{false};
  std::thread syncer_;
  Shard shards_[kShards];
};

}  // namespace

extern "C" jitskit::KVStore* jitskit_create_store() {
  return new BackgroundSyncStore();
}
