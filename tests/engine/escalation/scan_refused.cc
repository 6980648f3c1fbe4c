// Fails while the store implements Scan: a stand-in for a finding that persists.
#include <cstdio>
#include <memory>

#include "jitskit/kvstore.h"

namespace {

bool Visit(void* ctx, uint64_t key, const char* value) {
  (void)ctx;
  (void)key;
  (void)value;
  return true;
}

}  // namespace

int main() {
  std::unique_ptr<jitskit::KVStore> store(jitskit_create_store());
  jitskit::StoreConfig config{64ull << 20, "", 64, 2, jitskit::Durability::kNone};
  if (store->Open(config) != jitskit::Status::kOk) return 2;
  const jitskit::Status status = store->Scan(0, 10, Visit, nullptr);
  store->Close();
  if (status != jitskit::Status::kNotSupported) {
    std::fprintf(stderr, "Scan(0, 10) returned a status other than kNotSupported\n");
    return 1;
  }
  return 0;
}
