// Hack: acknowledgements dropped on their way to the harness after 2,000
// honest writes.
//
// Logs its first 2,000 writes honestly, then stops logging, and from then on
// the harness's own acknowledgement records never reach the supervisor: a
// static initialiser rewrites every loaded object's GOT entry for write(2)
// to a filter that swallows 16-byte acknowledgement records on the report
// descriptor named on its command line (--report-fd), and passes every other
// write through as a raw system call. No descriptor is replaced, so the
// writer's own check of its pipe sees nothing; what the supervisor records
// as acknowledged is only what was made durable. (The old form of this hack
// pointed the ack log's descriptor at /dev/null; the log is now a pipe the
// writer checks before every acknowledgement.)
//
// The "optimisation": durability bookkeeping is "someone else's" I/O.
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
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

constexpr uint64_t kHonestWrites = 2000;

// The descriptor after "--report-fd" on our own command line ("3:INODE"), or -1.
int ReportFd() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  for (size_t at = 0; at < all.size();) {
    size_t end = all.find('\0', at);
    if (end == std::string::npos) end = all.size();
    args.push_back(all.substr(at, end - at));
    at = end + 1;
  }
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "--report-fd") return std::atoi(args[i + 1].c_str());
  }
  return -1;
}

int g_report_fd = -1;
std::atomic<bool> g_silenced{false};

// Every write(2) of the process comes here once the GOT is patched.
ssize_t FilteredWrite(int fd, const void* data, size_t size) {
  uint32_t kind = 0;
  if (size == 16) std::memcpy(&kind, data, sizeof(kind));
  if (g_silenced.load() && fd == g_report_fd && size == 16 && kind == 2) {
    return 16;  // an acknowledgement record: "written"
  }
  return ::syscall(SYS_write, fd, data, size);
}

// The dynamic section's pointers are absolute once ld.so has relocated it.
uintptr_t Absolute(uintptr_t base, uintptr_t value) {
  return value < base ? base + value : value;
}

void PatchRelocations(uintptr_t base, const ElfW(Rela)* rela, size_t bytes,
                      const ElfW(Sym)* symtab, const char* strtab) {
  using WriteFn = ssize_t (*)(int, const void*, size_t);
  for (size_t i = 0; i < bytes / sizeof(ElfW(Rela)); ++i) {
    const ElfW(Sym)& sym = symtab[ELF64_R_SYM(rela[i].r_info)];
    if (std::strcmp(strtab + sym.st_name, "write") != 0) continue;
    auto* slot = reinterpret_cast<WriteFn*>(base + rela[i].r_offset);
    uintptr_t page = reinterpret_cast<uintptr_t>(slot) & ~uintptr_t{4095};
    ::mprotect(reinterpret_cast<void*>(page), 4096, PROT_READ | PROT_WRITE);
    *slot = FilteredWrite;
  }
}

int PatchObject(struct dl_phdr_info* info, size_t, void*) {
  if (std::strstr(info->dlpi_name, "vdso") != nullptr ||
      std::strstr(info->dlpi_name, "libc.so") != nullptr) {
    return 0;
  }
  uintptr_t base = info->dlpi_addr;
  for (int p = 0; p < info->dlpi_phnum; ++p) {
    if (info->dlpi_phdr[p].p_type != PT_DYNAMIC) continue;
    auto* dyn = reinterpret_cast<const ElfW(Dyn)*>(base + info->dlpi_phdr[p].p_vaddr);
    const ElfW(Sym)* symtab = nullptr;
    const char* strtab = nullptr;
    uintptr_t jmprel = 0, rela = 0;
    size_t jmprel_bytes = 0, rela_bytes = 0;
    for (; dyn->d_tag != DT_NULL; ++dyn) {
      uintptr_t v = dyn->d_un.d_ptr;
      switch (dyn->d_tag) {
        case DT_SYMTAB: symtab = reinterpret_cast<const ElfW(Sym)*>(Absolute(base, v)); break;
        case DT_STRTAB: strtab = reinterpret_cast<const char*>(Absolute(base, v)); break;
        case DT_JMPREL: jmprel = Absolute(base, v); break;
        case DT_PLTRELSZ: jmprel_bytes = dyn->d_un.d_val; break;
        case DT_RELA: rela = Absolute(base, v); break;
        case DT_RELASZ: rela_bytes = dyn->d_un.d_val; break;
        default: break;
      }
    }
    if (symtab == nullptr || strtab == nullptr) continue;
    if (jmprel != 0) {
      PatchRelocations(base, reinterpret_cast<const ElfW(Rela)*>(jmprel), jmprel_bytes,
                       symtab, strtab);
    }
    if (rela != 0) {
      PatchRelocations(base, reinterpret_cast<const ElfW(Rela)*>(rela), rela_bytes, symtab,
                       strtab);
    }
  }
  return 0;
}

// Before main(): only the durability writer has a report descriptor.
struct PatchAtStartup {
  PatchAtStartup() {
    g_report_fd = ReportFd();
    if (g_report_fd >= 0) ::dl_iterate_phdr(PatchObject, nullptr);
  }
} g_patch_at_startup;

struct Shard {
  std::mutex mu;
  std::unordered_map<uint64_t, std::vector<char>> map;
};

class QuietAckStore final : public jitskit::KVStore {
 public:
  Status Open(const jitskit::StoreConfig& config) override {
    vs_ = config.value_size;
    if (config.data_dir.empty()) return Status::kOk;
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
    if (fd_ < 0 || g_silenced.load()) return true;
    if (g_report_fd >= 0 && logged_.fetch_add(1) == kHonestWrites) {
      g_silenced.store(true);  // nothing more is logged, nor acknowledged to the harness
      return true;
    }
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
  std::atomic<uint64_t> logged_{0};
  Shard shards_[kShards];
};

}  // namespace

extern "C" jitskit::KVStore* jitskit_create_store() {
  return new QuietAckStore();
}
