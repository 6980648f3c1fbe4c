// The durability supervisor's writer phase: starts the store-linked writer
// (under strace when asked), sends each writer thread its values, receives
// every acknowledgement, and kills the writer with SIGKILL at the chosen
// moment; then ends every process the writer left and reads what its pipes
// still held.
#ifndef JITSKIT_HARNESS_DURABILITY_FEED_H_
#define JITSKIT_HARNESS_DURABILITY_FEED_H_

#include <cstdint>
#include <string>

#include "config.h"
#include "durability_layout.h"
#include "durability_verdict.h"
#include "progress.h"
#include "sealed_values.h"

namespace jitskit::harness {

struct FeedPlan {
  std::string harness;      // jitskit-harness, linked with the store
  std::string config_path;
  std::string self;         // this binary, the trampoline under strace
  std::string tracer;       // strace to run; empty: no syscall trace
  std::string trace_calls;  // strace's trace= list
  double kill_after_s = 1.5;    // after the store is open
  double open_timeout_s = 60;
  double stall_limit_s = 10;
};

// A writer thread is live when it acknowledged a write this recently; the
// kill waits until every thread is (at most stall_limit_s).
constexpr double kLiveWindowS = 1.0;
// Values sent to a thread ahead of its acknowledgements.
constexpr uint64_t kWindow = 4;
// The syscall trace is streamed as JSON lines; past this it fails the gate.
constexpr uint64_t kMaxTraceBytes = 256ull << 20;

struct FeedOutcome {
  std::string failure;  // empty when the writer was killed mid-stream
  WriterTally tally;
  double killed_after_s = 0;  // since the store was open

  explicit FeedOutcome(uint32_t threads) : tally(threads) {}
};

// Reports the writes acknowledged so far as `progress` phase
// "durability-write" (total 0: the kill moment, not the work, ends it).
FeedOutcome FeedAndKill(const Config& config, const DurabilityLayout& layout,
                        const SealedValues& values, const FeedPlan& plan,
                        ProgressTicker* progress);

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_DURABILITY_FEED_H_
