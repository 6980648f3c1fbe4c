// Correctness gates (docs/harness-protocol.md, modes gate-* and durability-*).
// Each returns the process exit status: 0 once its verdict line is printed.
#ifndef JITSKIT_HARNESS_GATES_H_
#define JITSKIT_HARNESS_GATES_H_

#include <cstdint>

#include "config.h"

namespace jitskit::harness {

int RunGateApi(const Config& config);
int RunGateConcurrency(const Config& config);

// The descriptors the durability supervisor gives the store's processes.
struct DurabilityPipes {
  int report_fd = -1;         // writer: acknowledgements to the supervisor
  uint64_t report_inode = 0;  // that pipe's inode, to spot a swapped descriptor
  int value_fd = -1;          // writer: thread t reads values from value_fd + t
  int keys_fd = -1;           // verifier: the keys to read, then EOF
  int results_fd = -1;        // verifier: what the store holds for them
};

int RunDurabilityWriter(const Config& config, const DurabilityPipes& pipes,
                        bool markers);
int RunDurabilityVerify(const Config& config, const DurabilityPipes& pipes);

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_GATES_H_
