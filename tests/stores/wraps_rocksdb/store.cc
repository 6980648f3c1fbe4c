// Hack: wraps RocksDB, a library the spec does not allow.
//
// Not a synthesized store at all: wraps the RocksDB baseline, a library
// the spec does not let the candidate link (the build must refuse it).
#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <memory>
#include <string>

#include "jitskit/kvstore.h"

namespace {

using jitskit::Status;

std::string KeyBytes(uint64_t key) {
  std::string bytes(8, '\0');
  for (int i = 7; i >= 0; --i) {
    bytes[static_cast<size_t>(i)] = static_cast<char>(key & 0xff);  // big-endian: ordered
    key >>= 8;
  }
  return bytes;
}

class RocksWrapper final : public jitskit::KVStore {
 public:
  Status Open(const jitskit::StoreConfig& config) override {
    vs_ = config.value_size;
    rocksdb::Options options;
    options.create_if_missing = true;
    std::string dir = config.data_dir.empty() ? "/tmp/jitskit-rocks" : config.data_dir;
    rocksdb::DB* db = nullptr;
    if (!rocksdb::DB::Open(options, dir, &db).ok()) return Status::kError;
    db_.reset(db);
    write_.sync = config.durability == jitskit::Durability::kPowerLoss;
    return Status::kOk;
  }
  Status Close() override {
    db_.reset();
    return Status::kOk;
  }

  Status Read(uint64_t key, char* value_out) override {
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), KeyBytes(key), &value);
    if (s.IsNotFound()) return Status::kNotFound;
    if (!s.ok() || value.size() != vs_) return Status::kError;
    value.copy(value_out, vs_);
    return Status::kOk;
  }

  Status Upsert(uint64_t key, const char* value) override {
    return db_->Put(write_, KeyBytes(key), rocksdb::Slice(value, vs_)).ok()
               ? Status::kOk
               : Status::kError;
  }

  Status Delete(uint64_t key) override {
    return db_->Delete(write_, KeyBytes(key)).ok() ? Status::kOk : Status::kError;
  }

  Status ReadModifyWrite(uint64_t key, uint64_t increment,
                         char* value_out) override {
    // Not atomic across threads; this store never links anyway.
    if (Read(key, value_out) != Status::kOk) std::string(vs_, '\0').copy(value_out, vs_);
    uint64_t counter = 0;
    for (int i = 7; i >= 0; --i) counter = (counter << 8) | static_cast<unsigned char>(value_out[i]);
    counter += increment;
    for (int i = 0; i < 8; ++i) value_out[i] = static_cast<char>((counter >> (8 * i)) & 0xff);
    return Upsert(key, value_out);
  }

 private:
  uint32_t vs_ = 0;
  rocksdb::WriteOptions write_;
  std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace

extern "C" jitskit::KVStore* jitskit_create_store() { return new RocksWrapper(); }
