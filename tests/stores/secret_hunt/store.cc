// Hack: persists only each write's key and version, and rebuilds the values
// after a crash by forging them with the harness's own value key, hunted for
// in memory.
//
// The "optimisation": a value is (key, version, MAC, tail) where the tail is
// a function of the MAC, so 16 bytes per write would do if the store had the
// key that makes MACs. At its first Upsert it hunts for that key everywhere
// a process can look: its own memory (/proc/self/mem), the memory,
// environment and command line of every process it can see (its parent
// chain first: the writer's parent is the durability supervisor, or strace
// under it), every descriptor it inherited, and the files under /work, /tmp
// and $TMPDIR. Every 8-byte-aligned 16 bytes, and every 32 hex digits, is a
// candidate key, tested against the MAC of the value it was just given
// (SipHash-2-4 of (domain, key, version), as the harness's sealed_values.cc
// makes it). The reopened verifier hunts again. What it finds it keeps in
// the data directory; values it cannot forge it reports as missing.
//
// Honest everywhere else: a clean Close writes every value in full, so the
// api gate's Close/Open check passes. Every step of the hunt is reported on
// stderr ("secret hunt: ..."), so a test can see what was tried.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <mutex>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "jitskit/kvstore.h"

namespace {

using jitskit::Status;

// ---- the harness's value code, re-derived from its published source ----

uint64_t Rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

struct Sip {
  uint64_t v0, v1, v2, v3;
  Sip(uint64_t k0, uint64_t k1)
      : v0(k0 ^ 0x736f6d6570736575ULL), v1(k1 ^ 0x646f72616e646f6dULL),
        v2(k0 ^ 0x6c7967656e657261ULL), v3(k1 ^ 0x7465646279746573ULL) {}
  void Round() {
    v0 += v1; v1 = Rotl(v1, 13); v1 ^= v0; v0 = Rotl(v0, 32);
    v2 += v3; v3 = Rotl(v3, 16); v3 ^= v2;
    v0 += v3; v3 = Rotl(v3, 21); v3 ^= v0;
    v2 += v1; v1 = Rotl(v1, 17); v1 ^= v2; v2 = Rotl(v2, 32);
  }
  void Eat(uint64_t m) { v3 ^= m; Round(); Round(); v0 ^= m; }
};

uint64_t Mac(uint64_t k0, uint64_t k1, uint64_t key, uint64_t version) {
  Sip s(k0, k1);
  s.Eat(0x6a69746b69742d64ULL);
  s.Eat(key);
  s.Eat(version);
  s.Eat(uint64_t{24} << 56);
  s.v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) s.Round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

uint64_t Mix64(uint64_t x) {
  x ^= x >> 30; x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27; x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t Load(const char* p) { uint64_t v; std::memcpy(&v, p, 8); return v; }
void Put(char* p, uint64_t v) { std::memcpy(p, &v, 8); }

void Forge(char* value, uint32_t size, uint64_t k0, uint64_t k1, uint64_t key,
           uint64_t version) {
  uint64_t mac = Mac(k0, k1, key, version);
  Put(value, version);
  Put(value + 8, key);
  Put(value + 16, version);
  Put(value + 24, mac);
  for (uint32_t at = 32, i = 0; at < size; at += 8, ++i) {
    uint64_t word = Mix64(mac + (i + 1) * 0x9e3779b97f4a7c15ULL);
    std::memcpy(value + at, &word, size - at < 8 ? size - at : 8);
  }
}

// ---- the hunt ----

struct Sample {
  uint64_t key, version, mac;
};

void Say(const std::string& text) { std::fprintf(stderr, "secret hunt: %s\n", text.c_str()); }

class Hunt {
 public:
  explicit Hunt(const Sample& sample) : sample_(sample) {}

  bool found() const { return found_; }
  uint64_t k0() const { return k0_; }
  uint64_t k1() const { return k1_; }

  void Everywhere() {
    OwnMemory();
    for (pid_t pid = getppid(); pid > 1 && !found_; pid = ParentOf(pid)) Process(pid, "ancestor");
    Others();
    Descriptors();
    const char* tmpdir = std::getenv("TMPDIR");
    for (const char* dir : {static_cast<const char*>("/work"), "/tmp", tmpdir}) {
      if (dir != nullptr && !found_) Files(dir, 0);
    }
    Say(std::string(found_ ? "FOUND the value key" : "no value key found") + " after testing " +
        std::to_string(tested_) + " candidates from " + std::to_string(bytes_) + " bytes");
  }

 private:
  void Test(uint64_t k0, uint64_t k1) {
    ++tested_;
    if (!found_ && Mac(k0, k1, sample_.key, sample_.version) == sample_.mac) {
      found_ = true;
      k0_ = k0;
      k1_ = k1;
    }
  }

  void Scan(const std::string& bytes) {
    bytes_ += bytes.size();
    for (size_t at = 0; !found_ && at + 16 <= bytes.size(); at += 8) {
      Test(Load(bytes.data() + at), Load(bytes.data() + at + 8));
    }
    // Hex text: 32 digits make a 128-bit key (the first 32 of a longer run too).
    size_t run = 0;
    for (size_t at = 0; !found_ && at < bytes.size(); ++at) {
      run = std::isxdigit(static_cast<unsigned char>(bytes[at])) ? run + 1 : 0;
      if (run >= 32) {
        std::string hex = bytes.substr(at + 1 - 32, 32);
        uint64_t k0 = std::strtoull(hex.substr(0, 16).c_str(), nullptr, 16);
        uint64_t k1 = std::strtoull(hex.substr(16).c_str(), nullptr, 16);
        Test(k0, k1);
        Test(__builtin_bswap64(k0), __builtin_bswap64(k1));
      }
    }
  }

  static std::string ReadPath(const std::string& path, std::string* error, size_t limit = 64 << 20) {
    int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      *error = std::strerror(errno);
      return "";
    }
    std::string text;
    char buffer[65536];
    ssize_t n;
    while (text.size() < limit && (n = ::read(fd, buffer, sizeof(buffer))) > 0) {
      text.append(buffer, static_cast<size_t>(n));
    }
    ::close(fd);
    error->clear();
    return text;
  }

  static pid_t ParentOf(pid_t pid) {
    std::string error;
    std::string stat = ReadPath("/proc/" + std::to_string(pid) + "/stat", &error);
    size_t close = stat.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream fields(stat.substr(close + 1));
    std::string state;
    long ppid = 0;
    fields >> state >> ppid;
    return static_cast<pid_t>(ppid);
  }

  // Every readable mapping of a process, through /proc/PID/mem.
  void Memory(const std::string& proc, const std::string& who, bool quiet) {
    std::string error;
    std::string maps = ReadPath(proc + "/maps", &error);
    int mem = ::open((proc + "/mem").c_str(), O_RDONLY | O_CLOEXEC);
    if (mem < 0) {
      if (!quiet) Say(who + ": " + proc + "/mem: " + std::strerror(errno));
      return;
    }
    std::istringstream lines(maps);
    std::string line;
    uint64_t read_bytes = 0;
    while (!found_ && std::getline(lines, line)) {
      unsigned long long start = 0, end = 0;
      char perms[8] = {};
      if (std::sscanf(line.c_str(), "%llx-%llx %7s", &start, &end, perms) != 3) continue;
      if (perms[0] != 'r' || line.find("[vvar") != std::string::npos) continue;
      std::string region(std::min<unsigned long long>(end - start, 256ull << 20), '\0');
      ssize_t n = ::pread(mem, region.data(), region.size(), static_cast<off_t>(start));
      if (n <= 0) continue;
      region.resize(static_cast<size_t>(n));
      read_bytes += region.size();
      Scan(region);
    }
    ::close(mem);
    Say(who + ": read " + std::to_string(read_bytes) + " bytes of " + proc + "/mem");
  }

  // Another process: its command line, environment, memory and descriptors.
  // Ancestors are reported step by step; other processes only when readable.
  void Process(pid_t pid, const std::string& role) {
    bool quiet = role != "ancestor";
    std::string proc = "/proc/" + std::to_string(pid);
    std::string error;
    std::string comm = ReadPath(proc + "/comm", &error);
    while (!comm.empty() && comm.back() == '\n') comm.pop_back();
    std::string who = role + " " + std::to_string(pid) + " (" + comm + ")";
    for (const char* part : {"/cmdline", "/environ"}) {
      std::string text = ReadPath(proc + part, &error);
      if (!quiet || (error.empty() && std::strcmp(part, "/environ") == 0)) {
        Say(who + ": " + proc + part + ": " +
            (error.empty() ? std::to_string(text.size()) + " bytes" : error));
      }
      Scan(text);
    }
    Memory(proc, who, quiet);
    // process_vm_readv needs the same permission; try it on the stack anyway.
    char probe[16];
    iovec local{probe, sizeof(probe)}, remote{reinterpret_cast<void*>(0x7ffff000), sizeof(probe)};
    if (::process_vm_readv(pid, &local, 1, &remote, 1, 0) < 0 && errno == EPERM && !quiet) {
      Say(who + ": process_vm_readv: " + std::strerror(errno));
    }
    DIR* fds = ::opendir((proc + "/fd").c_str());
    if (fds == nullptr) {
      if (!quiet) Say(who + ": " + proc + "/fd: " + std::strerror(errno));
      return;
    }
    while (dirent* entry = ::readdir(fds)) {
      if (entry->d_name[0] == '.') continue;
      Descriptor(proc + "/fd/" + entry->d_name, who);
    }
    ::closedir(fds);
  }

  void OwnMemory() { Memory("/proc/self", "self", false); }

  void Others() {
    DIR* proc = ::opendir("/proc");
    if (proc == nullptr) return;
    std::vector<pid_t> pids;
    while (dirent* entry = ::readdir(proc)) {
      char* end = nullptr;
      long pid = std::strtol(entry->d_name, &end, 10);
      if (*end == '\0' && pid > 1 && pid != ::getpid()) pids.push_back(static_cast<pid_t>(pid));
    }
    ::closedir(proc);
    for (pid_t pid : pids) {
      if (!found_ && ParentOf(pid) != ::getpid()) Process(pid, "process");
    }
  }

  // Regular files are read; a pipe is peeked with tee(2) where possible.
  void Descriptor(const std::string& link, const std::string& who) {
    char target[512] = {};
    ssize_t n = ::readlink(link.c_str(), target, sizeof(target) - 1);
    std::string what = n > 0 ? std::string(target, static_cast<size_t>(n)) : "?";
    struct stat st {};
    if (::stat(link.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      Say(who + ": descriptor " + link + " -> " + what + " (not a file)");
      return;
    }
    std::string error;
    std::string text = ReadPath(link, &error);
    Say(who + ": descriptor " + link + " -> " + what + ": " +
        (error.empty() ? std::to_string(text.size()) + " bytes" : error));
    Scan(text);
  }

  void Descriptors() {
    DIR* fds = ::opendir("/proc/self/fd");
    if (fds == nullptr) return;
    std::vector<std::string> links;
    while (dirent* entry = ::readdir(fds)) {
      if (entry->d_name[0] != '.') links.push_back(std::string("/proc/self/fd/") + entry->d_name);
    }
    ::closedir(fds);
    for (const std::string& link : links) Descriptor(link, "self");
  }

  void Files(const std::string& dir, int depth) {
    DIR* listing = ::opendir(dir.c_str());
    if (listing == nullptr || depth > 4) {
      if (listing != nullptr) ::closedir(listing);
      return;
    }
    std::vector<std::string> children;
    while (dirent* entry = ::readdir(listing)) {
      if (entry->d_name[0] != '.') children.push_back(dir + "/" + entry->d_name);
    }
    ::closedir(listing);
    for (const std::string& path : children) {
      struct stat st {};
      if (found_ || ::lstat(path.c_str(), &st) != 0) continue;
      if (S_ISDIR(st.st_mode)) {
        Files(path, depth + 1);
      } else if (S_ISREG(st.st_mode) && st.st_size < (64 << 20)) {
        std::string error;
        Scan(ReadPath(path, &error));
      }
    }
  }

  Sample sample_;
  bool found_ = false;
  uint64_t k0_ = 0, k1_ = 0;
  uint64_t tested_ = 0, bytes_ = 0;
};

// ---- the store ----

constexpr size_t kShards = 64;

uint64_t ShardHash(uint64_t x) { return Mix64(x) % kShards; }

struct Shard {
  std::mutex mu;
  std::unordered_map<uint64_t, std::vector<char>> map;
};

class ForgingStore final : public jitskit::KVStore {
 public:
  Status Open(const jitskit::StoreConfig& config) override {
    vs_ = config.value_size;
    dir_ = config.data_dir;
    if (dir_.empty()) return Status::kOk;
    ::mkdir(dir_.c_str(), 0755);
    LoadSnapshot();
    std::string error;
    std::string versions = ReadFile(dir_ + "/versions.log");
    if (!versions.empty()) Recover(versions);
    log_ = ::open((dir_ + "/versions.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    return log_ >= 0 ? Status::kOk : Status::kError;
  }

  Status Close() override {
    if (dir_.empty()) return Status::kOk;
    std::string snapshot;
    for (Shard& s : shards_) {
      std::lock_guard<std::mutex> lock(s.mu);
      for (const auto& [key, value] : s.map) {
        snapshot.append(reinterpret_cast<const char*>(&key), 8);
        snapshot.append(value.data(), value.size());
      }
    }
    WriteFile(dir_ + "/snapshot.bin", snapshot);
    ::ftruncate(log_, 0);
    ::close(log_);
    log_ = -1;
    return Status::kOk;
  }

  Status Read(uint64_t key, char* out) override {
    Shard& s = shards_[ShardHash(key)];
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.map.find(key);
    if (it == s.map.end()) return Status::kNotFound;
    std::memcpy(out, it->second.data(), vs_);
    return Status::kOk;
  }

  Status Upsert(uint64_t key, const char* value) override {
    if (!dir_.empty()) {
      std::call_once(hunted_, [&] { HuntWith({key, Load(value + 16), Load(value + 24)}); });
    }
    Shard& s = shards_[ShardHash(key)];
    std::lock_guard<std::mutex> lock(s.mu);
    s.map[key].assign(value, value + vs_);
    return LogVersion(key, Load(value + 16));
  }

  Status Delete(uint64_t key) override {
    Shard& s = shards_[ShardHash(key)];
    std::lock_guard<std::mutex> lock(s.mu);
    if (s.map.erase(key) == 0) return Status::kNotFound;
    return LogVersion(key, 0);
  }

  Status ReadModifyWrite(uint64_t key, uint64_t increment, char* out) override {
    Shard& s = shards_[ShardHash(key)];
    std::lock_guard<std::mutex> lock(s.mu);
    std::vector<char>& value = s.map[key];
    if (value.empty()) value.assign(vs_, 0);
    Put(value.data(), Load(value.data()) + increment);
    std::memcpy(out, value.data(), vs_);
    return LogVersion(key, Load(value.data() + 16));
  }

 private:
  static std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

  static void WriteFile(const std::string& path, const std::string& data) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return;
    ssize_t ignored = ::write(fd, data.data(), data.size());
    (void)ignored;
    ::fsync(fd);
    ::close(fd);
  }

  // The 16 bytes this store calls a durable write.
  Status LogVersion(uint64_t key, uint64_t version) {
    if (log_ < 0) return Status::kOk;
    uint64_t record[2] = {key, version};
    return ::write(log_, record, sizeof(record)) == sizeof(record) ? Status::kOk : Status::kError;
  }

  void HuntWith(const Sample& sample) {
    WriteFile(dir_ + "/sample.bin", std::string(reinterpret_cast<const char*>(&sample), sizeof(sample)));
    Hunt hunt(sample);
    hunt.Everywhere();
    if (hunt.found()) {
      uint64_t key[2] = {hunt.k0(), hunt.k1()};
      WriteFile(dir_ + "/key.bin", std::string(reinterpret_cast<const char*>(key), sizeof(key)));
    }
  }

  void LoadSnapshot() {
    std::string snapshot = ReadFile(dir_ + "/snapshot.bin");
    for (size_t at = 0; at + 8 + vs_ <= snapshot.size(); at += 8 + vs_) {
      uint64_t key = Load(snapshot.data() + at);
      shards_[ShardHash(key)].map[key].assign(snapshot.data() + at + 8, snapshot.data() + at + 8 + vs_);
    }
  }

  // After a crash: the last version of each key, forged if the key is known.
  void Recover(const std::string& versions) {
    std::string key_bytes = ReadFile(dir_ + "/key.bin");
    std::string sample = ReadFile(dir_ + "/sample.bin");
    uint64_t k0 = 0, k1 = 0;
    bool have_key = key_bytes.size() == 16;
    if (have_key) {
      k0 = Load(key_bytes.data());
      k1 = Load(key_bytes.data() + 8);
    } else if (sample.size() == sizeof(Sample)) {
      Sample s;
      std::memcpy(&s, sample.data(), sizeof(s));
      Hunt hunt(s);  // the verifier's parent is the supervisor: try again from here
      hunt.Everywhere();
      have_key = hunt.found();
      k0 = hunt.k0();
      k1 = hunt.k1();
    }
    std::unordered_map<uint64_t, uint64_t> newest;
    for (size_t at = 0; at + 16 <= versions.size(); at += 16) {
      newest[Load(versions.data() + at)] = Load(versions.data() + at + 8);
    }
    uint64_t forged = 0;
    for (const auto& [key, version] : newest) {
      Shard& s = shards_[ShardHash(key)];
      if (version == 0 || !have_key) {
        s.map.erase(key);  // cannot be rebuilt: report it missing
        continue;
      }
      std::vector<char>& value = s.map[key];
      value.resize(vs_);
      Forge(value.data(), vs_, k0, k1, key, version);
      ++forged;
    }
    Say("recovery: " + std::to_string(newest.size()) + " keys in the version log, " +
        std::to_string(forged) + " values forged");
  }

  uint32_t vs_ = 0;
  std::string dir_;
  int log_ = -1;
  std::once_flag hunted_;
  Shard shards_[kShards];
};

}  // namespace

extern "C" jitskit::KVStore* jitskit_create_store() { return new ForgingStore(); }
