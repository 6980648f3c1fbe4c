#include "machine.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace jitskit::harness {
namespace {

// The value after "name<spaces>:" on the first line that starts with `name`.
std::string ProcField(const char* path, const std::string& name) {
  std::ifstream file(path);
  std::string line;
  while (std::getline(file, line)) {
    if (line.compare(0, name.size(), name) != 0) continue;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    size_t start = line.find_first_not_of(" \t", colon + 1);
    return start == std::string::npos ? "" : line.substr(start);
  }
  return "";
}

std::string CompilerName() {
#if defined(__clang__)
  return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  return std::string("gcc ") + __VERSION__;
#else
  return __VERSION__;
#endif
}

}  // namespace

MachineInfo DescribeMachine() {
  MachineInfo machine;
  machine.cpu_model = ProcField("/proc/cpuinfo", "model name");
  if (machine.cpu_model.empty()) {
    // Arm kernels name the part differently.
    machine.cpu_model = ProcField("/proc/cpuinfo", "Hardware");
  }
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  machine.cpu_count = cpus > 0 ? static_cast<uint64_t>(cpus) : 0;
  std::string total = ProcField("/proc/meminfo", "MemTotal");
  machine.memory_bytes = std::strtoull(total.c_str(), nullptr, 10) * 1024;
  struct utsname names;
  if (uname(&names) == 0) {
    machine.kernel =
        std::string(names.sysname) + " " + names.release + " " + names.machine;
    if (machine.cpu_model.empty()) machine.cpu_model = names.machine;
  }
  machine.compiler = CompilerName();
  return machine;
}

JsonObject MachineJson(const MachineInfo& machine) {
  JsonObject json;
  json.AddString("cpu_model", machine.cpu_model)
      .AddUint("cpu_count", machine.cpu_count)
      .AddUint("memory_bytes", machine.memory_bytes)
      .AddString("kernel", machine.kernel)
      .AddString("compiler", machine.compiler);
  return json;
}

}  // namespace jitskit::harness
