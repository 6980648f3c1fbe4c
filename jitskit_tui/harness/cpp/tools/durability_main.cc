// jitskit-durability: the durability gate's supervisor. Built from harness
// sources only: the store is not linked into it, so none of the store's code
// (static constructors included) ever runs in this process, which holds the
// key that codes the values and the only record of acknowledgements.
//
//   jitskit-durability --config F --harness PATH --kill-after S
//       [--open-timeout S] [--stall-limit S] [--verify-timeout S]
//       [--strace-calls LIST] [--token-fd N]
//   jitskit-durability --exec-writer N -- PROGRAM ARG...   (internal)
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "child_process.h"
#include "config.h"
#include "durability_feed.h"
#include "durability_layout.h"
#include "durability_recall.h"
#include "durability_verdict.h"
#include "gate_report.h"
#include "jsonout.h"
#include "progress.h"
#include "sealed_values.h"

namespace {

using namespace jitskit::harness;

constexpr int kUsageError = 2;

int Usage(const std::string& problem) {
  std::fprintf(stderr,
               "jitskit-durability: %s\nusage: jitskit-durability --config FILE --harness "
               "PATH --kill-after S [--open-timeout S] [--stall-limit S] [--verify-timeout "
               "S] [--strace-calls LIST] [--token-fd N]\n",
               problem.c_str());
  return kUsageError;
}

// Under strace the writer is started through this binary: it closes the
// trace pipe (and every descriptor from `first_closed` up) before the store's
// code is loaded, then becomes the writer.
int ExecWriter(int argc, char** argv) {
  if (argc < 5 || std::strcmp(argv[3], "--") != 0) return Usage("bad --exec-writer call");
  int first_closed = std::atoi(argv[2]);
  if (first_closed < 3) return Usage("bad --exec-writer descriptor");
  if (close_range(static_cast<unsigned>(first_closed), ~0U, 0) != 0) {
    for (int fd = first_closed; fd < 65536; ++fd) close(fd);
  }
  execv(argv[4], argv + 4);
  std::fprintf(stderr, "jitskit-durability: cannot run %s: %s\n", argv[4], std::strerror(errno));
  return 127;
}

bool ParseSeconds(const std::string& text, double* seconds) {
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !(value > 0) || value > 86400) return false;
  *seconds = value;
  return true;
}

std::string SelfPath(const char* argv0) {
  char path[4096];
  ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (n <= 0) return argv0;
  return std::string(path, static_cast<size_t>(n));
}

std::string FindInPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  size_t at = 0;
  while (at <= dirs.size()) {
    size_t end = dirs.find(':', at);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(at, end - at) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    at = end + 1;
  }
  return "";
}

// A private copy of strace with no read permission: a process started from a
// file it cannot read is not dumpable, so the store's processes can neither
// read the tracer's memory and descriptors nor attach to it. Returns the
// copy's path ("" when it could not be made; `original` is used then).
std::string PrivateTracer(const std::string& original, std::string* directory) {
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = std::string(tmp != nullptr && *tmp ? tmp : "/tmp") + "/jitskit-tracer.XXXXXX";
  std::vector<char> name(dir.begin(), dir.end());
  name.push_back('\0');
  if (mkdtemp(name.data()) == nullptr) return "";
  *directory = name.data();
  std::string copy = *directory + "/strace";
  int in = open(original.c_str(), O_RDONLY | O_CLOEXEC);
  int out = open(copy.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
  bool ok = in >= 0 && out >= 0;
  char buffer[65536];
  while (ok) {
    ssize_t n = read(in, buffer, sizeof(buffer));
    if (n == 0) break;
    ok = n > 0 && write(out, buffer, static_cast<size_t>(n)) == n;
  }
  ok = ok && fchmod(out, 0111) == 0;
  if (in >= 0) close(in);
  if (out >= 0) close(out);
  if (!ok) {
    unlink(copy.c_str());
    rmdir(directory->c_str());
    directory->clear();
    return "";
  }
  return copy;
}

struct Options {
  std::string config_path;
  FeedPlan feed;
  RecallPlan recall;
};

// Parses the command line; returns a usage problem or "".
std::string ParseOptions(int argc, char** argv, Options* options) {
  std::map<std::string, std::string> given;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0 || i + 1 >= argc) return "unexpected argument '" + arg + "'";
    given[arg] = argv[++i];
  }
  auto take = [&](const std::string& name) {
    auto found = given.find(name);
    if (found == given.end()) return std::string();
    std::string value = found->second;
    given.erase(found);
    return value;
  };
  take("--token-fd");  // already read, in main
  options->config_path = take("--config");
  options->feed.harness = take("--harness");
  if (options->config_path.empty()) return "--config FILE is required";
  if (options->feed.harness.empty()) return "--harness PATH is required";
  std::string kill_after = take("--kill-after");
  if (!ParseSeconds(kill_after, &options->feed.kill_after_s)) {
    return "--kill-after needs seconds > 0, got '" + kill_after + "'";
  }
  for (auto [name, target] : {std::pair<const char*, double*>{"--open-timeout",
                                                              &options->feed.open_timeout_s},
                              {"--stall-limit", &options->feed.stall_limit_s},
                              {"--verify-timeout", &options->recall.timeout_s}}) {
    std::string value = take(name);
    if (!value.empty() && !ParseSeconds(value, target)) {
      return std::string(name) + " needs seconds > 0, got '" + value + "'";
    }
  }
  options->feed.trace_calls = take("--strace-calls");
  if (!given.empty()) return "unexpected argument '" + given.begin()->first + "'";
  options->feed.config_path = options->config_path;
  options->recall.harness = options->feed.harness;
  options->recall.config_path = options->config_path;
  return "";
}

