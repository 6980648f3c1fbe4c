// The store contract over RocksDB (Debian librocksdb-dev). Settings and the
// reasons for them are in TUNING.md beside this file.
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_buffer_manager.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include "baseline_support.h"
#include "jitskit/kvstore.h"

namespace jitskit {
namespace {

using baseline::DecodeKey;
using baseline::EncodeKey;
using baseline::kKeyBytes;

constexpr size_t kMiB = size_t{1} << 20;

// RocksDB accounts for its block cache, with memtables charged into it; what
// it cannot account for grows with it (allocator fragmentation across thread
// arenas, table-reader metadata) on top of a fixed part (thread arenas and
// stacks, the write path). Measured on larger-than-memory reads: peak RSS is
// about 1.3 x the cache plus 25 MiB. The cache is sized so that the peak
// stays within 85% of the budget.
constexpr double kTargetShare = 0.85;
constexpr double kGrowthFactor = 1.35;
constexpr size_t kFixedOverhead = 28 * kMiB;
constexpr size_t kMinCache = 4 * kMiB;
// Share of the cache the memtables may take before a flush.
constexpr double kMemtableShare = 0.30;

size_t CacheBytes(uint64_t budget) {
  double target = static_cast<double>(budget) * kTargetShare - kFixedOverhead;
  return std::max(kMinCache, static_cast<size_t>(std::max(0.0, target / kGrowthFactor)));
}

// Cache shards of at least 4 MiB (up to RocksDB's usual 64 shards). With the
// default 512 KiB minimum, a small budget gives shards smaller than one SST
// file's index or filter block, which then never stays cached and is read
// back from the file on every lookup (measured: more than ten times slower reads).
int ShardBits(size_t capacity) {
  int bits = 0;
  while (bits < 6 && (capacity >> (bits + 1)) >= 4 * kMiB) ++bits;
  return bits;
}

rocksdb::Options TunedOptions(const StoreConfig& config,
                              const std::shared_ptr<rocksdb::Cache>& cache,
                              size_t memtable_bytes) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.max_background_jobs = baseline::BackgroundJobs(config);
  options.bytes_per_sync = kMiB;
  options.compression = rocksdb::kLZ4Compression;
  options.level_compaction_dynamic_level_bytes = true;
  options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  options.keep_log_file_num = 2;
  // Two memtables: one taking writes while the other flushes.
  options.max_write_buffer_number = 2;
  options.write_buffer_size = std::max<size_t>(memtable_bytes / 2, 1 * kMiB);
  options.write_buffer_manager =
      std::make_shared<rocksdb::WriteBufferManager>(memtable_bytes, cache);
  options.memtable_whole_key_filtering = true;
  options.memtable_prefix_bloom_size_ratio = 0.02;
  options.enable_pipelined_write = config.durability != Durability::kNone;
  // Scratch data is deleted at Close: no point flushing it first.
  options.avoid_flush_during_shutdown = config.durability == Durability::kNone;

  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  table.optimize_filters_for_memory = true;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.data_block_index_type = rocksdb::BlockBasedTableOptions::kDataBlockBinaryAndHash;
  table.data_block_hash_table_util_ratio = 0.75;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

class RocksDbStore final : public KVStore {
 public:
  ~RocksDbStore() override { Close(); }

  Status Open(const StoreConfig& config) override {
    if (config.value_size < 8) return Fail("open", "value_size is below 8 bytes");
    config_ = config;
    path_ = baseline::PrepareDataDir(config, "rocksdb", &scratch_);
    if (path_.empty()) {
      return Fail("open", baseline::DataDirProblem(config));
    }
    size_t accounted = CacheBytes(config.mem_budget_bytes);
    size_t memtables = static_cast<size_t>(accounted * kMemtableShare);
    cache_ = rocksdb::NewLRUCache(accounted, ShardBits(accounted));
    options_ = TunedOptions(config, cache_, memtables);
    write_.disableWAL = config.durability == Durability::kNone;
    write_.sync = config.durability == Durability::kPowerLoss;
    rocksdb::DB* db = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(options_, path_, &db);
    if (!s.ok()) return Fail("open " + path_, s.ToString());
    db_.reset(db);
    return Status::kOk;
  }

  Status Close() override {
    if (db_ == nullptr) return Status::kOk;
    rocksdb::Status s = db_->Close();
    db_.reset();
    if (!scratch_.path().empty()) {
      rocksdb::DestroyDB(scratch_.path(), options_);
      scratch_.Remove();
    }
    return s.ok() ? Status::kOk : Fail("close " + path_, s.ToString());
  }

  Status Read(uint64_t key, char* value_out) override {
    char k[kKeyBytes];
    EncodeKey(key, k);
    rocksdb::PinnableSlice value;
    rocksdb::Status s = db_->Get(read_, db_->DefaultColumnFamily(), Slice(k), &value);
    return CopyOut(s, value, key, value_out);
  }

  Status Upsert(uint64_t key, const char* value) override {
    char k[kKeyBytes];
    EncodeKey(key, k);
    std::lock_guard<std::mutex> lock(locks_.For(key));
    return Check(db_->Put(write_, Slice(k), rocksdb::Slice(value, config_.value_size)),
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
    rocksdb::PinnableSlice old;
    rocksdb::Status s = db_->Get(read_, db_->DefaultColumnFamily(), Slice(k), &old);
    if (s.IsNotFound()) {
      std::memset(value_out, 0, config_.value_size);
    } else if (CopyOut(s, old, key, value_out) != Status::kOk) {
      return Status::kError;
    }
    baseline::AddToCounter(value_out, increment);
    return Check(db_->Put(write_, Slice(k), rocksdb::Slice(value_out, config_.value_size)),
                 "read_modify_write", key);
  }

  Status Scan(uint64_t start_key, uint32_t count, ScanVisitor visit, void* ctx) override {
    char k[kKeyBytes];
    EncodeKey(start_key, k);
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_));
    uint32_t seen = 0;
    for (it->Seek(Slice(k)); it->Valid() && seen < count; it->Next(), ++seen) {
      rocksdb::Slice key = it->key();
      rocksdb::Slice value = it->value();
      if (key.size() != kKeyBytes || value.size() != config_.value_size) {
        return Fail("scan from key " + std::to_string(start_key),
                    "a stored record has an unexpected size");
      }
      if (!visit(ctx, DecodeKey(key.data()), value.data())) break;
    }
    return Check(it->status(), "scan from", start_key);
  }

 private:
  static rocksdb::Slice Slice(const char* key) { return rocksdb::Slice(key, kKeyBytes); }

  Status CopyOut(const rocksdb::Status& s, const rocksdb::PinnableSlice& value, uint64_t key,
                 char* out) {
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

  Status Check(const rocksdb::Status& s, const char* op, uint64_t key) {
    if (s.ok()) return Status::kOk;
    return Fail(std::string(op) + " key " + std::to_string(key), s.ToString());
  }

  Status Fail(const std::string& what, const std::string& why) {
    std::fprintf(stderr, "rocksdb baseline: %s: %s\n", what.c_str(), why.c_str());
    return Status::kError;
  }

  StoreConfig config_{};
  std::string path_;
  baseline::ScratchDir scratch_;
  std::shared_ptr<rocksdb::Cache> cache_;
  rocksdb::Options options_;
  rocksdb::ReadOptions read_;
  rocksdb::WriteOptions write_;
  std::unique_ptr<rocksdb::DB> db_;
  baseline::StripedLocks locks_;
};

}  // namespace
}  // namespace jitskit

extern "C" jitskit::KVStore* jitskit_create_store() { return new jitskit::RocksDbStore(); }
