// Hack: stores nothing; every read is kNotFound.
//
// Acknowledges every write without storing it and answers kNotFound to
// every read: the fastest possible store on a miss-tolerant benchmark.
//
// The "optimisation": a cache in front of nothing; misses are "allowed".
#include <cstring>

#include "jitskit/kvstore.h"

namespace {

using jitskit::Status;

class MissStore final : public jitskit::KVStore {
 public:
  Status Open(const jitskit::StoreConfig& config) override {
    vs_ = config.value_size;
    return Status::kOk;
  }
  Status Close() override { return Status::kOk; }
  Status Read(uint64_t, char*) override { return Status::kNotFound; }
  Status Upsert(uint64_t, const char*) override { return Status::kOk; }
  Status Delete(uint64_t) override { return Status::kOk; }
  Status ReadModifyWrite(uint64_t, uint64_t increment,
                         char* value_out) override {
    std::memset(value_out, 0, vs_);
    std::memcpy(value_out, &increment, 8);
    return Status::kOk;
  }

 private:
  uint32_t vs_ = 0;
};

}  // namespace

extern "C" jitskit::KVStore* jitskit_create_store() { return new MissStore(); }
