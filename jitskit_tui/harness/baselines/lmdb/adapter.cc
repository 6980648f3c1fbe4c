// The store contract over LMDB (Debian liblmdb-dev). Settings and the reasons
// for them are in TUNING.md beside this file.
#include <lmdb.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "baseline_support.h"
#include "group_commit.h"
#include "jitskit/kvstore.h"

namespace jitskit {
namespace {

using baseline::DecodeKey;
using baseline::EncodeKey;
using baseline::kKeyBytes;

constexpr uint64_t kGiB = uint64_t{1} << 30;

// A reusable read-only transaction (kept reset between operations) and the
// cursor scans renew on it. With MDB_NOTLS the reader-table slot belongs to
// the transaction, so a slot may move to another thread once released.
struct ReaderSlot {
  MDB_txn* txn = nullptr;
  MDB_cursor* cursor = nullptr;
};

// The calling thread's slot, tagged with the Open it belongs to so that a
// slot of a closed store is never touched.
struct ThreadReader {
  uint64_t generation = 0;
  ReaderSlot* slot = nullptr;
};
thread_local ThreadReader tls_reader;
std::atomic<uint64_t> next_generation{1};

unsigned int EnvFlags(Durability durability) {
  unsigned int flags = MDB_NOTLS | MDB_NORDAHEAD;
  if (durability == Durability::kPowerLoss) {
    // Default commit path: data pages written, fdatasync, then the meta page
    // through a descriptor opened with O_DSYNC.
    return flags | MDB_NOMEMINIT;
  }
  // No sync: a commit is in the page cache (the shared writable map) when it
  // returns, which survives the process being killed, not the machine.
  return flags | MDB_WRITEMAP | MDB_NOSYNC | MDB_NOMETASYNC;
}

// The map is address space, not memory: size it to what the data directory's
// file system can hold, so that data volume is never the limit.
size_t MapSize(const std::string& dir) {
  struct statvfs fs {};
  uint64_t room = 0;
  if (statvfs(dir.c_str(), &fs) == 0) room = uint64_t{fs.f_bavail} * fs.f_frsize;
  room = std::clamp<uint64_t>(room, 1 * kGiB, 1024 * kGiB);
  return static_cast<size_t>(room & ~(kGiB - 1));
}

class LmdbStore final : public KVStore {
 public:
  ~LmdbStore() override { Close(); }

  Status Open(const StoreConfig& config) override {
    if (config.value_size < 8) return Fail("open", "value_size is below 8 bytes");
    config_ = config;
    path_ = baseline::PrepareDataDir(config, "lmdb", &scratch_);
    if (path_.empty()) {
      return Fail("open", baseline::DataDirProblem(config));
    }
    generation_ = next_generation.fetch_add(1);
    unsigned int readers = std::max<unsigned int>(126, 4 * config.max_threads + 16);
    int rc = mdb_env_create(&env_);
    if (rc == 0) rc = mdb_env_set_mapsize(env_, MapSize(path_));
    if (rc == 0) rc = mdb_env_set_maxreaders(env_, readers);
    if (rc == 0) rc = mdb_env_open(env_, path_.c_str(), EnvFlags(config.durability), 0644);
    if (rc == 0) rc = OpenDatabase();
    if (rc != 0) {
      Status failed = Fail("open " + path_, mdb_strerror(rc));
      Close();
      return failed;
    }
    return Status::kOk;
  }

  Status Close() override {
    if (env_ == nullptr) return Status::kOk;
    std::lock_guard<std::mutex> lock(slots_mutex_);
    for (auto& slot : slots_) {
      if (slot->cursor != nullptr) mdb_cursor_close(slot->cursor);
      mdb_txn_abort(slot->txn);
    }
    slots_.clear();
    free_slots_.clear();
    generation_ = 0;
    mdb_env_close(env_);
    env_ = nullptr;
    scratch_.Remove();
    return Status::kOk;
  }

  void ThreadExit(uint32_t thread_id) override {
    (void)thread_id;
    if (tls_reader.generation != generation_ || tls_reader.slot == nullptr) return;
    std::lock_guard<std::mutex> lock(slots_mutex_);
    free_slots_.push_back(tls_reader.slot);
    tls_reader = ThreadReader{};
  }

  Status Read(uint64_t key, char* value_out) override {
    char k[kKeyBytes];
    EncodeKey(key, k);
    MDB_val mk{kKeyBytes, k};
    MDB_val mv{};
    ReadTxn txn(this);
    if (txn.get() == nullptr) return Fail("read key " + std::to_string(key), txn.error());
    int rc = mdb_get(txn.get(), dbi_, &mk, &mv);
    return CopyOut(rc, mv, key, value_out);
  }

  Status Upsert(uint64_t key, const char* value) override {
    WriteOp op{WriteOp::kUpsert, key, value, 0, nullptr};
    return Write(&op);
  }

  Status Delete(uint64_t key) override {
    WriteOp op{WriteOp::kDelete, key, nullptr, 0, nullptr};
    return Write(&op);
  }

