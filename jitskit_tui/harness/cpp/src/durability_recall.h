// The durability supervisor's verify phase: starts the store-linked verifier
// (after every process of the writer is gone), sends it the keys to read,
// and judges each value it sends back as it arrives.
#ifndef JITSKIT_HARNESS_DURABILITY_RECALL_H_
#define JITSKIT_HARNESS_DURABILITY_RECALL_H_

#include <string>

#include "config.h"
#include "durability_verdict.h"
#include "gate_report.h"
#include "progress.h"

namespace jitskit::harness {

struct RecallPlan {
  std::string harness;  // jitskit-harness, linked with the store
  std::string config_path;
  double timeout_s = 120;  // for reopening and every read
};

// Returns "" once the verifier answered for every key (the answers judged
// into `failures`), else why it did not. Reports the keys answered for as
// `progress` phase "durability-verify" (total: every key asked for).
std::string RecallAndJudge(const Config& config, RecoveryCheck* check,
                           FailureLog* failures, const RecallPlan& plan,
                           ProgressTicker* progress);

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_DURABILITY_RECALL_H_
