// The machine a result was measured on.
#ifndef JITSKIT_HARNESS_MACHINE_H_
#define JITSKIT_HARNESS_MACHINE_H_

#include <cstdint>
#include <string>

#include "jsonout.h"

namespace jitskit::harness {

struct MachineInfo {
  std::string cpu_model;
  uint64_t cpu_count = 0;
  uint64_t memory_bytes = 0;
  std::string kernel;
  std::string compiler;
};

MachineInfo DescribeMachine();
JsonObject MachineJson(const MachineInfo& machine);

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_MACHINE_H_
