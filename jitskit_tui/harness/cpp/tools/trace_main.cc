// jitskit-trace: prints the first N run-phase operations of a config's trace
// as `OP KEY [LEN]` lines, without a store.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "config.h"
#include "trace.h"

namespace {

int Usage(const std::string& problem) {
  std::fprintf(stderr,
               "jitskit-trace: %s\nusage: jitskit-trace --config FILE "
               "[--ops N]\n",
               problem.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace jitskit::harness;
  std::string config_path;
  uint64_t ops = 20;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (arg == "--ops" && i + 1 < argc) {
      std::string count = argv[++i];
      char* end = nullptr;
      ops = std::strtoull(count.c_str(), &end, 10);
      if (count.empty() || count[0] == '-' || *end != '\0') {
        return Usage("--ops needs a non-negative integer, got '" + count + "'");
      }
    } else {
      return Usage("unexpected argument '" + arg + "'");
    }
  }
  if (config_path.empty()) return Usage("--config FILE is required");
  Config config;
  std::string error;
  if (!LoadConfigFile(config_path, &config, &error)) {
    std::fprintf(stderr, "jitskit-trace: %s\n", error.c_str());
    return 2;
  }
  auto generator = std::make_unique<TraceGenerator>(config);
  uint64_t length = config.TraceLength();
  for (uint64_t i = 0; i < ops; ++i) {
    // Runs longer than the trace replay it from the start.
    if (i > 0 && i % length == 0) {
      generator = std::make_unique<TraceGenerator>(config);
    }
    Op op = generator->Next();
    if (op.type == OpType::kScan) {
      std::printf("%s 0x%016llx %u\n", OpTypeTraceName(op.type),
                  static_cast<unsigned long long>(op.key), op.scan_length);
    } else {
      std::printf("%s 0x%016llx\n", OpTypeTraceName(op.type),
                  static_cast<unsigned long long>(op.key));
    }
  }
  return std::fflush(stdout) == 0 ? 0 : 1;
}
