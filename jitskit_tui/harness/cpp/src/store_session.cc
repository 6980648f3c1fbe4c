#include "store_session.h"

#include <cstdio>

namespace jitskit::harness {

const char* StatusName(Status status) {
  switch (status) {
    case Status::kOk:
      return "kOk";
    case Status::kNotFound:
      return "kNotFound";
    case Status::kNotSupported:
      return "kNotSupported";
    case Status::kError:
      return "kError";
  }
  return "an invalid Status value";
}

std::string HexKey(uint64_t key) {
  char text[24];
  std::snprintf(text, sizeof(text), "0x%016llx",
                static_cast<unsigned long long>(key));
  return text;
}

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

}  // namespace jitskit::harness
