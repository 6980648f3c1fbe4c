// The reference store: correct and simple, not fast. Passes every gate at
// every durability level and supports ordered scans.
//
// Keys are range-partitioned into 16 shards by their top 4 bits (harness keys
// are spread over the whole 64-bit range), each an ordered map under a
// shared_mutex, so a scan walks shards in key order. Durable levels keep one
// append-only log per shard: process_crash write()s each record before
// acknowledging; power_loss also fdatasync()s it. Open replays the logs (up to
// the first torn or corrupt record, which is cut off); Close rewrites each log
// with only the live records.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "jitskit/kvstore.h"

namespace {

using jitskit::Durability;
using jitskit::ScanVisitor;
using jitskit::Status;
using jitskit::StoreConfig;

constexpr int kShardBits = 4;
constexpr int kShards = 1 << kShardBits;
constexpr uint8_t kPut = 1;
constexpr uint8_t kErase = 2;
// checksum (4) + type (1) + key (8)
constexpr size_t kRecordHeader = 13;

int ShardOf(uint64_t key) { return static_cast<int>(key >> (64 - kShardBits)); }

uint64_t LoadLittleEndian(const char* bytes) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) {
    value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  }
  return value;
}

void StoreLittleEndian(char* bytes, uint64_t value) {
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
}

uint32_t Checksum(const char* data, size_t size) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < size; ++i) {
    hash ^= static_cast<unsigned char>(data[i]);
    hash *= 0x100000001b3ULL;
  }
  return static_cast<uint32_t>(hash ^ (hash >> 32));
}

bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t written = write(fd, data, size);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return false;
    data += written;
    size -= static_cast<size_t>(written);
  }
  return true;
}

// Fixed-size value slots in chunks that never move, with a free list.
class SlotArena {
 public:
  void Init(uint32_t value_size) {
    value_size_ = value_size;
    per_chunk_ = std::max<uint32_t>(1, (1u << 20) / value_size);
  }
  uint32_t Allocate() {
    if (!free_.empty()) {
      uint32_t slot = free_.back();
      free_.pop_back();
      return slot;
    }
    if (next_ % per_chunk_ == 0) {
      chunks_.emplace_back(new char[size_t{per_chunk_} * value_size_]);
    }
    return next_++;
  }
  void Release(uint32_t slot) { free_.push_back(slot); }
  char* At(uint32_t slot) {
    return chunks_[slot / per_chunk_].get() +
           size_t{slot % per_chunk_} * value_size_;
  }

 private:
  uint32_t value_size_ = 0;
  uint32_t per_chunk_ = 1;
  uint32_t next_ = 0;
  std::vector<std::unique_ptr<char[]>> chunks_;
  std::vector<uint32_t> free_;
};

struct Shard {
  std::shared_mutex mutex;
  std::map<uint64_t, uint32_t> index;
  SlotArena arena;
  int log_fd = -1;
  std::string log_path;
};

class ReferenceStore : public jitskit::KVStore {
 public:
  Status Open(const StoreConfig& config) override {
    config_ = config;
    for (Shard& shard : shards_) shard.arena.Init(config.value_size);
    durable_ = config.durability != Durability::kNone;
    if (!durable_) return Status::kOk;
    if (config.data_dir.empty()) return Status::kError;
    if (mkdir(config.data_dir.c_str(), 0755) != 0 && errno != EEXIST) {
      return Status::kError;
    }
    for (int s = 0; s < kShards; ++s) {
      char name[32];
      std::snprintf(name, sizeof(name), "/ref-shard-%02d.log", s);
      shards_[s].log_path = config.data_dir + name;
      if (!Recover(shards_[s])) return Status::kError;
    }
    return SyncDirectory() ? Status::kOk : Status::kError;
  }

  Status Close() override {
    bool ok = true;
    for (Shard& shard : shards_) {
      if (shard.log_fd < 0) continue;
      ok = Compact(shard) && ok;
      close(shard.log_fd);
      shard.log_fd = -1;
    }
    if (durable_) ok = SyncDirectory() && ok;
    return ok ? Status::kOk : Status::kError;
  }

  Status Read(uint64_t key, char* value_out) override {
    Shard& shard = shards_[ShardOf(key)];
    std::shared_lock<std::shared_mutex> lock(shard.mutex);
    auto it = shard.index.find(key);
    if (it == shard.index.end()) return Status::kNotFound;
    std::memcpy(value_out, shard.arena.At(it->second), config_.value_size);
    return Status::kOk;
  }

  Status Upsert(uint64_t key, const char* value) override {
    Shard& shard = shards_[ShardOf(key)];
    {
      std::unique_lock<std::shared_mutex> lock(shard.mutex);
      if (!Log(shard, kPut, key, value)) return Status::kError;
      std::memcpy(SlotFor(shard, key), value, config_.value_size);
    }
    return Sync(shard);
  }

  Status Delete(uint64_t key) override {
    Shard& shard = shards_[ShardOf(key)];
    {
      std::unique_lock<std::shared_mutex> lock(shard.mutex);
      auto it = shard.index.find(key);
      if (it == shard.index.end()) return Status::kNotFound;
      if (!Log(shard, kErase, key, nullptr)) return Status::kError;
      shard.arena.Release(it->second);
      shard.index.erase(it);
    }
    return Sync(shard);
  }

