// The driver's own cost on this machine, measured in the harness process
// before the load: the same worker loop, over the same trace, on the same
// threads and CPUs, against a built-in store that does nothing. A store's
// figures can then be read against the fastest any store could be here.
#ifndef JITSKIT_HARNESS_DRIVER_FLOOR_H_
#define JITSKIT_HARNESS_DRIVER_FLOOR_H_

#include <cstdint>

#include "clock.h"
#include "config.h"
#include "integrity.h"
#include "trace.h"

namespace jitskit::harness {

// CPU nanoseconds per operation per thread over about `driver_floor_ms`
// (the threads' own CPU time, so other processes' load barely moves it);
// NaN when `driver_floor_ms` is 0. The no-op store returns kOk and touches
// nothing, so every failure the workers would see is expected and ignored.
double MeasureDriverFloor(const Config& config, const Trace& trace,
                          const BenchCodec& codec, const TickClock& clock,
                          uint64_t sample_seed);

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_DRIVER_FLOOR_H_
