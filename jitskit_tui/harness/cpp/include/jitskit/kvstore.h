// The store contract between the jitskit harness and a candidate store.
//
// A candidate is C++17 source that includes this header and defines
//   extern "C" jitskit::KVStore* jitskit_create_store();
// The harness owns the returned object and deletes it after Close().
//
// Every operation except Open, Close, ThreadInit and ThreadExit is called
// concurrently from up to `max_threads` threads. Keys are arbitrary 64-bit
// values. A read returns exactly the bytes of a value that was written for
// that key: never torn, never older than a write acknowledged before the read
// began.
#ifndef JITSKIT_KVSTORE_H_
#define JITSKIT_KVSTORE_H_

#include <cstdint>
#include <string>

namespace jitskit {

enum class Status { kOk, kNotFound, kNotSupported, kError };

// kProcessCrash: every acknowledged write survives kill -9 of the process.
// kPowerLoss: every acknowledged write was synced to stable storage first.
enum class Durability { kNone, kProcessCrash, kPowerLoss };

struct StoreConfig {
  uint64_t mem_budget_bytes;  // the store's own memory budget (peak, measured)
  std::string data_dir;       // empty when durability is kNone
  uint32_t value_size;        // every value is exactly this many bytes
  uint32_t max_threads;       // thread ids are 0 .. max_threads-1
  Durability durability;
};

// Called by Scan for each live key in ascending order; return false to stop.
using ScanVisitor = bool (*)(void* ctx, uint64_t key, const char* value);

class KVStore {
 public:
  virtual ~KVStore() = default;

  // Recovers whatever config.data_dir holds.
  virtual Status Open(const StoreConfig& config) = 0;
  // Clean shutdown.
  virtual Status Close() = 0;

  virtual void ThreadInit(uint32_t thread_id) { (void)thread_id; }
  virtual void ThreadExit(uint32_t thread_id) { (void)thread_id; }

  // Copies value_size bytes into value_out.
  virtual Status Read(uint64_t key, char* value_out) = 0;
  // Inserts or replaces; value points at value_size bytes.
  virtual Status Upsert(uint64_t key, const char* value) = 0;
  virtual Status Delete(uint64_t key) = 0;
  // Atomically adds `increment` to the little-endian u64 in the value's first
  // 8 bytes, leaving the other bytes as they were, and copies the new value
  // out. A missing key is first created as a zero-filled value.
  virtual Status ReadModifyWrite(uint64_t key, uint64_t increment,
                                 char* value_out) = 0;
  // Visits live keys >= start_key in ascending order, at most `count` of them.
  virtual Status Scan(uint64_t start_key, uint32_t count, ScanVisitor visit,
                      void* ctx) {
    (void)start_key;
    (void)count;
    (void)visit;
    (void)ctx;
    return Status::kNotSupported;
  }
};

}  // namespace jitskit

extern "C" jitskit::KVStore* jitskit_create_store();

#endif  // JITSKIT_KVSTORE_H_
