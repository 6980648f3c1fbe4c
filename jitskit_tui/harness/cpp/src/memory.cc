#include "memory.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <vector>

namespace jitskit::harness {
namespace {

constexpr long kTmpfsMagic = 0x01021994;
// Larger drops of VmHWM than this mean the mark was reset, not counter noise.
constexpr uint64_t kHighWaterNoise = 4u << 20;

uint64_t FieldKiB(const char* text, const char* field) {
  const char* at = std::strstr(text, field);
  if (at == nullptr) return 0;
  unsigned long long kib = 0;
  if (std::sscanf(at + std::strlen(field), " %llu", &kib) != 1) return 0;
  return static_cast<uint64_t>(kib) * 1024;
}

// Reads a small /proc file into `text` with plain read(2): no allocation, so
// sampling does not itself move the numbers it measures.
bool ReadSmall(const char* path, char* text, size_t size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t length = read(fd, text, size - 1);
  close(fd);
  if (length <= 0) return false;
  text[length] = '\0';
  return true;
}

std::vector<std::string> Entries(const std::string& directory) {
  std::vector<std::string> names;
  DIR* dir = opendir(directory.c_str());
  if (dir == nullptr) return names;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') names.push_back(entry->d_name);
  }
  closedir(dir);
  return names;
}

// Child pids of every thread of `pid`.
std::vector<std::string> Children(const std::string& pid) {
  std::vector<std::string> children;
  std::string tasks = "/proc/" + pid + "/task";
  for (const std::string& task : Entries(tasks)) {
    char text[4096];
    std::string path = tasks + "/" + task + "/children";
    if (!ReadSmall(path.c_str(), text, sizeof(text))) continue;
    char* cursor = text;
    while (*cursor != '\0') {
      char* end = nullptr;
      long child = std::strtol(cursor, &end, 10);
      if (end == cursor) break;
      children.push_back(std::to_string(child));
      cursor = end;
    }
  }
  return children;
}

uint64_t TreeBytes(const std::string& pid, int depth) {
  uint64_t total = 0;
  for (const std::string& child : Children(pid)) {
    char text[8192];
    std::string path = "/proc/" + child + "/status";
    if (ReadSmall(path.c_str(), text, sizeof(text))) {
      total += FieldKiB(text, "VmRSS:");
    }
    if (depth > 0) total += TreeBytes(child, depth - 1);
  }
  return total;
}

}  // namespace

ResidentSet ReadResidentSet() {
  ResidentSet set;
  char text[8192];
  if (!ReadSmall("/proc/self/status", text, sizeof(text))) return set;
  set.rss = FieldKiB(text, "VmRSS:");
  set.high_water = FieldKiB(text, "VmHWM:");
  set.shmem = FieldKiB(text, "RssShmem:");
  return set;
}

uint64_t SharedFileBytes() {
  uint64_t total = 0;
  std::set<std::pair<dev_t, ino_t>> seen;
  for (const std::string& name : Entries("/proc/self/fd")) {
    int fd = std::atoi(name.c_str());
    char target[512];
    std::string link = "/proc/self/fd/" + name;
    ssize_t length = readlink(link.c_str(), target, sizeof(target) - 1);
    if (length <= 0) continue;
    target[length] = '\0';
    std::string path(target);
    bool memfd = path.rfind("/memfd:", 0) == 0;
    bool shm = path.rfind("/dev/shm/", 0) == 0;
    bool deleted = path.size() > 10 &&
                   path.compare(path.size() - 10, 10, " (deleted)") == 0;
    if (!memfd && !shm && !deleted) continue;
    struct statfs fs {};
    if (!memfd && (fstatfs(fd, &fs) != 0 || fs.f_type != kTmpfsMagic)) {
      continue;
    }
    struct stat st {};
    if (fstat(fd, &st) != 0 || !seen.insert({st.st_dev, st.st_ino}).second) {
      continue;
    }
    total += static_cast<uint64_t>(st.st_blocks) * 512;
  }
  return total;
}

uint64_t ChildProcessBytes() { return TreeBytes("self", 4); }

void PeakMemory::Start() {
  std::lock_guard<std::mutex> lock(mutex_);
  // Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0).
  int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    reset_ok_ = write(fd, "5", 1) == 1;
    close(fd);
  }
  ResidentSet set = ReadResidentSet();
  baseline_ = set.rss;
  high_water_at_start_ = set.high_water;
  last_high_water_ = set.high_water;
  rss_max_ = set.rss;
  total_max_ = set.rss;
  started_ = true;
}

void PeakMemory::Sample() {
  std::lock_guard<std::mutex> lock(mutex_);
  SampleLocked();
}

void PeakMemory::SampleLocked() {
  if (!started_) return;
  ResidentSet set = ReadResidentSet();
  // The mark falls by more than counter noise only when someone writes
  // /proc/self/clear_refs. Kernels with per-CPU RSS counters report an
  // approximate mark that dips by a few hundred KiB on its own.
  if (set.high_water + kHighWaterNoise < last_high_water_) {
    high_water_reset_ = true;
  }
  last_high_water_ = set.high_water;
  if (set.rss > rss_max_) rss_max_ = set.rss;
  uint64_t total = set.rss + extra_shared_ + children_;
  if (total > total_max_) total_max_ = total;
}

void PeakMemory::SampleOutside() {
  uint64_t shared = SharedFileBytes();
  uint64_t children = ChildProcessBytes();
  std::lock_guard<std::mutex> lock(mutex_);
  if (!started_) return;
  uint64_t mapped = ReadResidentSet().shmem;
  extra_shared_ = shared > mapped ? shared - mapped : 0;
  children_ = children;
  if (shared > shared_max_) shared_max_ = shared;
  if (children > children_max_) children_max_ = children;
  SampleLocked();
}

MemoryBreakdown PeakMemory::StorePeak() {
  SampleOutside();
  std::lock_guard<std::mutex> lock(mutex_);
  ResidentSet set = ReadResidentSet();
  // Without a reset at Start, the high-water mark may still be the trace
  // generator's; it only tells us something once it rose past that. After a
  // reset by the store, the samples are all there is.
  bool high_water_valid = !high_water_reset_ &&
                          (reset_ok_ || set.high_water > high_water_at_start_);
  uint64_t rss_peak = rss_max_;
  if (high_water_valid && set.high_water > rss_peak) rss_peak = set.high_water;
  uint64_t total = total_max_;
  if (rss_peak + extra_shared_ + children_ > total) {
    total = rss_peak + extra_shared_ + children_;
  }
  MemoryBreakdown breakdown;
  breakdown.peak = total > baseline_ ? total - baseline_ : 0;
  breakdown.rss_peak = rss_peak > baseline_ ? rss_peak - baseline_ : 0;
  breakdown.shared_files = shared_max_;
  breakdown.child_processes = children_max_;
  breakdown.high_water_reset = high_water_reset_;
  return breakdown;
}

}  // namespace jitskit::harness
