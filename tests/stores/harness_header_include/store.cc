// Hack: reaches the harness's internal headers through the contract's path.
//
// Includes <jitskit/../../src/integrity.h>, one directory above the store
// contract's header, to reuse the harness's value code and its secret type
// (the old ack_log_oracle forged durability values this way). The store is
// compiled with the contract header alone, so the build must fail.
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include "jitskit/kvstore.h"

// The harness's internals, one directory above the contract's header.
#include <jitskit/../../src/integrity.h>

namespace {

using jitskit::Status;

class PeekingStore final : public jitskit::KVStore {
 public:
  Status Open(const jitskit::StoreConfig& config) override {
    size_ = config.value_size;
    return Status::kOk;
  }
  Status Close() override { return Status::kOk; }
  Status Read(uint64_t key, char* out) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end()) return Status::kNotFound;
    std::memcpy(out, it->second.data(), size_);
    return Status::kOk;
  }
  Status Upsert(uint64_t key, const char* value) override {
    std::lock_guard<std::mutex> lock(mu_);
    // Remembers which writes carried a valid-looking harness header.
    headers_ += jitskit::harness::LoadU64(value + jitskit::harness::kMacOffset) != 0;
    map_[key].assign(value, size_);
    return Status::kOk;
  }
  Status Delete(uint64_t key) override {
    std::lock_guard<std::mutex> lock(mu_);
    return map_.erase(key) ? Status::kOk : Status::kNotFound;
  }
  Status ReadModifyWrite(uint64_t key, uint64_t increment, char* out) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::string& value = map_[key];
    if (value.empty()) value.assign(size_, '\0');
    jitskit::harness::StoreU64(&value[0], jitskit::harness::LoadU64(value.data()) + increment);
    std::memcpy(out, value.data(), size_);
    return Status::kOk;
  }

 private:
  std::mutex mu_;
  std::map<uint64_t, std::string> map_;
  uint32_t size_ = 0;
  uint64_t headers_ = 0;
};

}  // namespace

extern "C" jitskit::KVStore* jitskit_create_store() { return new PeekingStore(); }
