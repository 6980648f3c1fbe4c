// jitskit-harness: runs one mode against the candidate store linked into it.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include "config.h"
#include "driver.h"
#include "gates.h"
#include "jsonout.h"

namespace {

constexpr int kUsageError = 2;

const char kUsage[] =
    "usage: jitskit-harness MODE --config FILE [--token-fd N]\n"
    "modes: bench, gate-api, gate-concurrency, durability-writer, "
    "durability-verify\n"
    "  durability-writer also takes --report-fd N:INODE --value-fd N "
    "[--markers]\n"
    "  durability-verify also takes --keys-fd N --results-fd N\n"
    "(the durability modes are started by jitskit-durability, which holds "
    "the pipes' other ends)\n";

bool IsMode(const std::string& mode) {
  return mode == "bench" || mode == "gate-api" || mode == "gate-concurrency" ||
         mode == "durability-writer" || mode == "durability-verify";
}

int Usage(const std::string& problem) {
  std::fprintf(stderr, "jitskit-harness: %s\n%s", problem.c_str(), kUsage);
  return kUsageError;
}

// A descriptor number; false when `text` is not one.
bool ParseFd(const std::string& text, int* fd) {
  char* end = nullptr;
  long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || value < 0 || value > 1 << 20) return false;
  *fd = static_cast<int>(value);
  return true;
}

// The durability options a mode needs, or a usage problem.
std::string DurabilityOptions(const std::string& mode,
                              std::map<std::string, std::string>& options,
                              jitskit::harness::DurabilityPipes* pipes) {
  auto take = [&](const char* name, int* fd) -> std::string {
    auto found = options.find(name);
    if (found == options.end()) return mode + " needs " + name + " N";
    std::string text = found->second;
    options.erase(found);
    if (!ParseFd(text, fd)) {
      return std::string(name) + " needs a descriptor number, got '" + text + "'";
    }
    return "";
  };
  std::string problem;
  if (mode == "durability-writer") {
    auto report = options.find("--report-fd");
    if (report == options.end()) return mode + " needs --report-fd N:INODE";
    std::string text = report->second;
    options.erase(report);
    size_t colon = text.find(':');
    char* end = nullptr;
    if (colon == std::string::npos ||
        !ParseFd(text.substr(0, colon), &pipes->report_fd)) {
      return "--report-fd needs N:INODE, got '" + text + "'";
    }
    pipes->report_inode = std::strtoull(text.c_str() + colon + 1, &end, 10);
    if (*end != '\0') return "--report-fd needs N:INODE, got '" + text + "'";
    problem = take("--value-fd", &pipes->value_fd);
  } else if (mode == "durability-verify") {
    problem = take("--keys-fd", &pipes->keys_fd);
    if (problem.empty()) problem = take("--results-fd", &pipes->results_fd);
  }
  return problem;
}

int RunMode(const std::string& mode, const jitskit::harness::Config& config,
            const jitskit::harness::DurabilityPipes& pipes, bool markers) {
  using namespace jitskit::harness;
  if (mode == "bench") return RunBench(config);
  if (mode == "gate-api") return RunGateApi(config);
  if (mode == "gate-concurrency") return RunGateConcurrency(config);
  if (mode == "durability-writer") {
    return RunDurabilityWriter(config, pipes, markers);
  }
  return RunDurabilityVerify(config, pipes);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace jitskit::harness;
  if (argc < 2) return Usage("no mode given");
  std::string mode = argv[1];
  std::map<std::string, std::string> options;
  bool markers = false;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    bool takes_value = arg == "--config" || arg == "--token-fd" ||
                       arg == "--report-fd" || arg == "--value-fd" ||
                       arg == "--keys-fd" || arg == "--results-fd";
    if (takes_value && i + 1 < argc) {
      options[arg] = argv[++i];
    } else if (arg == "--markers") {
      markers = true;
    } else {
      return Usage("unexpected argument '" + arg + "'");
    }
  }
  if (!IsMode(mode)) return Usage("unknown mode '" + mode + "'");
  auto token_fd = options.find("--token-fd");
  if (token_fd != options.end()) {
    int fd = -1;
    if (!ParseFd(token_fd->second, &fd)) {
      return Usage("--token-fd needs a descriptor number, got '" +
                   token_fd->second + "'");
    }
    if (!ReadToken(fd)) {
      ExitTampered("descriptor " + token_fd->second + " held no token (16 to "
                   "64 letters and digits); if the engine wrote one, something "
                   "in the process read it before the harness did");
    }
    options.erase(token_fd);
  }
  auto config_path = options.find("--config");
  if (config_path == options.end()) return Usage("--config FILE is required");
  std::string path = config_path->second;
  options.erase(config_path);
  DurabilityPipes pipes;
  std::string problem = DurabilityOptions(mode, options, &pipes);
  if (!problem.empty()) return Usage(problem);
  if (!options.empty()) {
    return Usage(options.begin()->first + " does not apply to " + mode);
  }
  if (markers && mode != "durability-writer") {
    return Usage("--markers only applies to durability-writer");
  }

  Config config;
  std::string error;
  if (!LoadConfigFile(path, &config, &error)) {
    std::fprintf(stderr, "jitskit-harness: %s\n", error.c_str());
    return kUsageError;
  }
  bool durability_mode =
      mode == "durability-writer" || mode == "durability-verify";
  if (durability_mode && config.durability == jitskit::Durability::kNone) {
    return Usage(mode + " needs durability process_crash or power_loss in " +
                 path);
  }
  if (!ClaimStdout()) {
    std::fprintf(stderr, "jitskit-harness: cannot set up the JSON output\n");
    return kUsageError;
  }
  int status = RunMode(mode, config, pipes, markers);
  CheckOutputIntact();
  std::fflush(nullptr);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  // Nothing the store left behind (static destructors, atexit handlers,
  // threads) may run, or print, after the verdict.
  _exit(status);
#endif
  return status;
}
