// Judging what the store holds after kill -9 against what the supervisor
// sent and what came back acknowledged. Values are judged as they stream in,
// so a run with large values never holds them all.
#ifndef JITSKIT_HARNESS_DURABILITY_VERDICT_H_
#define JITSKIT_HARNESS_DURABILITY_VERDICT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "durability_layout.h"
#include "gate_report.h"
#include "jitskit/kvstore.h"
#include "sealed_values.h"

namespace jitskit::harness {

struct WriterTally {
  std::vector<uint64_t> sent;   // per thread: the highest seq sent whole
  std::vector<uint64_t> acked;  // per thread: the highest seq acknowledged
  uint64_t acks = 0;

  explicit WriterTally(uint32_t threads) : sent(threads, 0), acked(threads, 0) {}
};

class RecoveryCheck {
 public:
  RecoveryCheck(const DurabilityLayout& layout, const SealedValues& values,
                const WriterTally& tally);

  // The keys to ask the verifier for; Observe takes answers in this order.
  std::vector<uint64_t> Keys() const;
  // The verifier's answer for the index-th key; `value` only when kOk.
  void Observe(size_t index, Status status, const char* value,
               FailureLog* failures);
  // The checks that need every answer: acknowledged writes lost, or missing
  // behind a later write that survived.
  void Finish(FailureLog* failures) const;
  // The gate's detail when nothing failed.
  std::string PassDetail() const;

 private:
  const DurabilityLayout& layout_;
  const SealedValues& values_;
  const WriterTally& tally_;
  std::vector<uint64_t> seen_;    // per key: the seq it holds, 0 for none
  std::vector<uint64_t> newest_;  // per thread: the newest seq any key holds
};

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_DURABILITY_VERDICT_H_
