// Small pieces every baseline adapter needs: key encoding that sorts as
// unsigned 64-bit integers, the read-modify-write arithmetic of the store
// contract, per-key lock striping, a scratch directory for durability `none`,
// and the CPU count the process may run on.
//
// Header-only so that each adapter stays one translation unit; the engine adds
// `-I<baselines>/common` (see baseline_catalog.py).
#ifndef JITSKIT_BASELINE_SUPPORT_H_
#define JITSKIT_BASELINE_SUPPORT_H_

#include <sched.h>
#include <stdlib.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

#include "jitskit/kvstore.h"

namespace jitskit {
namespace baseline {

constexpr size_t kKeyBytes = 8;

// Big-endian, so that a byte-wise comparator orders keys as unsigned integers.
inline void EncodeKey(uint64_t key, char* out) {
  for (size_t i = 0; i < kKeyBytes; ++i) {
    out[i] = static_cast<char>((key >> (8 * (kKeyBytes - 1 - i))) & 0xff);
  }
}

inline uint64_t DecodeKey(const char* in) {
  uint64_t key = 0;
  for (size_t i = 0; i < kKeyBytes; ++i) {
    key = (key << 8) | static_cast<unsigned char>(in[i]);
  }
  return key;
}

// Adds `increment` to the little-endian u64 in the first 8 bytes; the other
// bytes are left as they were.
inline void AddToCounter(char* value, uint64_t increment) {
  uint64_t counter = 0;
  for (size_t i = 0; i < 8; ++i) {
    counter |= static_cast<uint64_t>(static_cast<unsigned char>(value[i])) << (8 * i);
  }
  counter += increment;
  for (size_t i = 0; i < 8; ++i) {
    value[i] = static_cast<char>((counter >> (8 * i)) & 0xff);
  }
}

// A 64-bit finaliser (splitmix64's) so that clustered keys spread over
// buckets and lock stripes.
inline uint64_t MixKey(uint64_t key) {
  key ^= key >> 30;
  key *= 0xbf58476d1ce4e5b9ULL;
  key ^= key >> 27;
  key *= 0x94d049bb133111ebULL;
  key ^= key >> 31;
  return key;
}

// Serialises writers of the same key (upsert, delete, read-modify-write) in
// libraries whose point writes are atomic but whose get-then-put is not.
class StripedLocks {
 public:
  std::mutex& For(uint64_t key) { return stripes_[MixKey(key) & (kStripes - 1)].mutex; }

 private:
  static constexpr size_t kStripes = 1024;
  struct alignas(64) Stripe {
    std::mutex mutex;
  };
  std::array<Stripe, kStripes> stripes_;
};

// A fresh directory under $TMPDIR (default /tmp) for a disk-based library
// opened with durability `none` and no data_dir; removed by Remove().
class ScratchDir {
 public:
  ScratchDir() = default;
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() { Remove(); }

  bool Create(const std::string& library) {
    const char* tmp = getenv("TMPDIR");
    std::string base = (tmp != nullptr && tmp[0] != '\0') ? tmp : "/tmp";
    std::string pattern = base + "/jitskit-" + library + "-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (mkdtemp(buffer.data()) == nullptr) return false;
    path_ = buffer.data();
    return true;
  }

  void Remove() {
    if (path_.empty()) return;
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
    path_.clear();
  }

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Where the library keeps its files: the configured data_dir (created if
// missing), or a scratch directory when durability is `none` and none was
// given. Returns an empty string when neither can be made.
inline std::string PrepareDataDir(const StoreConfig& config, const std::string& library,
                                  ScratchDir* scratch) {
  if (config.data_dir.empty()) {
    if (config.durability != Durability::kNone) return "";
    return scratch->Create(library) ? scratch->path() : "";
  }
  std::error_code error;
  std::filesystem::create_directories(config.data_dir, error);
  return error ? "" : config.data_dir;
}

// Why PrepareDataDir returned an empty path, for the error message.
inline std::string DataDirProblem(const StoreConfig& config) {
  if (config.data_dir.empty()) {
    return "durability above `none` needs a data_dir, and none was given";
  }
  return "cannot create the data directory '" + config.data_dir +
         "'; check that its parent exists and is writable";
}

// CPUs this process may run on (the spec pins the harness to its CPUs).
inline uint32_t AvailableCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
  return static_cast<uint32_t>(std::max(1, CPU_COUNT(&set)));
}

// Background threads for flush/compaction: as many as the spec's threads,
// at least two (one flush, one compaction), at most the CPUs we may use.
inline int BackgroundJobs(const StoreConfig& config) {
  uint32_t jobs = std::max<uint32_t>(2, std::min(config.max_threads, AvailableCpus()));
  return static_cast<int>(jobs);
}

}  // namespace baseline
}  // namespace jitskit

#endif  // JITSKIT_BASELINE_SUPPORT_H_
