// What gate-concurrency knows about each hot key while threads hammer it, and
// the rules a value read from the store must satisfy.
#ifndef JITSKIT_HARNESS_CONCURRENCY_MODEL_H_
#define JITSKIT_HARNESS_CONCURRENCY_MODEL_H_

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "gate_report.h"
#include "integrity.h"
#include "jitskit/kvstore.h"

namespace jitskit::harness {

// A key written by one owning thread at a time. Its history is a sequence of
// operations 1, 2, 3, ...: on a plain key every one is an Upsert of version
// n; on a deletable key odd ones Upsert version (n + 1) / 2 and even ones
// Delete it. The owner publishes `begun` before calling the store and `acked`
// after it returns, so a reader that loads `acked` before its Read and
// `begun` after it knows exactly which states the Read may return.
struct alignas(64) Register {
  uint64_t key = 0;
  bool deletable = false;
  std::atomic<uint64_t> begun{0};
  std::atomic<uint64_t> acked{0};

  bool PresentAfter(uint64_t op) const {
    return op != 0 && (!deletable || op % 2 == 1);
  }
  uint64_t VersionAfter(uint64_t op) const {
    return deletable ? (op + 1) / 2 : op;
  }
  uint64_t OpOfVersion(uint64_t version) const {
    return deletable ? 2 * version - 1 : version;
  }
};

// A key every thread increments with ReadModifyWrite by `increment`.
struct alignas(64) Counter {
  uint64_t key = 0;
  uint64_t increment = 1;
  std::atomic<uint64_t> begun{0};
  std::atomic<uint64_t> acked{0};
  // The largest result (in increments) any acknowledged call returned.
  std::atomic<uint64_t> max_result{0};

  void NoteResult(uint64_t steps) {
    uint64_t seen = max_result.load();
    while (steps > seen && !max_result.compare_exchange_weak(seen, steps)) {
    }
  }
};

// Fills an output buffer with bytes no value has, before each call that
// should overwrite it: a store that returns kOk without copying is caught.
constexpr char kPoisonByte = static_cast<char>(0xdb);
inline void Poison(std::vector<char>& buffer) {
  std::fill(buffer.begin(), buffer.end(), kPoisonByte);
}
inline bool StillPoisoned(const char* value, uint32_t value_size) {
  for (uint32_t i = 0; i < value_size; ++i) {
    if (value[i] != kPoisonByte) return false;
  }
  return true;
}

// Checks one Read (or scanned value) of a register: `acked` loaded before the
// read began, `begun` after it ended. Records a failure and returns false
// when the result is impossible. `value` is null for kNotFound.
// Records "fabricated value" when a call that returned kOk left the output
// buffer as poisoned; returns true then.
bool CaughtUntouched(const char* value, uint32_t value_size, uint64_t key,
                     const std::string& who, FailureLog& failures);

bool CheckRegisterRead(const Register& reg, const GateCodec& codec,
                       uint64_t acked, uint64_t begun, const char* value,
                       const std::string& who, FailureLog& failures);

// Checks a counter value (from Read, Scan or ReadModifyWrite): only the
// counter bytes may be non-zero and the counter is a whole number of
// increments. Returns that number, or UINT64_MAX after recording a failure.
uint64_t CheckCounterValue(const Counter& counter, const char* value,
                           uint32_t value_size, const std::string& who,
                           FailureLog& failures);

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_CONCURRENCY_MODEL_H_
