// Control: correct and deliberately slow, the way a careful newcomer writes a
// durable store. Not a hack: it must pass every gate at every durability
// level, power_loss included; it is the catch matrix's false-positive control
// for stores that are slow rather than wrong.
//
// One std::shared_mutex over one std::map. Every write (Upsert, Delete,
// ReadModifyWrite) appends one fixed-size record to a write-ahead log and,
// unless durability is none, fdatasync()s it before it is acknowledged, under
// the exclusive lock: one sync per write, no group commit. Open replays the
// log up to the first torn or corrupt record and cuts the log there; the log
// is never compacted. Reads and scans take the lock shared.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "jitskit/kvstore.h"

namespace {

using jitskit::Durability;
using jitskit::ScanVisitor;
using jitskit::Status;

constexpr unsigned char kPut = 1;
constexpr unsigned char kErase = 2;
// checksum (8) + operation (1) + key (8), then value_size bytes
constexpr size_t kHeader = 17;

uint64_t Fnv(const char* data, size_t size) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < size; ++i) {
    hash ^= static_cast<unsigned char>(data[i]);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

class SlowDurableStore final : public jitskit::KVStore {
 public:
  Status Open(const jitskit::StoreConfig& config) override {
    std::unique_lock<std::shared_mutex> lock(mu_);
    value_size_ = config.value_size;
    sync_ = config.durability != Durability::kNone;
    map_.clear();
    if (config.data_dir.empty()) return Status::kOk;
    if (::mkdir(config.data_dir.c_str(), 0755) != 0 && errno != EEXIST) return Status::kError;
    std::string path = config.data_dir + "/wal.log";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) return Status::kError;
    if (!Replay()) return Status::kError;
    // The log's directory entry must survive a power loss too.
    int dir = ::open(config.data_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return Status::kError;
    bool synced = !sync_ || ::fsync(dir) == 0;
    ::close(dir);
    return synced ? Status::kOk : Status::kError;
  }

  Status Close() override {
    std::unique_lock<std::shared_mutex> lock(mu_);
    if (fd_ < 0) return Status::kOk;
    bool ok = !sync_ || ::fdatasync(fd_) == 0;
    ok = ::close(fd_) == 0 && ok;
    fd_ = -1;
    return ok ? Status::kOk : Status::kError;
  }

  Status Read(uint64_t key, char* value_out) override {
    std::shared_lock<std::shared_mutex> lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end()) return Status::kNotFound;
    std::memcpy(value_out, it->second.data(), value_size_);
    return Status::kOk;
  }

  Status Upsert(uint64_t key, const char* value) override {
    std::unique_lock<std::shared_mutex> lock(mu_);
    if (!Log(kPut, key, value)) return Status::kError;
    map_[key].assign(value, value_size_);
    return Status::kOk;
  }

  Status Delete(uint64_t key) override {
    std::unique_lock<std::shared_mutex> lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end()) return Status::kNotFound;
    if (!Log(kErase, key, nullptr)) return Status::kError;
    map_.erase(it);
    return Status::kOk;
  }

  Status ReadModifyWrite(uint64_t key, uint64_t increment, char* value_out) override {
    std::unique_lock<std::shared_mutex> lock(mu_);
    std::string next(value_size_, '\0');
    auto it = map_.find(key);
    if (it != map_.end()) next = it->second;
    uint64_t counter = 0;
    std::memcpy(&counter, next.data(), sizeof(counter));
    counter += increment;
    std::memcpy(&next[0], &counter, sizeof(counter));
    if (!Log(kPut, key, next.data())) return Status::kError;
    map_[key] = next;
    std::memcpy(value_out, next.data(), value_size_);
    return Status::kOk;
  }

  Status Scan(uint64_t start_key, uint32_t count, ScanVisitor visit, void* ctx) override {
    std::shared_lock<std::shared_mutex> lock(mu_);
    uint32_t seen = 0;
    for (auto it = map_.lower_bound(start_key); it != map_.end() && seen < count; ++it) {
      ++seen;
      if (!visit(ctx, it->first, it->second.data())) break;
    }
    return Status::kOk;
  }

 private:
  // Appends one record and, for a durable store, syncs it before returning.
  bool Log(unsigned char op, uint64_t key, const char* value) {
    if (fd_ < 0) return true;
    std::vector<char> record(kHeader + value_size_, '\0');
    record[8] = static_cast<char>(op);
    std::memcpy(record.data() + 9, &key, sizeof(key));
    if (value != nullptr) std::memcpy(record.data() + kHeader, value, value_size_);
    uint64_t sum = Fnv(record.data() + 8, record.size() - 8);
    std::memcpy(record.data(), &sum, sizeof(sum));
    if (!WriteAll(fd_, record.data(), record.size())) return false;
    return !sync_ || ::fdatasync(fd_) == 0;
  }

  // Applies every whole, intact record; cuts the log after the last one, so a
  // write torn by a crash is neither applied nor left in front of new ones.
  bool Replay() {
    std::vector<char> record(kHeader + value_size_);
    off_t good = 0;
    while (::pread(fd_, record.data(), record.size(), good) ==
           static_cast<ssize_t>(record.size())) {
      uint64_t sum = 0;
      std::memcpy(&sum, record.data(), sizeof(sum));
      if (sum != Fnv(record.data() + 8, record.size() - 8)) break;
      uint64_t key = 0;
      std::memcpy(&key, record.data() + 9, sizeof(key));
      if (record[8] == static_cast<char>(kPut)) {
        map_[key].assign(record.data() + kHeader, value_size_);
      } else if (record[8] == static_cast<char>(kErase)) {
        map_.erase(key);
      } else {
        break;
      }
      good += static_cast<off_t>(record.size());
    }
    if (::ftruncate(fd_, good) != 0) return false;
    if (sync_ && ::fdatasync(fd_) != 0) return false;
    return ::lseek(fd_, good, SEEK_SET) == good;
  }

  std::shared_mutex mu_;
  std::map<uint64_t, std::string> map_;
  uint32_t value_size_ = 0;
  bool sync_ = false;
  int fd_ = -1;
};

}  // namespace

extern "C" jitskit::KVStore* jitskit_create_store() { return new SlowDurableStore(); }