  // The whole get-add-put runs inside one write transaction, and LMDB has a
  // single writer, so no other write to any key can interleave.
  Status ReadModifyWrite(uint64_t key, uint64_t increment, char* value_out) override {
    WriteOp op{WriteOp::kReadModifyWrite, key, nullptr, increment, value_out};
    return Write(&op);
  }

  Status Scan(uint64_t start_key, uint32_t count, ScanVisitor visit, void* ctx) override {
    char k[kKeyBytes];
    EncodeKey(start_key, k);
    MDB_val mk{kKeyBytes, k};
    MDB_val mv{};
    ReadTxn txn(this);
    MDB_cursor* cursor = txn.cursor(dbi_);
    if (cursor == nullptr) return Fail("scan from key " + std::to_string(start_key), txn.error());
    int rc = mdb_cursor_get(cursor, &mk, &mv, MDB_SET_RANGE);
    for (uint32_t seen = 0; rc == 0 && seen < count; ++seen) {
      if (mk.mv_size != kKeyBytes || mv.mv_size != config_.value_size) {
        return Fail("scan from key " + std::to_string(start_key),
                    "a stored record has an unexpected size");
      }
      if (!visit(ctx, DecodeKey(static_cast<const char*>(mk.mv_data)),
                 static_cast<const char*>(mv.mv_data))) {
        break;
      }
      rc = mdb_cursor_get(cursor, &mk, &mv, MDB_NEXT);
    }
    if (rc != 0 && rc != MDB_NOTFOUND) {
      return Fail("scan from key " + std::to_string(start_key), mdb_strerror(rc));
    }
    return Status::kOk;
  }

 private:
  // A live read-only transaction for one operation: the thread's reused slot
  // renewed (reset again on destruction), or, when the reader table is full,
  // a transaction of its own.
  class ReadTxn {
   public:
    explicit ReadTxn(LmdbStore* store) {
      slot_ = store->ThreadSlot();
      if (slot_ != nullptr) {
        rc_ = mdb_txn_renew(slot_->txn);
        txn_ = rc_ == 0 ? slot_->txn : nullptr;
      } else {
        rc_ = mdb_txn_begin(store->env_, nullptr, MDB_RDONLY, &own_);
        txn_ = rc_ == 0 ? own_ : nullptr;
      }
    }
    ~ReadTxn() {
      if (own_cursor_ != nullptr) mdb_cursor_close(own_cursor_);
      if (own_ != nullptr) mdb_txn_abort(own_);
      if (slot_ != nullptr && txn_ != nullptr) mdb_txn_reset(txn_);
    }
    ReadTxn(const ReadTxn&) = delete;
    ReadTxn& operator=(const ReadTxn&) = delete;

    MDB_txn* get() const { return txn_; }
    const char* error() const { return mdb_strerror(rc_); }

    MDB_cursor* cursor(MDB_dbi dbi) {
      if (txn_ == nullptr) return nullptr;
      if (slot_ == nullptr) {
        rc_ = mdb_cursor_open(txn_, dbi, &own_cursor_);
        return rc_ == 0 ? own_cursor_ : nullptr;
      }
      if (slot_->cursor == nullptr) {
        rc_ = mdb_cursor_open(txn_, dbi, &slot_->cursor);
      } else {
        rc_ = mdb_cursor_renew(txn_, slot_->cursor);
      }
      return rc_ == 0 ? slot_->cursor : nullptr;
    }

   private:
    ReaderSlot* slot_ = nullptr;
    MDB_txn* txn_ = nullptr;
    MDB_txn* own_ = nullptr;
    MDB_cursor* own_cursor_ = nullptr;
    int rc_ = 0;
  };

  struct WriteOp {
    enum Kind { kUpsert, kDelete, kReadModifyWrite } kind;
    uint64_t key;
    const char* value;   // kUpsert
    uint64_t increment;  // kReadModifyWrite
    char* value_out;     // kReadModifyWrite
    Status status = Status::kError;
    bool done = false;

    const char* name() const {
      return kind == kUpsert ? "upsert" : kind == kDelete ? "delete" : "read_modify_write";
    }
  };

  // Under power_loss every commit is synced: concurrent writers share one
  // transaction and one sync (group commit). Otherwise a commit is a memory
  // copy and each write commits on its own.
  Status Write(WriteOp* op) {
    if (config_.durability == Durability::kPowerLoss) {
      group_.Submit(op, [this](std::vector<WriteOp*>& batch) { ApplyBatch(batch); });
    } else {
      ApplyAlone(op);
    }
    return op->status;
  }

  void ApplyAlone(WriteOp* op) {
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
    if (rc == 0) rc = Apply(txn, op);
    Status committed = Commit(txn, rc, op->name(), op->key);
    if (committed != Status::kOk) op->status = committed;
  }

