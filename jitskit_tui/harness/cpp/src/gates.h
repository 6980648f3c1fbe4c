// Correctness gates (docs/harness-protocol.md, modes gate-* and durability-*).
// Each returns the process exit status: 0 once its verdict line is printed.
#ifndef JITSKIT_HARNESS_GATES_H_
#define JITSKIT_HARNESS_GATES_H_

#include <string>

#include "config.h"

namespace jitskit::harness {

int RunGateApi(const Config& config);
int RunGateConcurrency(const Config& config);
int RunDurabilityWriter(const Config& config, const std::string& ack_log,
                        bool markers);
int RunDurabilityVerify(const Config& config, const std::string& ack_log);

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_GATES_H_
