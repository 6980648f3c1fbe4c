// jitskit-harness: runs one mode against the candidate store linked into it.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "config.h"
#include "driver.h"
#include "gates.h"
#include "jsonout.h"

namespace {

constexpr int kUsageError = 2;

const char kUsage[] =
    "usage: jitskit-harness MODE --config FILE [--ack-log PATH] [--markers] "
    "[--token-fd N]\n"
    "modes: bench, gate-api, gate-concurrency, durability-writer, "
    "durability-verify\n";

bool IsMode(const std::string& mode) {
  return mode == "bench" || mode == "gate-api" || mode == "gate-concurrency" ||
         mode == "durability-writer" || mode == "durability-verify";
}

int RunMode(const std::string& mode, const jitskit::harness::Config& config,
            const std::string& ack_log, bool markers) {
  using namespace jitskit::harness;
  if (mode == "bench") return RunBench(config);
  if (mode == "gate-api") return RunGateApi(config);
  if (mode == "gate-concurrency") return RunGateConcurrency(config);
  if (mode == "durability-writer") {
    return RunDurabilityWriter(config, ack_log, markers);
  }
  return RunDurabilityVerify(config, ack_log);
}

int Usage(const std::string& problem) {
  std::fprintf(stderr, "jitskit-harness: %s\n%s", problem.c_str(), kUsage);
  return kUsageError;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace jitskit::harness;
  if (argc < 2) return Usage("no mode given");
  std::string mode = argv[1];
  std::string config_path;
  std::string ack_log;
  std::string token_fd;
  bool markers = false;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if ((arg == "--config" || arg == "--ack-log" || arg == "--token-fd") &&
        i + 1 < argc) {
      std::string& target = arg == "--config"    ? config_path
                             : arg == "--ack-log" ? ack_log
                                                  : token_fd;
      target = argv[++i];
    } else if (arg == "--markers") {
      markers = true;
    } else {
      return Usage("unexpected argument '" + arg + "'");
    }
  }
  if (!IsMode(mode)) return Usage("unknown mode '" + mode + "'");
  if (!token_fd.empty()) {
    char* end = nullptr;
    long fd = std::strtol(token_fd.c_str(), &end, 10);
    if (*end != '\0' || fd < 0 || fd > 1 << 20) {
      return Usage("--token-fd needs a descriptor number, got '" + token_fd + "'");
    }
    if (!ReadToken(static_cast<int>(fd))) {
      ExitTampered("descriptor " + token_fd + " held no token (16 to 64 "
                   "letters and digits); if the engine wrote one, something "
                   "in the process read it before the harness did");
    }
  }
  if (config_path.empty()) return Usage("--config FILE is required");
  bool durability_mode =
      mode == "durability-writer" || mode == "durability-verify";
  if (durability_mode && ack_log.empty()) {
    return Usage(mode + " needs --ack-log PATH");
  }
  if (!durability_mode && (!ack_log.empty() || markers)) {
    return Usage("--ack-log and --markers only apply to durability modes");
  }
  if (mode == "durability-verify" && markers) {
    return Usage("--markers only applies to durability-writer");
  }

  Config config;
  std::string error;
  if (!LoadConfigFile(config_path, &config, &error)) {
    std::fprintf(stderr, "jitskit-harness: %s\n", error.c_str());
    return kUsageError;
  }
  if (durability_mode && config.durability == jitskit::Durability::kNone) {
    return Usage(mode + " needs durability process_crash or power_loss in " +
                 config_path);
  }
  if (!ClaimStdout()) {
    std::fprintf(stderr, "jitskit-harness: cannot set up the JSON output\n");
    return kUsageError;
  }
  int status = RunMode(mode, config, ack_log, markers);
  CheckOutputIntact();
  std::fflush(nullptr);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  // Nothing the store left behind (static destructors, atexit handlers,
  // threads) may run, or print, after the verdict.
  _exit(status);
#endif
  return status;
}
