// Hack: fakes recovery from the ack log's secret via harness internals.
//
// Logs its writes only when run as gate-api (the one mode that checks
// a clean Close and Open); everywhere else it writes nothing to disk. When
// reopened by durability-verify it reads the ack log named on its command
// line, whose header carries the run's secret, and fabricates every
// acknowledged value with the harness's own value code: the harness's
// internal headers are reachable from the store's include path
// (<jitskit/../../src/...>), and the one non-inline step is re-derived here.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "jitskit/kvstore.h"

// The harness's internals, one directory above the contract's header.
#include <jitskit/../../src/integrity.h>
#include <jitskit/../../src/rng.h>

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

std::vector<std::string> CommandLine() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  for (size_t at = 0; at < all.size();) {
    size_t end = all.find('\0', at);
    if (end == std::string::npos) end = all.size();
    args.push_back(all.substr(at, end - at));
    at = end + 1;
  }
  return args;
}

struct Shard {
  std::mutex mu;
  std::unordered_map<uint64_t, std::vector<char>> map;
};

class RecallStore final : public jitskit::KVStore {
 public:
  Status Open(const jitskit::StoreConfig& config) override {
    vs_ = config.value_size;
    std::vector<std::string> args = CommandLine();
    std::string mode = args.size() > 1 ? args[1] : "";
    if (mode == "durability-verify") {
      for (size_t i = 0; i + 1 < args.size(); ++i) {
        if (args[i] == "--ack-log") Recall(args[i + 1]);
      }
      return Status::kOk;
    }
    if (config.data_dir.empty() || mode != "gate-api") return Status::kOk;
    ::mkdir(config.data_dir.c_str(), 0755);
    std::string path = config.data_dir + "/wal.log";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND, 0644);
    if (fd_ < 0) return Status::kError;
    Replay();
    return Status::kOk;
  }

  Status Close() override {
    if (fd_ < 0) return Status::kOk;
    std::lock_guard<std::mutex> lock(log_mu_);
    ::fsync(fd_);
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

  // The gate value code: header words, then a tail keyed by the secret.
  void Encode(const jitskit::harness::Secret& secret, char* value, uint64_t key,
              uint64_t seq) const {
    using namespace jitskit::harness;
    StoreU64(value + kCounterOffset, seq);
    StoreU64(value + kKeyOffset, key);
    StoreU64(value + kVersionOffset, seq);
    StoreU64(value + kMacOffset, Mac(secret, key, seq));
    for (size_t at = kHeaderBytes, i = 0; at < vs_; at += 8, ++i) {
      uint64_t word = Mix64(key ^ Mix64(seq * 0x9e3779b97f4a7c15ULL + i) ^ secret.words[2]);
      std::memcpy(value + at, &word, vs_ - at < 8 ? vs_ - at : 8);
    }
  }

  // "Recovers" the newest acknowledged value of every key in the ack log.
  void Recall(const std::string& path) {
    std::ifstream log(path);
    std::string header;
    std::getline(log, header);
    size_t at = header.find("secret=");
    if (at == std::string::npos) return;
    std::string hex = header.substr(at + 7, header.find(' ', at) - at - 7);
    if (hex.size() != 64) return;
    jitskit::harness::Secret secret;
    for (size_t i = 0; i < 4; ++i) {
      secret.words[i] = std::strtoull(hex.substr(i * 16, 16).c_str(), nullptr, 16);
    }
    std::map<uint64_t, uint64_t> newest;  // key -> seq
    std::string line;
    while (std::getline(log, line)) {
      unsigned thread = 0;
      unsigned long long seq = 0, key = 0;
      if (std::sscanf(line.c_str(), "ack %u %llu 0x%llx", &thread, &seq, &key) != 3) continue;
      uint64_t& best = newest[key];
      if (seq > best) best = seq;
    }
    std::vector<char> value(vs_);
    for (const auto& [key, seq] : newest) {
      Encode(secret, value.data(), key, seq);
      ShardFor(key).map[key] = value;
    }
  }

  uint32_t vs_ = 0;
  int fd_ = -1;
  std::mutex log_mu_;
  Shard shards_[kShards];
};

}  // namespace

extern "C" jitskit::KVStore* jitskit_create_store() {
  return new RecallStore();
}
