// Run-phase traces: a pure function of the config and its seed, generated
// before timing starts and kept in memory.
#ifndef JITSKIT_HARNESS_TRACE_H_
#define JITSKIT_HARNESS_TRACE_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "config.h"
#include "distributions.h"
#include "rng.h"

namespace jitskit::harness {

struct Op {
  uint64_t key;
  // SCAN: the scan length. Tracked UPDATE/INSERT: the tracker's slot.
  uint32_t scan_length;
  OpType type;
  // The key was inserted by the load phase (so a read must find it when the
  // workload has no deletes).
  bool loaded;
  // An UPDATE/INSERT whose key the write tracker follows (see write_tracker.h).
  bool tracked;
};
static_assert(sizeof(Op) == 16, "traces are 16 bytes per operation");

// Draws run-phase operations one at a time, in trace order.
class TraceGenerator {
 public:
  explicit TraceGenerator(const Config& config);
  Op Next();
  const KeyMap& keys() const { return keys_; }
  uint64_t inserted() const { return inserted_; }

 private:
  uint64_t ChooseRecord();
  uint32_t ChooseScanLength();

  const Config& config_;
  KeyMap keys_;
  SplitMix64 rng_;
  // Cumulative op-type thresholds over [0, 2^64).
  uint64_t thresholds_[kOpTypeCount];
  uint64_t inserted_;
  // Domain of the key chooser: records plus room for expected inserts.
  uint64_t domain_;
  std::unique_ptr<ScrambledZipfian> scrambled_;
  std::unique_ptr<Zipfian> zipfian_;
  std::unique_ptr<Zipfian> scan_zipfian_;
};

// The run phase split across threads: operation i goes to thread i % threads.
struct Trace {
  std::vector<std::vector<Op>> per_thread;
  uint64_t total_ops = 0;
  // Records that exist once every insert in the trace has run.
  uint64_t total_records = 0;
};

Trace GenerateTrace(const Config& config);

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_TRACE_H_