  // One transaction for the batch; if it fails, each operation again on its
  // own, so that one failure does not fail the others.
  void ApplyBatch(std::vector<WriteOp*>& batch) {
    if (batch.size() == 1) return ApplyAlone(batch[0]);
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
    for (size_t i = 0; rc == 0 && i < batch.size(); ++i) rc = Apply(txn, batch[i]);
    if (rc == 0) rc = mdb_txn_commit(txn);
    else if (txn != nullptr) mdb_txn_abort(txn);
    if (rc == 0) return;
    for (WriteOp* op : batch) ApplyAlone(op);
  }

  // Applies one operation inside `txn`; returns an LMDB error that dooms the
  // transaction, or 0 (with op->status set to what the operation returns once
  // the transaction commits).
  int Apply(MDB_txn* txn, WriteOp* op) {
    char k[kKeyBytes];
    EncodeKey(op->key, k);
    MDB_val mk{kKeyBytes, k};
    op->status = Status::kOk;
    if (op->kind == WriteOp::kUpsert) {
      MDB_val mv{config_.value_size, const_cast<char*>(op->value)};
      return mdb_put(txn, dbi_, &mk, &mv, 0);
    }
    if (op->kind == WriteOp::kDelete) {
      int rc = mdb_del(txn, dbi_, &mk, nullptr);
      return rc == MDB_NOTFOUND ? 0 : rc;
    }
    MDB_val mv{};
    int rc = mdb_get(txn, dbi_, &mk, &mv);
    if (rc == MDB_NOTFOUND) {
      std::memset(op->value_out, 0, config_.value_size);
    } else if (CopyOut(rc, mv, op->key, op->value_out) != Status::kOk) {
      op->status = Status::kError;
      return 0;
    }
    baseline::AddToCounter(op->value_out, op->increment);
    MDB_val nv{config_.value_size, op->value_out};
    return mdb_put(txn, dbi_, &mk, &nv, 0);
  }

  int OpenDatabase() {
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
    if (rc != 0) return rc;
    rc = mdb_dbi_open(txn, nullptr, 0, &dbi_);
    if (rc != 0) {
      mdb_txn_abort(txn);
      return rc;
    }
    return mdb_txn_commit(txn);
  }

  // The calling thread's reader slot, made on first use; nullptr when the
  // reader table is full (the caller then uses a transaction of its own).
  ReaderSlot* ThreadSlot() {
    if (tls_reader.generation == generation_) return tls_reader.slot;
    std::lock_guard<std::mutex> lock(slots_mutex_);
    ReaderSlot* slot = nullptr;
    if (!free_slots_.empty()) {
      slot = free_slots_.back();
      free_slots_.pop_back();
    } else {
      auto fresh = std::make_unique<ReaderSlot>();
      if (mdb_txn_begin(env_, nullptr, MDB_RDONLY, &fresh->txn) != 0) return nullptr;
      mdb_txn_reset(fresh->txn);
      slot = fresh.get();
      slots_.push_back(std::move(fresh));
    }
    tls_reader = ThreadReader{generation_, slot};
    return slot;
  }

  // Commits `txn` if rc is 0, else aborts it; the operation's status.
  Status Commit(MDB_txn* txn, int rc, const char* op, uint64_t key) {
    if (rc == 0) rc = mdb_txn_commit(txn);
    else if (txn != nullptr) mdb_txn_abort(txn);
    if (rc == 0) return Status::kOk;
    std::string why = mdb_strerror(rc);
    if (rc == MDB_MAP_FULL) why += " (the data directory's file system is full)";
    return Fail(std::string(op) + " key " + std::to_string(key), why);
  }

  Status CopyOut(int rc, const MDB_val& value, uint64_t key, char* out) {
    if (rc == MDB_NOTFOUND) return Status::kNotFound;
    if (rc != 0) return Fail("read key " + std::to_string(key), mdb_strerror(rc));
    if (value.mv_size != config_.value_size) {
      return Fail("read key " + std::to_string(key),
                  "stored value has " + std::to_string(value.mv_size) +
                      " bytes, value_size is " + std::to_string(config_.value_size) +
                      "; was the data directory written with another value_size?");
    }
    std::memcpy(out, value.mv_data, value.mv_size);
    return Status::kOk;
  }

  Status Fail(const std::string& what, const std::string& why) {
    std::fprintf(stderr, "lmdb baseline: %s: %s\n", what.c_str(), why.c_str());
    return Status::kError;
  }

  StoreConfig config_{};
  std::string path_;
  baseline::ScratchDir scratch_;
  MDB_env* env_ = nullptr;
  MDB_dbi dbi_ = 0;
  uint64_t generation_ = 0;
  std::mutex slots_mutex_;
  std::vector<std::unique_ptr<ReaderSlot>> slots_;
  std::vector<ReaderSlot*> free_slots_;
  baseline::GroupCommit<WriteOp> group_;
};

}  // namespace
}  // namespace jitskit

extern "C" jitskit::KVStore* jitskit_create_store() { return new jitskit::LmdbStore(); }
