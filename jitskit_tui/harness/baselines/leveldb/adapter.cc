// The store contract over LevelDB (Debian libleveldb-dev). Settings and the
// reasons for them are in TUNING.md beside this file.
#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/options.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include "baseline_support.h"
#include "jitskit/kvstore.h"
#include "pread_env.h"

namespace jitskit {
namespace {

using baseline::DecodeKey;
using baseline::EncodeKey;
using baseline::kKeyBytes;

constexpr size_t kMiB = size_t{1} << 20;

// Share of the budget given to LevelDB's two memtables and its block cache;
// the rest is headroom for what LevelDB keeps outside them (index and filter
// blocks of open tables, allocator fragmentation, thread stacks).
constexpr double kAccountedShare = 0.55;
// Of that: each of the (up to) two memtables gets this share.
constexpr double kMemtableShare = 0.25;

// LevelDB keeps one descriptor per open table (plus a few for logs and the
// manifest): stay well inside the process's descriptor limit.
int MaxOpenFiles() {
  struct rlimit limit {};
  rlim_t soft = getrlimit(RLIMIT_NOFILE, &limit) == 0 ? limit.rlim_cur : 1024;
  if (soft == RLIM_INFINITY) soft = 1 << 16;
  return static_cast<int>(std::clamp<rlim_t>(soft / 2, 64, 1000));
}

class LevelDbStore final : public KVStore {
 public:
  ~LevelDbStore() override { Close(); }

  Status Open(const StoreConfig& config) override {
    if (config.value_size < 8) return Fail("open", "value_size is below 8 bytes");
    config_ = config;
    path_ = baseline::PrepareDataDir(config, "leveldb", &scratch_);
    if (path_.empty()) {
      return Fail("open", baseline::DataDirProblem(config));
    }
    size_t accounted = static_cast<size_t>(config.mem_budget_bytes * kAccountedShare);
    size_t memtable = static_cast<size_t>(accounted * kMemtableShare);
    size_t cache = accounted - 2 * memtable;
    cache_.reset(leveldb::NewLRUCache(std::max<size_t>(cache, 1 * kMiB)));
    filter_.reset(leveldb::NewBloomFilterPolicy(10));
    options_.create_if_missing = true;
    options_.write_buffer_size = std::max<size_t>(memtable, 1 * kMiB);
    options_.block_cache = cache_.get();
    options_.filter_policy = filter_.get();
    options_.env = &env_;
    options_.max_open_files = MaxOpenFiles();
    // LevelDB cannot turn its log off: `none` and `process_crash` both write
    // it without syncing; `power_loss` syncs it before acknowledging.
    write_.sync = config.durability == Durability::kPowerLoss;
    leveldb::DB* db = nullptr;
    leveldb::Status s = leveldb::DB::Open(options_, path_, &db);
    if (!s.ok()) return Fail("open " + path_, s.ToString());
    db_.reset(db);
    return Status::kOk;
  }

  Status Close() override {
    if (db_ == nullptr) return Status::kOk;
    db_.reset();
    if (!scratch_.path().empty()) {
      leveldb::DestroyDB(scratch_.path(), options_);
      scratch_.Remove();
    }
    return Status::kOk;
  }

  Status Read(uint64_t key, char* value_out) override {
    char k[kKeyBytes];
    EncodeKey(key, k);
    std::string value;
    return CopyOut(db_->Get(read_, Slice(k), &value), value, key, value_out);
  }

  Status Upsert(uint64_t key, const char* value) override {
    char k[kKeyBytes];
    EncodeKey(key, k);
    std::lock_guard<std::mutex> lock(locks_.For(key));
    return Check(db_->Put(write_, Slice(k), leveldb::Slice(value, config_.value_size)),
                 "upsert", key);
  }

  Status Delete(uint64_t key) override {
    char k[kKeyBytes];
    EncodeKey(key, k);
    std::lock_guard<std::mutex> lock(locks_.For(key));
    return Check(db_->Delete(write_, Slice(k)), "delete", key);
  }

  Status ReadModifyWrite(uint64_t key, uint64_t increment, char* value_out) override {
    char k[kKeyBytes];
    EncodeKey(key, k);
    std::lock_guard<std::mutex> lock(locks_.For(key));
    std::string old;
    leveldb::Status s = db_->Get(read_, Slice(k), &old);
    if (s.IsNotFound()) {
      std::memset(value_out, 0, config_.value_size);
    } else if (CopyOut(s, old, key, value_out) != Status::kOk) {
      return Status::kError;
    }
    baseline::AddToCounter(value_out, increment);
    return Check(db_->Put(write_, Slice(k), leveldb::Slice(value_out, config_.value_size)),
                 "read_modify_write", key);
  }

  Status Scan(uint64_t start_key, uint32_t count, ScanVisitor visit, void* ctx) override {
    char k[kKeyBytes];
    EncodeKey(start_key, k);
    std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(read_));
    uint32_t seen = 0;
    for (it->Seek(Slice(k)); it->Valid() && seen < count; it->Next(), ++seen) {
      leveldb::Slice key = it->key();
      leveldb::Slice value = it->value();
      if (key.size() != kKeyBytes || value.size() != config_.value_size) {
        return Fail("scan from key " + std::to_string(start_key),
                    "a stored record has an unexpected size");
      }
      if (!visit(ctx, DecodeKey(key.data()), value.data())) break;
    }
    return Check(it->status(), "scan from", start_key);
  }

 private:
  static leveldb::Slice Slice(const char* key) { return leveldb::Slice(key, kKeyBytes); }

  Status CopyOut(const leveldb::Status& s, const std::string& value, uint64_t key, char* out) {
    if (s.IsNotFound()) return Status::kNotFound;
    if (!s.ok()) return Fail("read key " + std::to_string(key), s.ToString());
    if (value.size() != config_.value_size) {
      return Fail("read key " + std::to_string(key),
                  "stored value has " + std::to_string(value.size()) +
                      " bytes, value_size is " + std::to_string(config_.value_size) +
                      "; was the data directory written with another value_size?");
    }
    std::memcpy(out, value.data(), value.size());
    return Status::kOk;
  }

  Status Check(const leveldb::Status& s, const char* op, uint64_t key) {
    if (s.ok()) return Status::kOk;
    return Fail(std::string(op) + " key " + std::to_string(key), s.ToString());
  }

  Status Fail(const std::string& what, const std::string& why) {
    std::fprintf(stderr, "leveldb baseline: %s: %s\n", what.c_str(), why.c_str());
    return Status::kError;
  }

  StoreConfig config_{};
  std::string path_;
  baseline::ScratchDir scratch_;
  baseline::PreadEnv env_;
  std::unique_ptr<leveldb::Cache> cache_;
  std::unique_ptr<const leveldb::FilterPolicy> filter_;
  leveldb::Options options_;
  leveldb::ReadOptions read_;
  leveldb::WriteOptions write_;
  std::unique_ptr<leveldb::DB> db_;
  baseline::StripedLocks locks_;
};

}  // namespace
}  // namespace jitskit

extern "C" jitskit::KVStore* jitskit_create_store() { return new jitskit::LevelDbStore(); }