int Supervise(const Config& config, Options& options) {
  DurabilityLayout layout = DurabilityLayout::FromConfig(config);
  SealedValues values(config.value_size);
  std::string tracer_dir;
  if (!options.feed.trace_calls.empty()) {
    std::string strace = FindInPath("strace");
    if (strace.empty()) {
      EmitGate("durability", false,
               "power_loss needs strace on the benchmark machine to trace the writer's "
               "system calls, and there is none in PATH");
      return 0;
    }
    options.feed.tracer = PrivateTracer(strace, &tracer_dir);
    if (options.feed.tracer.empty()) {
      std::fprintf(stderr, "jitskit-durability: could not make a private copy of %s; "
                           "running it directly (the store could reach its descriptors)\n",
                   strace.c_str());
      options.feed.tracer = strace;
    }
  }
  // The supervisor's own count of what reached it, so the engine can tell a
  // stuck store from a slow one while the gate runs. Each phase has ended
  // before the gate line is printed, so no progress line follows it.
  ProgressTicker progress(config.tick_ms, 1);
  progress.Start();
  FeedOutcome fed = FeedAndKill(config, layout, values, options.feed, &progress);
  if (!tracer_dir.empty()) {
    unlink(options.feed.tracer.c_str());
    rmdir(tracer_dir.c_str());
  }
  if (!fed.failure.empty()) {
    EmitGate("durability", false, fed.failure);
    return 0;
  }
  EmitPhase("verify");
  RecoveryCheck check(layout, values, fed.tally);
  FailureLog failures;
  failures.SetHeadlineOrder({"ack gap", "lost acknowledged write"});
  std::string problem = RecallAndJudge(config, &check, &failures, options.recall, &progress);
  if (!problem.empty()) {
    EmitGate("durability", false, problem);
    return 0;
  }
  check.Finish(&failures);
  char killed[64];
  std::snprintf(killed, sizeof(killed), "killed with SIGKILL %.1f s into the writes; ",
                fed.killed_after_s);
  ReportGate("durability", failures, killed + check.PassDetail());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--exec-writer") == 0) return ExecWriter(argc, argv);
  // First, before anything can start: no process of the same user may read
  // this one's memory (/proc/PID/mem, process_vm_readv), descriptors or
  // environment, or attach to it with ptrace.
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 || prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
    std::fprintf(stderr, "jitskit-durability: cannot protect the supervisor: %s\n",
                 std::strerror(errno));
    return kUsageError;
  }
  signal(SIGPIPE, SIG_IGN);
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--token-fd") != 0) continue;
    char* end = nullptr;
    long fd = std::strtol(argv[i + 1], &end, 10);
    if (*end != '\0' || fd < 0 || fd > 1 << 20) {
      return Usage(std::string("--token-fd needs a descriptor number, got '") + argv[i + 1] + "'");
    }
    if (!ReadToken(static_cast<int>(fd))) {
      ExitTampered("descriptor " + std::string(argv[i + 1]) + " held no token");
    }
  }
  Options options;
  options.feed.self = SelfPath(argv[0]);
  std::string problem = ParseOptions(argc, argv, &options);
  if (!problem.empty()) return Usage(problem);
  Config config;
  std::string error;
  if (!LoadConfigFile(options.config_path, &config, &error)) {
    std::fprintf(stderr, "jitskit-durability: %s\n", error.c_str());
    return kUsageError;
  }
  if (config.durability == jitskit::Durability::kNone) {
    return Usage("the durability gate needs durability process_crash or power_loss in " +
                 options.config_path);
  }
  // The store's processes inherit fd 1 as stderr: nothing they print can
  // pass for the supervisor's JSON lines.
  if (!ClaimStdout()) {
    std::fprintf(stderr, "jitskit-durability: cannot set up the JSON output\n");
    return kUsageError;
  }
  int status = Supervise(config, options);
  CheckOutputIntact();
  std::fflush(nullptr);
  return status;
}
