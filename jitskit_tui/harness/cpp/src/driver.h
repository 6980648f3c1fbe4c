// The benchmark driver: load phase, timed run phase with progress ticks, and
// the result line (docs/harness-protocol.md, mode `bench`).
#ifndef JITSKIT_HARNESS_DRIVER_H_
#define JITSKIT_HARNESS_DRIVER_H_

#include "config.h"

namespace jitskit::harness {

// Returns the process exit status: 0 after the result line, 1 when the store
// could not be opened (an `error` event says why).
int RunBench(const Config& config);

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_DRIVER_H_
