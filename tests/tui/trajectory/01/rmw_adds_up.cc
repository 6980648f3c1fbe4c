// Audit test: concurrent read-modify-writes on one key never lose an increment.
// argv: value_size max_threads mem_budget_bytes data_dir durability
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "jitskit/kvstore.h"

namespace {

jitskit::Durability ParseDurability(const std::string& name) {
  if (name == "process_crash") return jitskit::Durability::kProcessCrash;
  if (name == "power_loss") return jitskit::Durability::kPowerLoss;
  return jitskit::Durability::kNone;
}

uint64_t Counter(const std::vector<char>& value) {
  uint64_t counter = 0;
  for (int i = 7; i >= 0; --i) {
    counter = (counter << 8) | static_cast<unsigned char>(value[i]);
  }
  return counter;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: value_size max_threads budget data_dir durability\n");
    return 2;
  }
  jitskit::StoreConfig config;
  config.value_size = static_cast<uint32_t>(std::strtoul(argv[1], nullptr, 10));
  config.max_threads = static_cast<uint32_t>(std::strtoul(argv[2], nullptr, 10));
  config.mem_budget_bytes = std::strtoull(argv[3], nullptr, 10);
  config.data_dir = argv[4];
  config.durability = ParseDurability(argv[5]);
  std::unique_ptr<jitskit::KVStore> store(jitskit_create_store());
  if (store->Open(config) != jitskit::Status::kOk) {
    std::fprintf(stderr, "Open failed\n");
    return 1;
  }
  const uint64_t key = 0x5eed5eed5eed5eedULL;
  const int per_thread = 20000;
  std::vector<std::thread> threads;
  for (uint32_t t = 0; t < config.max_threads; ++t) {
    threads.emplace_back([&, t] {
      store->ThreadInit(t);
      std::vector<char> out(config.value_size);
      for (int i = 0; i < per_thread; ++i) {
        store->ReadModifyWrite(key, 1, out.data());
      }
      store->ThreadExit(t);
    });
  }
  for (auto& thread : threads) thread.join();
  std::vector<char> value(config.value_size);
  if (store->Read(key, value.data()) != jitskit::Status::kOk) {
    std::fprintf(stderr, "Read of key %#llx after the increments: not found\n",
                 static_cast<unsigned long long>(key));
    return 1;
  }
  const uint64_t expected = static_cast<uint64_t>(per_thread) * config.max_threads;
  const uint64_t seen = Counter(value);
  store->Close();
  if (seen != expected) {
    std::fprintf(stderr, "key %#llx: expected counter %llu, saw %llu (lost increments)\n",
                 static_cast<unsigned long long>(key),
                 static_cast<unsigned long long>(expected),
                 static_cast<unsigned long long>(seen));
    return 1;
  }
  return 0;
}