  Status ReadModifyWrite(uint64_t key, uint64_t increment,
                         char* value_out) override {
    Shard& shard = shards_[ShardOf(key)];
    {
      std::unique_lock<std::shared_mutex> lock(shard.mutex);
      std::string updated(config_.value_size, '\0');
      auto it = shard.index.find(key);
      if (it != shard.index.end()) {
        std::memcpy(&updated[0], shard.arena.At(it->second), updated.size());
      }
      StoreLittleEndian(&updated[0],
                        LoadLittleEndian(updated.data()) + increment);
      if (!Log(shard, kPut, key, updated.data())) return Status::kError;
      std::memcpy(SlotFor(shard, key), updated.data(), updated.size());
      std::memcpy(value_out, updated.data(), updated.size());
    }
    return Sync(shard);
  }

  Status Scan(uint64_t start_key, uint32_t count, ScanVisitor visit,
              void* ctx) override {
    uint32_t visited = 0;
    for (int s = ShardOf(start_key); s < kShards && visited < count; ++s) {
      Shard& shard = shards_[s];
      std::shared_lock<std::shared_mutex> lock(shard.mutex);
      for (auto it = shard.index.lower_bound(start_key);
           it != shard.index.end() && visited < count; ++it) {
        ++visited;
        if (!visit(ctx, it->first, shard.arena.At(it->second))) {
          return Status::kOk;
        }
      }
    }
    return Status::kOk;
  }

 private:
  // The key's slot, allocated if absent. Caller holds the shard exclusively.
  char* SlotFor(Shard& shard, uint64_t key) {
    auto it = shard.index.find(key);
    if (it == shard.index.end()) {
      it = shard.index.emplace(key, shard.arena.Allocate()).first;
    }
    return shard.arena.At(it->second);
  }

  std::string Record(uint8_t type, uint64_t key, const char* value) const {
    size_t size = kRecordHeader + (type == kPut ? config_.value_size : 0);
    std::string record(size, '\0');
    record[4] = static_cast<char>(type);
    StoreLittleEndian(&record[5], key);
    if (type == kPut) {
      std::memcpy(&record[kRecordHeader], value, config_.value_size);
    }
    uint32_t checksum = Checksum(record.data() + 4, size - 4);
    std::memcpy(&record[0], &checksum, 4);
    return record;
  }

  // Appends under the shard lock, so the log's order is the apply order.
  bool Log(Shard& shard, uint8_t type, uint64_t key, const char* value) {
    if (!durable_) return true;
    std::string record = Record(type, key, value);
    return WriteAll(shard.log_fd, record.data(), record.size());
  }

  // After the lock is released, so other threads keep going while one syncs.
  Status Sync(Shard& shard) {
    if (config_.durability != Durability::kPowerLoss) return Status::kOk;
    return fdatasync(shard.log_fd) == 0 ? Status::kOk : Status::kError;
  }

  bool Recover(Shard& shard) {
    shard.log_fd = open(shard.log_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (shard.log_fd < 0) return false;
    std::string contents;
    char buffer[1 << 16];
    for (;;) {
      ssize_t got = read(shard.log_fd, buffer, sizeof(buffer));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return false;
      if (got == 0) break;
      contents.append(buffer, static_cast<size_t>(got));
    }
    size_t offset = 0;
    while (offset + kRecordHeader <= contents.size()) {
      const char* record = contents.data() + offset;
      uint8_t type = static_cast<uint8_t>(record[4]);
      size_t size = kRecordHeader + (type == kPut ? config_.value_size : 0);
      if ((type != kPut && type != kErase) || offset + size > contents.size()) {
        break;
      }
      uint32_t checksum;
      std::memcpy(&checksum, record, 4);
      if (checksum != Checksum(record + 4, size - 4)) break;
      uint64_t key = LoadLittleEndian(record + 5);
      if (type == kPut) {
        std::memcpy(SlotFor(shard, key), record + kRecordHeader,
                    config_.value_size);
      } else {
        auto it = shard.index.find(key);
        if (it != shard.index.end()) {
          shard.arena.Release(it->second);
          shard.index.erase(it);
        }
      }
      offset += size;
    }
    // Cut off a torn tail so later appends are not read as part of it.
    if (offset != contents.size() &&
        ftruncate(shard.log_fd, static_cast<off_t>(offset)) != 0) {
      return false;
    }
    return lseek(shard.log_fd, 0, SEEK_END) >= 0;
  }

  // Rewrites the log with only live records: write, sync, rename over.
  bool Compact(Shard& shard) {
    std::string temp_path = shard.log_path + ".tmp";
    int fd = open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                  0644);
    if (fd < 0) return false;
    bool ok = true;
    for (const auto& [key, slot] : shard.index) {
      std::string record = Record(kPut, key, shard.arena.At(slot));
      if (!WriteAll(fd, record.data(), record.size())) {
        ok = false;
        break;
      }
    }
    ok = ok && fdatasync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(temp_path.c_str(), shard.log_path.c_str()) != 0) {
      unlink(temp_path.c_str());
      // The old log is intact and still holds everything.
      return fdatasync(shard.log_fd) == 0;
    }
    return true;
  }

  bool SyncDirectory() {
    int fd = open(config_.data_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return false;
    bool ok = fsync(fd) == 0;
    close(fd);
    return ok;
  }

  StoreConfig config_{};
  bool durable_ = false;
  Shard shards_[kShards];
};

}  // namespace

extern "C" jitskit::KVStore* jitskit_create_store() {
  return new ReferenceStore();
}
