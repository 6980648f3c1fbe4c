// Control store: honest, fast and correct; it must pass every gate.
//
// Hash-sharded tables under one mutex per shard; values live in per-shard
// slabs. An ordered index per shard is built on the first Scan and kept up to
// date from then on; Scan merges the shards under all their locks. For
// process_crash and power_loss every mutation is appended to the shard's log
// with write(2) before it is acknowledged (and fdatasync'ed for power_loss);
// Open replays the logs and cuts a torn tail.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "jitskit/kvstore.h"

namespace {

using jitskit::Durability;
using jitskit::ScanVisitor;
using jitskit::Status;
using jitskit::StoreConfig;

constexpr size_t kShards = 128;
constexpr uint32_t kChunkSlots = 1024;
constexpr uint64_t kOpPut = 1;
constexpr uint64_t kOpDel = 2;

uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

uint64_t Checksum(const char* data, size_t n) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(data[i]);
    h *= 0x100000001b3ULL;
  }
  return h;
}

bool WriteAll(int fd, const char* data, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

struct Shard {
  std::mutex mu;
  std::unordered_map<uint64_t, uint32_t> index;  // key -> slot
  std::vector<std::unique_ptr<char[]>> chunks;
  std::vector<uint32_t> free_slots;
  uint32_t next_slot = 0;
  bool ordered = false;
  std::set<uint64_t> sorted;
  int log_fd = -1;
  std::vector<char> record;  // scratch for one log record
};

class CorrectStore final : public jitskit::KVStore {
 public:
  Status Open(const StoreConfig& config) override {
    config_ = config;
    vs_ = config.value_size;
    record_size_ = 24 + vs_;  // checksum, op, key, value
    shards_.reset(new Shard[kShards]);
    for (size_t i = 0; i < kShards; ++i) shards_[i].record.resize(record_size_);
    if (config.durability == Durability::kNone) return Status::kOk;
    ::mkdir(config.data_dir.c_str(), 0755);
    for (size_t i = 0; i < kShards; ++i) {
      if (!Recover(i)) return Status::kError;
    }
    if (config.durability == Durability::kPowerLoss) {
      int dfd = ::open(config.data_dir.c_str(), O_RDONLY | O_DIRECTORY);
      if (dfd < 0) return Status::kError;
      ::fsync(dfd);
      ::close(dfd);
    }
    return Status::kOk;
  }

  Status Close() override {
    if (!shards_) return Status::kOk;
    for (size_t i = 0; i < kShards; ++i) {
      Shard& s = shards_[i];
      if (s.log_fd >= 0) {
        ::fsync(s.log_fd);
        ::close(s.log_fd);
        s.log_fd = -1;
      }
    }
    return Status::kOk;
  }

  Status Read(uint64_t key, char* value_out) override {
    Shard& s = ShardFor(key);
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.index.find(key);
    if (it == s.index.end()) return Status::kNotFound;
    std::memcpy(value_out, Slot(s, it->second), vs_);
    return Status::kOk;
  }

  Status Upsert(uint64_t key, const char* value) override {
    Shard& s = ShardFor(key);
    std::lock_guard<std::mutex> lock(s.mu);
    if (!Log(s, kOpPut, key, value)) return Status::kError;
    std::memcpy(Slot(s, SlotFor(s, key)), value, vs_);
    return Status::kOk;
  }

  Status Delete(uint64_t key) override {
    Shard& s = ShardFor(key);
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.index.find(key);
    if (it == s.index.end()) return Status::kNotFound;
    if (!Log(s, kOpDel, key, nullptr)) return Status::kError;
    s.free_slots.push_back(it->second);
    s.index.erase(it);
    if (s.ordered) s.sorted.erase(key);
    return Status::kOk;
  }

  Status ReadModifyWrite(uint64_t key, uint64_t increment,
                         char* value_out) override {
    Shard& s = ShardFor(key);
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.index.find(key);
    std::vector<char> next(vs_, 0);
    if (it != s.index.end()) std::memcpy(next.data(), Slot(s, it->second), vs_);
    uint64_t counter = 0;
    std::memcpy(&counter, next.data(), sizeof counter);
    counter += increment;
    std::memcpy(next.data(), &counter, sizeof counter);
    if (!Log(s, kOpPut, key, next.data())) return Status::kError;
    std::memcpy(Slot(s, SlotFor(s, key)), next.data(), vs_);
    std::memcpy(value_out, next.data(), vs_);
    return Status::kOk;
  }

  Status Scan(uint64_t start_key, uint32_t count, ScanVisitor visit,
              void* ctx) override {
    for (size_t i = 0; i < kShards; ++i) shards_[i].mu.lock();
    struct Cursor {
      std::set<uint64_t>::const_iterator it, end;
      size_t shard;
    };
    std::vector<Cursor> cursors;
    for (size_t i = 0; i < kShards; ++i) {
      Shard& s = shards_[i];
      if (!s.ordered) {
        s.sorted.clear();
        for (const auto& kv : s.index) s.sorted.insert(kv.first);
        s.ordered = true;
      }
      auto it = s.sorted.lower_bound(start_key);
      if (it != s.sorted.end()) cursors.push_back({it, s.sorted.end(), i});
    }
    auto later = [](const Cursor& a, const Cursor& b) { return *a.it > *b.it; };
    std::make_heap(cursors.begin(), cursors.end(), later);
    uint32_t visited = 0;
    while (visited < count && !cursors.empty()) {
      std::pop_heap(cursors.begin(), cursors.end(), later);
      Cursor& c = cursors.back();
      Shard& s = shards_[c.shard];
      uint64_t key = *c.it;
      ++visited;
      if (!visit(ctx, key, Slot(s, s.index.at(key)))) break;
      if (++c.it == c.end) {
        cursors.pop_back();
      } else {
        std::push_heap(cursors.begin(), cursors.end(), later);
      }
    }
    for (size_t i = kShards; i-- > 0;) shards_[i].mu.unlock();
    return Status::kOk;
  }

 private:
  Shard& ShardFor(uint64_t key) { return shards_[Mix(key) % kShards]; }

  char* Slot(Shard& s, uint32_t slot) {
    return s.chunks[slot / kChunkSlots].get() +
           static_cast<size_t>(slot % kChunkSlots) * vs_;
  }

  // The slot of `key`, creating a zero-filled one when the key is new.
  uint32_t SlotFor(Shard& s, uint64_t key) {
    auto it = s.index.find(key);
    if (it != s.index.end()) return it->second;
    uint32_t slot;
    if (!s.free_slots.empty()) {
      slot = s.free_slots.back();
      s.free_slots.pop_back();
    } else {
      slot = s.next_slot++;
      if (slot / kChunkSlots == s.chunks.size()) {
        s.chunks.emplace_back(new char[static_cast<size_t>(kChunkSlots) * vs_]);
      }
    }
    std::memset(Slot(s, slot), 0, vs_);
    s.index.emplace(key, slot);
    if (s.ordered) s.sorted.insert(key);
    return slot;
  }

  bool Log(Shard& s, uint64_t op, uint64_t key, const char* value) {
    if (s.log_fd < 0) return true;
    char* r = s.record.data();
    std::memcpy(r + 8, &op, 8);
    std::memcpy(r + 16, &key, 8);
    if (value != nullptr) {
      std::memcpy(r + 24, value, vs_);
    } else {
      std::memset(r + 24, 0, vs_);
    }
    uint64_t sum = Checksum(r + 8, record_size_ - 8);
    std::memcpy(r, &sum, 8);
    if (!WriteAll(s.log_fd, r, record_size_)) return false;
    if (config_.durability == Durability::kPowerLoss) {
      return ::fdatasync(s.log_fd) == 0;
    }
    return true;
  }

  bool Recover(size_t i) {
    Shard& s = shards_[i];
    std::string path = config_.data_dir + "/shard-" + std::to_string(i) + ".log";
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT, 0644);
    if (fd < 0) return false;
    std::vector<char> buf;
    char block[1 << 16];
    for (;;) {
      ssize_t n = ::read(fd, block, sizeof block);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      buf.insert(buf.end(), block, block + n);
    }
    size_t good = 0;
    while (good + record_size_ <= buf.size()) {
      const char* r = buf.data() + good;
      uint64_t sum = 0, op = 0, key = 0;
      std::memcpy(&sum, r, 8);
      if (sum != Checksum(r + 8, record_size_ - 8)) break;
      std::memcpy(&op, r + 8, 8);
      std::memcpy(&key, r + 16, 8);
      if (op == kOpPut) {
        std::memcpy(Slot(s, SlotFor(s, key)), r + 24, vs_);
      } else if (op == kOpDel) {
        auto it = s.index.find(key);
        if (it != s.index.end()) {
          s.free_slots.push_back(it->second);
          s.index.erase(it);
        }
      } else {
        break;
      }
      good += record_size_;
    }
    if (good != buf.size() && ::ftruncate(fd, static_cast<off_t>(good)) != 0) {
      ::close(fd);
      return false;
    }
    if (::lseek(fd, 0, SEEK_END) < 0) {
      ::close(fd);
      return false;
    }
    s.log_fd = fd;
    return true;
  }

  StoreConfig config_{};
  uint32_t vs_ = 0;
  size_t record_size_ = 0;
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace

extern "C" jitskit::KVStore* jitskit_create_store() { return new CorrectStore(); }
