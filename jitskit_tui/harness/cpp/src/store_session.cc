#include "store_session.h"

#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>

namespace jitskit::harness {

StoreConfig MakeStoreConfig(const Config& config) {
  StoreConfig store;
  store.mem_budget_bytes = config.mem_budget_bytes;
  store.data_dir = config.durability == Durability::kNone ? "" : config.data_dir;
  store.value_size = config.value_size;
  store.max_threads = config.threads;
  store.durability = config.durability;
  return store;
}

std::unique_ptr<KVStore> OpenStore(const Config& config, std::string* error) {
  std::unique_ptr<KVStore> store(jitskit_create_store());
  if (!store) {
    *error = "jitskit_create_store() returned null; it must return a new store";
    return nullptr;
  }
  Status status = store->Open(MakeStoreConfig(config));
  if (status != Status::kOk) {
    *error = std::string("Open returned ") + StatusName(status) +
             " (durability " + DurabilityName(config.durability) +
             ", data_dir '" + config.data_dir + "'); Open must succeed on an " +
             "empty or previously written data directory";
    return nullptr;
  }
  return store;
}

uint32_t CountThreads() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) {
      return static_cast<uint32_t>(std::strtoul(line.c_str() + 8, nullptr, 10));
    }
  }
  return 0;
}

namespace {

double CpuSeconds(clockid_t clock) {
  timespec now{};
  clock_gettime(clock, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

}  // namespace

std::string ThreadsLeftAfterClose(uint32_t before) {
  uint32_t now = CountThreads();
  for (int i = 0; i < 50 && now > before; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    now = CountThreads();
  }
  if (now <= before || before == 0) return "";
  // Idle pools that libraries keep for the whole process (RocksDB's, oneTBB's)
  // are harmless; a thread still burning CPU after Close is not.
  double process0 = CpuSeconds(CLOCK_PROCESS_CPUTIME_ID);
  double self0 = CpuSeconds(CLOCK_THREAD_CPUTIME_ID);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  double others = (CpuSeconds(CLOCK_PROCESS_CPUTIME_ID) - process0) -
                  (CpuSeconds(CLOCK_THREAD_CPUTIME_ID) - self0);
  if (others < 0.02) return "";
  char busy[32];
  std::snprintf(busy, sizeof(busy), "%.0f%%", others / 0.2 * 100);
  uint32_t left = now - before;
  return "the store left " + std::to_string(left) + " thread" +
         (left == 1 ? "" : "s") + " running after Close and its deletion, using " +
         busy + " of a CPU; Close must stop and join every thread the store "
         "started";
}

}  // namespace jitskit::harness
