// gate-concurrency's torn-read hammer: one writer rewrites one key as fast as
// it can while every other thread spins Reads of that same key, checking
// each result is one whole value, no older than the last acknowledged write.
// The focus moves key by key through a small pool and the writer's role
// thread by thread, so every thread both reads and writes every key.
#ifndef JITSKIT_HARNESS_CONCURRENCY_HAMMER_H_
#define JITSKIT_HARNESS_CONCURRENCY_HAMMER_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "concurrency_model.h"
#include "concurrency_phase.h"
#include "config.h"
#include "gate_report.h"
#include "integrity.h"
#include "jitskit/kvstore.h"
#include "rng.h"

namespace jitskit::harness {

// Values in which every 8-byte word is a keyed bijection of (key, version),
// so every byte changes from one version to the next and each word names its
// version on its own: a value mixed from two writes shows which bytes came
// from which, at any value size from 32 bytes up.
class HammerCodec {
 public:
  HammerCodec(const Secret& secret, uint32_t value_size);
  void Encode(char* value, uint64_t key, uint64_t version) const;
  // The version that full word `index` of `value` (written for `key`) names.
  uint64_t WordVersion(uint64_t key, const char* value, size_t index) const;
  // True when all of `value` is version `version` of `key`.
  bool Whole(uint64_t key, uint64_t version, const char* value) const;
  // Whether the tail bytes after the last full word match `version`.
  bool TailIs(uint64_t key, uint64_t version, const char* value) const;
  size_t full_words() const { return value_size_ / 8; }
  uint32_t value_size() const { return value_size_; }

 private:
  uint64_t KeySalt(uint64_t key) const { return Mix64(key ^ salt_); }
  static uint64_t WordSalt(uint64_t key_salt, size_t index) {
    return key_salt + (index + 1) * 0x9e3779b97f4a7c15ULL;
  }

  uint64_t salt_;
  uint32_t value_size_;
};

class TornReadHammer {
 public:
  TornReadHammer(const Config& config, KVStore* store, const Secret& secret,
                 FailureLog& failures);
  // Runs the phase (at least 2 threads); returns a clause for the gate's
  // pass detail.
  std::string Run();

 private:
  struct Tally {
    uint64_t reads = 0;
    uint64_t overlapped = 0;  // reads during which the key's write ran
    uint64_t writes = 0;
  };

  void Thread(uint32_t id);
  void WriteRound(uint32_t id, uint64_t round, std::vector<char>& buffer,
                  Tally& tally);
  void ReadOnce(uint32_t id, Register& reg, std::vector<char>& buffer,
                Tally& tally);
  // Names what an impossible value is: torn, foreign or fabricated.
  void Classify(uint32_t id, const Register& reg, const char* value,
                uint64_t acked, uint64_t begun);
  void Fail(const std::string& kind, const std::string& detail);
  uint32_t WriterOf(uint64_t round) const;
  std::string Who(uint32_t id) const;

  const Config& config_;
  KVStore* store_;
  HammerCodec codec_;
  FailureLog& failures_;
  uint32_t threads_;
  std::vector<Register> keys_;
  PhaseClock clock_;
  StopFlag stop_;
  alignas(64) std::atomic<uint64_t> round_{0};
  // Totals, added once by each thread as it ends.
  alignas(64) std::atomic<uint64_t> overlapped_{0};
  std::atomic<uint64_t> reads_{0};
  std::atomic<uint64_t> writes_{0};
};

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_CONCURRENCY_HAMMER_H_
