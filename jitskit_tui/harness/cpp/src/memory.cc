#include "memory.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace jitskit::harness {
namespace {

uint64_t FieldKiB(const char* text, const char* field) {
  const char* at = std::strstr(text, field);
  if (at == nullptr) return 0;
  unsigned long long kib = 0;
  if (std::sscanf(at + std::strlen(field), " %llu", &kib) != 1) return 0;
  return static_cast<uint64_t>(kib) * 1024;
}

}  // namespace

ResidentSet ReadResidentSet() {
  // Plain read(2) into a stack buffer: no allocation, so sampling does not
  // itself move the numbers it measures.
  ResidentSet set;
  int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return set;
  char text[8192];
  ssize_t length = read(fd, text, sizeof(text) - 1);
  close(fd);
  if (length <= 0) return set;
  text[length] = '\0';
  set.rss = FieldKiB(text, "VmRSS:");
  set.high_water = FieldKiB(text, "VmHWM:");
  return set;
}

void PeakMemory::Start() {
  // Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0).
  int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    reset_ok_ = write(fd, "5", 1) == 1;
    close(fd);
  }
  ResidentSet set = ReadResidentSet();
  baseline_ = set.rss;
  high_water_at_start_ = set.high_water;
  sampled_max_.store(set.rss, std::memory_order_relaxed);
}

void PeakMemory::Sample() {
  uint64_t rss = ReadResidentSet().rss;
  uint64_t seen = sampled_max_.load(std::memory_order_relaxed);
  while (rss > seen &&
         !sampled_max_.compare_exchange_weak(seen, rss,
                                             std::memory_order_relaxed)) {
  }
}

uint64_t PeakMemory::StorePeak() {
  Sample();
  ResidentSet set = ReadResidentSet();
  uint64_t peak = sampled_max_.load(std::memory_order_relaxed);
  // Without a reset, the high-water mark may still be the trace generator's;
  // it only tells us something once it has risen past its value at the start.
  bool high_water_valid = reset_ok_ || set.high_water > high_water_at_start_;
  if (high_water_valid && set.high_water > peak) peak = set.high_water;
  return peak > baseline_ ? peak - baseline_ : 0;
}

}  // namespace jitskit::harness
