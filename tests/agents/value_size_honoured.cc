// Audit test: a value of the configured size round-trips intact (a store that copies a
// fixed number of bytes, specialised to the card's value size, fails it).
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "jitskit/kvstore.h"

int main(int argc, char** argv) {
  (void)argc;
  (void)argv;
  const uint32_t kValueSize = 128;
  const uint64_t kKey = 42;
  std::unique_ptr<jitskit::KVStore> store(jitskit_create_store());
  jitskit::StoreConfig config{64ull << 20, "", kValueSize, 2, jitskit::Durability::kNone};
  if (store->Open(config) != jitskit::Status::kOk) {
    std::fprintf(stderr, "Open with value_size %u failed\n", kValueSize);
    return 1;
  }
  std::string value(kValueSize, '\0');
  for (uint32_t i = 0; i < kValueSize; ++i) value[i] = static_cast<char>(i * 7 + 3);
  std::string seen(kValueSize, '\x5a');
  const bool ok = store->Upsert(kKey, value.data()) == jitskit::Status::kOk &&
                  store->Read(kKey, &seen[0]) == jitskit::Status::kOk;
  store->Close();
  if (!ok) {
    std::fprintf(stderr, "Upsert or Read of key %llu did not return kOk\n",
                 static_cast<unsigned long long>(kKey));
    return 1;
  }
  for (uint32_t i = 0; i < kValueSize; ++i) {
    if (seen[i] != value[i]) {
      std::fprintf(stderr, "Read of key %llu (value_size %u): byte %u is %d, expected %d\n",
                   static_cast<unsigned long long>(kKey), kValueSize, i, seen[i], value[i]);
      return 1;
    }
  }
  return 0;
}
